package dev.srg.cli;

import static dev.srg.cli.Column.field;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/** {@code srg ds ...}: data sources (SPEC DI-1). The password never on the command line: from stdin or a file. */
@Command(name = "ds", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Data sources of a workspace: PostgreSQL, MySQL/MariaDB, CSV directories.")
final class DataSourceCommands extends ClientCommand {
    static final View DATA_SOURCE = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("TYPE", "type"), field("HOST", "host"), field("PORT", "port"),
                    field("DATABASE", "database"), field("USER", "user"), field("PATH", "path")),
            List.of(field("WORKSPACE", "workspaceId"), field("PASSWORD-SET", "passwordSet"), Column.time("CREATED", "createdAt"),
                    Column.time("UPDATED", "updatedAt")));

    @Command(name = "create", description = "Create a data source (workspace ADMIN or DEVELOPER).")
    void create(@Option(names = {"-w", "--workspace"}, paramLabel = "WS", description = DEFAULT_WORKSPACE) String workspace,
                @Option(names = "--name", required = true, paramLabel = "NAME") String name,
                @Option(names = "--type", required = true, paramLabel = "POSTGRESQL|MYSQL|CSV") String type,
                @Option(names = "--host", paramLabel = "HOST") String host,
                @Option(names = "--port", paramLabel = "PORT") Integer port,
                @Option(names = "--database", paramLabel = "DB") String database,
                @Option(names = "--user", paramLabel = "USER") String user,
                @Option(names = "--password-stdin", description = "read the password from the first line of stdin") boolean fromStdin,
                @Option(names = "--password-file", paramLabel = "FILE", description = "read the password from a file") Path file,
                @Option(names = "--path", paramLabel = "DIR", description = "a CSV data source's directory") String path) {
        out().one(api().post(API + "/data-sources", body("workspaceId", workspace(workspace), "name", name, "type",
                type.toUpperCase(Locale.ROOT), "host", host, "port", port, "database", database, "user", user,
                "password", password(fromStdin, file), "path", path)), DATA_SOURCE);
    }

    @Command(name = "list", description = "List a workspace's data sources.")
    void list(@Option(names = {"-w", "--workspace"}, paramLabel = "WS", description = DEFAULT_WORKSPACE) String workspace,
              @Mixin ListOptions page) {
        printList(API + "/data-sources", Map.of("workspaceId", workspace(workspace)), page, DATA_SOURCE);
    }

    @Command(name = "get", description = "Show a data source (never its password).")
    void get(@Parameters(paramLabel = "DS") String id) {
        out().one(api().get(path("/data-sources/%s", id)), DATA_SOURCE);
    }

    @Command(name = "delete", description = "Delete a data source (workspace ADMIN or DEVELOPER).")
    void delete(@Parameters(paramLabel = "DS") String id) {
        api().delete(path("/data-sources/%s", id));
        out().done("Deleted data source " + id);
    }

    private static String password(boolean fromStdin, Path file) {
        if (fromStdin && file != null) {
            throw new CliException(2, "give --password-stdin or --password-file, not both");
        }
        try {
            if (fromStdin) {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                return line == null ? "" : line;
            }
            return file == null ? null : Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new CliException(1, "cannot read the password: " + ClientCommand.ioReason(e));
        }
    }
}
