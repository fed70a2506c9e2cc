package dev.srg.cli;

import static dev.srg.cli.Column.field;

import dev.srg.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

/**
 * {@code srg api ...} (also {@code srg dataservice ...}): DataService Studio (SPEC DS-1..DS-6) — API
 * groups, APIs (create, test, publish, versions, calls), apps and grants, the service's CU.
 */
@Command(name = "api", aliases = "dataservice", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "DataService: SQL-backed HTTP APIs served by a resource group (/data/{basePath}/{path}).")
final class DataServiceCommands extends ClientCommand {
    static final View GROUP = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("BASE-PATH", "basePath"), field("WORKSPACE", "workspaceId")),
            List.of(Column.time("CREATED", "createdAt")));
    static final View API_VIEW = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("METHOD", "method"), field("CALL-PATH", "callPath"),
                    field("MODE", "mode"), field("STATUS", "status"), field("VERSION", "publishedVersion"),
                    field("TESTED", "tested")),
            List.of(field("GROUP", "apiGroupId"), field("DATA-SOURCE", "dataSourceId"), field("RESOURCE-GROUP", "resourceGroupId"),
                    field("SQL", "sql"), field("PAGING", "paging"), field("TIMEOUT-MS", "timeoutMillis"), field("QPS", "qps"),
                    field("LATEST-VERSION", "latestVersion"), Column.time("UPDATED", "updatedAt")));
    static final View APP = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("APP-KEY", "appKey")),
            List.of(Column.joined("GRANTS", "grantedApiIds"), Column.time("CREATED", "createdAt")));
    /** A new app: its AppCode and AppSecret are in the answer this once (never again, so not in {@link #APP}). */
    static final View APP_CREATED = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("APP-KEY", "appKey"), field("APP-CODE", "appCode"),
                    field("APP-SECRET", "appSecret")),
            List.of(Column.time("CREATED", "createdAt")));
    static final View CALL = new View(
            List.of(Column.time("TIME", "calledAt"), field("APP", "appId"), field("VERSION", "version"), field("STATUS", "status"),
                    field("ROWS", "rows"), field("LATENCY-MS", "latencyMillis")),
            List.of(field("ERROR", "errorCode")));
    static final View TEST = new View(
            List.of(field("SQL", "sql"), field("BOUND", "boundValues"), field("ROWS", "rowCount"), field("TOTAL", "totalNum"),
                    field("MILLIS", "millis"), field("DATA", "data")),
            List.of());
    static final View SERVICE = new View(
            List.of(field("WORKSPACE", "workspaceId"), field("RESOURCE-GROUP", "resourceGroupId"), field("CU", "cu"),
                    field("INSTANCE", "instanceId"), field("STATUS", "status")),
            List.of());

    @Command(name = "group-create", description = "Create an API group with its base path.")
    void groupCreate(@Option(names = {"-w", "--workspace"}, paramLabel = "WS", description = DEFAULT_WORKSPACE) String workspace,
                     @Option(names = "--name", required = true, paramLabel = "NAME") String name,
                     @Option(names = "--base-path", required = true, paramLabel = "SEGMENT") String basePath) {
        out().one(api().post(API + "/dataservice/api-groups", body("workspaceId", workspace(workspace), "name", name, "basePath", basePath)),
                GROUP);
    }

    @Command(name = "groups", description = "List API groups (of a workspace with -w).")
    void groups(@Option(names = {"-w", "--workspace"}, paramLabel = "WS") String workspace,
                @Mixin ListOptions page) {
        printList(API + "/dataservice/api-groups", workspace == null ? Map.of() : Map.of("workspaceId", workspace), page, GROUP);
    }

    @Command(name = "create", description = {"Create an API: SCRIPT with --sql/--sql-file and --param, or any definition as"
            + " JSON with --file (the body of POST /api/v1/dataservice/apis).",
            "  srg api create --group G --name item --path item --data-source DS --rg RG \\",
            "      --sql 'SELECT id, name FROM items WHERE id = ${id}' --param id:LONG:required"})
    void create(@Option(names = "--group", paramLabel = "API_GROUP_ID") String group,
                @Option(names = "--name", paramLabel = "NAME") String name,
                @Option(names = "--path", paramLabel = "PATH") String path,
                @Option(names = "--method", defaultValue = "GET", paramLabel = "GET|POST") String method,
                @Option(names = "--data-source", paramLabel = "DS") String dataSource,
                @Option(names = {"-g", "--resource-group", "--rg"}, paramLabel = "RG") String resourceGroup,
                @Option(names = "--sql", paramLabel = "SQL") String sql,
                @Option(names = "--sql-file", paramLabel = "FILE") Path sqlFile,
                @Option(names = "--param", paramLabel = "NAME:TYPE[:required][:default=V]",
                        description = "a parameter (STRING, INT, LONG, DOUBLE, BOOLEAN, DATE, DATETIME); repeatable") List<String> params,
                @Option(names = "--paging", description = "page the answers (pageNum, pageSize, totalNum)") boolean paging,
                @Option(names = "--timeout-millis", paramLabel = "MS") Integer timeout,
                @Option(names = "--qps", paramLabel = "N") Integer qps,
                @Option(names = "--file", paramLabel = "FILE", description = "the whole definition as JSON") Path file) {
        Map<String, Object> body;
        if (file != null) {
            body = new LinkedHashMap<>(definition(file));
        } else {
            body = new LinkedHashMap<>();
            body.put("mode", "SCRIPT");
            body.put("method", method.toUpperCase(Locale.ROOT));
            body.put("sql", sqlFile != null ? readFile(sqlFile) : sql);
            body.put("parameters", parameters(params));
        }
        putIf(body, "apiGroupId", group);
        putIf(body, "name", name);
        putIf(body, "path", path);
        putIf(body, "dataSourceId", dataSource);
        putIf(body, "resourceGroupId", resourceGroup);
        if (paging) {
            body.put("paging", true);
        }
        putIf(body, "timeoutMillis", timeout);
        putIf(body, "qps", qps);
        out().one(api().post(API + "/dataservice/apis", body), API_VIEW);
    }

    @Command(name = "list", description = "List the APIs of a workspace (or of one API group).")
    void list(@Option(names = {"-w", "--workspace"}, paramLabel = "WS") String workspace,
              @Option(names = "--group", paramLabel = "API_GROUP_ID") String group,
              @Mixin ListOptions page) {
        Map<String, String> q = new LinkedHashMap<>();
        if (workspace != null) {
            q.put("workspaceId", workspace);
        }
        if (group != null) {
            q.put("apiGroupId", group);
        }
        printList(API + "/dataservice/apis", q, page, API_VIEW);
    }

    @Command(name = "get", description = "Show an API.")
    void get(@Parameters(paramLabel = "API_ID") String id) {
        out().one(api().get(path("/dataservice/apis/%s", id)), API_VIEW);
    }

    @Command(name = "test", description = "Test the API's draft with values: the rows, the time, the SQL and its bound values.")
    void test(@Parameters(paramLabel = "API_ID") String id,
              @Option(names = {"-p", "--param"}, paramLabel = "NAME=VALUE") List<String> values) {
        Map<String, Object> params = new LinkedHashMap<>();
        if (values != null) {
            for (String v : values) {
                int eq = v.indexOf('=');
                if (eq <= 0) {
                    throw new CliException(2, "--param takes NAME=VALUE, got '" + v + "'");
                }
                params.put(v.substring(0, eq), v.substring(eq + 1));
            }
        }
        out().one(testWhenServed(api(), path("/dataservice/apis/%s/test", id), Map.of("params", params)), TEST);
    }

    /** How long {@code srg api test} waits for the API's service to start: a worker JVM, a few seconds. */
    private static final java.time.Duration SERVICE_START_WAIT = java.time.Duration.ofSeconds(60);

    /**
     * The first test on a group starts the workspace's DATA_SERVICE service there (SPEC DS-5), and
     * the server answers 503 {@code ServiceUnavailable.DataService.Queued} (waiting for admission) or
     * {@code …Starting} until it runs: the test waits for it, as {@code rg create --wait} waits for the group (a spinner on a terminal),
     * instead of failing the first {@code srg api test API && srg api publish API}.
     */
    private JsonNode testWhenServed(ApiClient api, String path, Map<String, Object> body) {
        java.time.Instant deadline = java.time.Instant.now().plus(SERVICE_START_WAIT);
        Progress progress = new Progress(spec.commandLine().getErr(), env);
        try {
            while (true) {
                try {
                    return api.post(path, body);
                } catch (ApiClient.ApiException e) {
                    boolean queued = "ServiceUnavailable.DataService.Queued".equals(e.code());
                    if (!queued && !"ServiceUnavailable.DataService.Starting".equals(e.code())
                            || java.time.Instant.now().isAfter(deadline)) {
                        throw e;
                    }
                    progress.tick("the API's service", queued ? "queued" : "starting");
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CliException(1, "interrupted while waiting for the API's service to start");
                }
            }
        } finally {
            progress.done();
        }
    }

    @Command(name = "publish", description = "Publish the tested draft as a new immutable version.")
    void publish(@Parameters(paramLabel = "API_ID") String id) {
        out().one(api().post(path("/dataservice/apis/%s/publish", id), null), API_VIEW);
    }

    @Command(name = "unpublish", description = "Stop serving the API.")
    void unpublish(@Parameters(paramLabel = "API_ID") String id) {
        out().one(api().post(path("/dataservice/apis/%s/unpublish", id), null), API_VIEW);
    }

    @Command(name = "versions", description = "The API's published versions.")
    void versions(@Parameters(paramLabel = "API_ID") String id) {
        // names from the answer itself (one request): the API's name and call path, the publisher's name; -o json keeps the ids
        out().many(every(path("/dataservice/apis/%s/versions", id), Map.of()), new View(
                List.of(field("VERSION", "version"), field("API", "apiName"), field("CALL-PATH", "callPath"),
                        Column.time("PUBLISHED", "publishedAt"), Column.of("BY", v -> v.path("publishedByName").asString(
                                v.path("publishedBy").asString()))), List.of(Column.id("API-ID", "apiId"),
                        Column.id("PUBLISHED-BY", "publishedBy"))));
    }

    @Command(name = "calls", description = "The API's calls, newest first.")
    void calls(@Parameters(paramLabel = "API_ID") String id, @Mixin ListOptions page) {
        printList(path("/dataservice/apis/%s/calls", id), Map.of(), page, CALL);
    }

    @Command(name = "app-create", description = "Create an app; its AppCode and AppSecret are shown this once.")
    void appCreate(@Option(names = "--name", required = true, paramLabel = "NAME") String name) {
        out().one(api().post(API + "/dataservice/apps", body("name", name)), APP_CREATED);
    }

    @Command(name = "apps", description = "List your apps.")
    void apps(@Mixin ListOptions page) {
        printList(API + "/dataservice/apps", Map.of(), page, APP);
    }

    @Command(name = "grant", description = "Grant an app an API.")
    void grant(@Parameters(index = "0", paramLabel = "APP") String app, @Parameters(index = "1", paramLabel = "API_ID") String apiId) {
        out().one(api().put(path("/dataservice/apps/%s/grants/%s", app, apiId), null), APP);
    }

    @Command(name = "revoke", description = "Revoke an app's grant of an API.")
    void revoke(@Parameters(index = "0", paramLabel = "APP") String app, @Parameters(index = "1", paramLabel = "API_ID") String apiId) {
        api().delete(path("/dataservice/apps/%s/grants/%s", app, apiId));
        out().done("Revoked " + apiId + " from " + app);
    }

    @Command(name = "service", description = "Show (or with --cu set) the CU of a workspace's DATA_SERVICE service on a group.")
    void service(@Parameters(paramLabel = "RG", description = "the resource group, a name or id") String group,
                 @Option(names = {"-w", "--workspace"}, paramLabel = "WS", description = DEFAULT_WORKSPACE) String ws,
                 @Option(names = "--cu", paramLabel = "CU") java.math.BigDecimal cu) {
        String workspace = workspace(ws);
        if (cu == null) {
            out().one(api().get(path("/dataservice/services/%s", group), Map.of("workspaceId", workspace)), SERVICE);
        } else {
            out().one(api().put(path("/dataservice/services/%s", group), body("workspaceId", workspace, "cu", cu)), SERVICE);
        }
    }

    private static List<Map<String, Object>> parameters(List<String> specs) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (specs == null) {
            return out;
        }
        for (String spec : specs) {
            String[] parts = spec.split(":", -1);
            if (parts.length < 2) {
                throw new CliException(2, "--param takes NAME:TYPE[:required][:default=V], got '" + spec + "'");
            }
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", parts[0]);
            p.put("type", parts[1].toUpperCase(Locale.ROOT));
            for (int i = 2; i < parts.length; i++) {
                if (parts[i].equals("required")) {
                    p.put("required", true);
                } else if (parts[i].startsWith("default=")) {
                    p.put("defaultValue", parts[i].substring("default=".length()));
                } else {
                    throw new CliException(2, "unknown --param flag '" + parts[i] + "' (required, default=V)");
                }
            }
            out.add(p);
        }
        return out;
    }

    private static void putIf(Map<String, Object> body, String key, Object value) {
        if (value != null) {
            body.put(key, value);
        }
    }

    /** {@code --file}: the body of POST /api/v1/dataservice/apis; a file that is not JSON said in one line. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> definition(Path file) {
        try {
            return Json.MAPPER.readValue(readFile(file), Map.class);
        } catch (tools.jackson.core.JacksonException e) {
            throw new CliException(ClientCommands.USAGE, "cannot read " + file + ": " + ClientCommand.ioReason(e)
                    + "; it holds the body of POST /api/v1/dataservice/apis, a JSON object");
        }
    }

    private static String readFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException(1, "cannot read " + file + ": " + ClientCommand.ioReason(e));
        }
    }
}
