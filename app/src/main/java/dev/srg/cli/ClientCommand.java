package dev.srg.cli;

import static picocli.CommandLine.ScopeType.INHERIT;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * What every client command shares: the connection options (inherited by subcommands, so they go
 * anywhere on the line), the output format, and the few ways to call the API and print answers.
 * A group of commands ({@code srg rg ...}) is one subclass whose methods are its subcommands;
 * {@link ClientCommands} adds them itself, only the one a call names (picocli would build them all).
 */
@CommandLine.Command(addMethodSubcommands = false)
abstract class ClientCommand implements Runnable {
    static final String DEFAULT_URL = "http://localhost:8080";
    static final String API = "/api/v1";
    /** The help of every {@code -w} that falls back to the default workspace ({@link #workspace(String)}). */
    static final String DEFAULT_WORKSPACE = "the workspace, a name or id (default: $SRG_WORKSPACE, then the profile's, see 'srg ws use')";

    @Spec
    CommandSpec spec;

    @Option(names = "--url", scope = INHERIT, paramLabel = "URL",
            description = "srg server (default: $SRG_URL, then the login profile, then " + DEFAULT_URL + ")")
    String url;

    @Option(names = "--token", scope = INHERIT, paramLabel = "TOKEN",
            description = "API token; prefer --token-file (default: $SRG_TOKEN, then the login profile)")
    String token;

    @Option(names = "--token-file", scope = INHERIT, paramLabel = "FILE", description = "read the API token from FILE")
    Path tokenFile;

    @Option(names = {"-o", "--output"}, scope = INHERIT, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (default, fits $COLUMNS), wide (every column), json, yaml, or name (ids only)")
    Output.Format format;

    /** The environment consulted for SRG_URL, SRG_TOKEN, XDG_CONFIG_HOME and HOME (tests swap it). */
    Map<String, String> env = System.getenv();

    /** A group without a subcommand is a usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /**
     * Why a file could not be read, in words: the JDK's exceptions for a missing file or a denied one carry only
     * the path, which the message around this already names.
     */
    static String ioReason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof tools.jackson.core.JacksonException j) {
            // where, in one line (the parser's own message runs over two, about its source)
            var at = j.getLocation();
            return "not valid JSON" + (at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column "
                    + at.getColumnNr() + ")");
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    String resolvedUrl() {
        Optional<Profile> profile = Profile.load(env);
        String u = url != null ? url : env.get("SRG_URL") != null ? env.get("SRG_URL") : profile.map(Profile::url).orElse(DEFAULT_URL);
        if (!u.startsWith("http://") && !u.startsWith("https://")) {
            throw new CliException(2, "the server URL must start with http:// or https://, got '" + u + "'");
        }
        u = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
        // the server's URL, as printed by srg server; a URL copied with the API's prefix means the same server
        return u.endsWith(API) ? u.substring(0, u.length() - API.length()) : u;
    }

    /** This call's client: one, so the names it learned resolving arguments label the tables too. */
    private ApiClient api;

    /** --token, --token-file, $SRG_TOKEN, then the profile's token, the latter only for the profile's own server. */
    ApiClient api() {
        if (api == null) {
            api = newApi();
        }
        return api;
    }

    private ApiClient newApi() {
        String u = resolvedUrl();
        String t = token != null ? token : tokenFile != null ? readTokenFile(tokenFile) : env.get("SRG_TOKEN");
        if (t == null) {
            t = Profile.load(env).filter(p -> p.url().equals(u)).map(Profile::token).orElse(null);
        }
        if (t == null || t.isBlank()) {
            throw new CliException(2, "no API token for " + u + ": pass --token-file FILE, set SRG_TOKEN, or run 'srg login'");
        }
        return ApiClient.resolvingNames(u, t.strip());
    }

    /**
     * The workspace a command works in: {@code -w} as given, else {@code $SRG_WORKSPACE}, else the
     * login profile's (for the profile's own server only); a usage error when none says.
     */
    String workspace(String given) {
        String ws = given != null ? given : env.get("SRG_WORKSPACE");
        if (ws == null) {
            String u = resolvedUrl();
            ws = Profile.load(env).filter(p -> p.url().equals(u)).map(Profile::workspace).orElse(null);
        }
        if (ws == null) {
            throw new CliException(2, "which workspace? give --workspace WS (a name or id), set SRG_WORKSPACE, or choose one with 'srg ws use WS'");
        }
        return ws;
    }

    static String readTokenFile(Path file) {
        try {
            String t = Files.readString(file).strip();
            if (t.isEmpty()) {
                throw new CliException(2, "the token file " + file + " is empty");
            }
            return t;
        } catch (IOException e) {
            throw new CliException(2, "cannot read the token file " + file + ": " + ioReason(e));
        }
    }

    /** The first line of standard input, stripped (for secrets that must not sit on the command line). */
    static String readStdinLine(String what) {
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isBlank()) {
                throw new CliException(2, "expected the " + what + " on standard input");
            }
            return line.strip();
        } catch (IOException e) {
            throw new CliException(1, "cannot read the " + what + " from standard input: " + ioReason(e));
        }
    }

    Output out() {
        return new Output(spec.commandLine().getOut(), format, Output.terminalWidth(env), () -> api().labels());
    }

    /** An API path: {@code %s} placeholders filled with path-encoded ids. */
    static String path(String template, String... ids) {
        Object[] encoded = new Object[ids.length];
        for (int i = 0; i < ids.length; i++) {
            encoded[i] = URLEncoder.encode(ids[i], StandardCharsets.UTF_8).replace("+", "%20");
        }
        return API + template.formatted(encoded);
    }

    /** A JSON body from alternating names and values; null values are left out. */
    static Map<String, Object> body(Object... namesAndValues) {
        Map<String, Object> body = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                body.put((String) namesAndValues[i], namesAndValues[i + 1]);
            }
        }
        return body;
    }

    /** A list's items: the first page, or with {@code all} every page, following nextPageToken. */
    List<JsonNode> items(ApiClient api, String path, Map<String, String> query, ListOptions options) {
        Map<String, String> q = new LinkedHashMap<>(query);
        q.put("pageSize", options.pageSize == null ? null : options.pageSize.toString());
        List<JsonNode> items = new ArrayList<>();
        while (true) {
            JsonNode page = api.get(path, q);
            page.path("items").forEach(items::add);
            String next = Column.text(page.path("nextPageToken"));
            if (next == null) {
                return items;
            }
            if (!options.all) {
                spec.commandLine().getErr().println("(more results: add --all to list every page)");
                spec.commandLine().getErr().flush();
                return items;
            }
            q.put("pageToken", next);
        }
    }

    /** Every item of a short list (a group's networks, an API's versions): each of its pages, following nextPageToken. */
    List<JsonNode> every(String path, Map<String, String> query) {
        ListOptions all = new ListOptions();
        all.all = true;
        all.pageSize = LARGEST_PAGE; // a short list comes in one request
        return items(api(), path, query, all);
    }

    /** The server's largest page (its PageRequest.MAX_SIZE). */
    private static final int LARGEST_PAGE = 1000;

    static List<JsonNode> elements(JsonNode array) {
        List<JsonNode> items = new ArrayList<>();
        array.forEach(items::add);
        return items;
    }

    /** Paging options of list commands. */
    static final class ListOptions {
        @Option(names = "--all", description = "follow nextPageToken and list every page")
        boolean all;

        @Option(names = "--page-size", paramLabel = "N", description = "items per request (server default 50)")
        Integer pageSize;
    }

    void printList(String path, Map<String, String> query, ListOptions options, View view) {
        out().many(items(api(), path, query, options), view);
    }
}
