package dev.srg.cli;

import static dev.srg.cli.Column.field;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** {@code srg instance list|get|log|cancel}: task instances. */
@Command(name = "instance", aliases = "instances", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Task instances: list, show, read or follow the log, cancel.")
final class InstanceCommands extends ClientCommand {
    static final View INSTANCE = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("TYPE", "type"), field("STATUS", "status"),
                    field("CU", "cu"), field("GROUP", "resourceGroupId"),
                    Column.of("QUEUE", i -> i.has("queue") ? "#" + i.get("queue").path("position").asString() + " "
                            + i.get("queue").path("reason").asString() : null),
                    field("WAIT-MS", "waitMillis"), field("RUN-MS", "runMillis"), field("EXIT", "exitCode")),
            List.of(field("WORKSPACE", "workspaceId"), field("USAGE-TYPE", "usageType"), field("PRIORITY", "priority"),
                    field("TIMEOUT-S", "timeoutSeconds"), field("FAILURE", "failureReason"), field("QUEUED", "queuedAt"),
                    field("STARTED", "startedAt"), field("FINISHED", "finishedAt"),
                    Column.of("CU-SECONDS", i -> Column.text(i.path("consumption").path("cuSeconds"))),
                    Column.of("CPU-SECONDS", i -> Column.text(i.path("consumption").path("cpuSeconds"))),
                    Column.of("PEAK-MEMORY", i -> Column.text(i.path("consumption").path("peakMemoryBytes"))),
                    field("LIMITS", "limitsNote"), Column.joined("WARNINGS", "warnings")));

    @Command(name = "list", description = "List instances (queued ones with their position and why they wait).")
    void list(@Option(names = "--rg", paramLabel = "RG_ID") String group,
              @Option(names = "--status", paramLabel = "STATUS", description = "QUEUED, STARTING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT") String status,
              @Option(names = "--usage-type", paramLabel = "TYPE") String usageType,
              @Mixin ListOptions page) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("resourceGroupId", group);
        query.put("status", status == null ? null : status.toUpperCase(Locale.ROOT));
        query.put("usageType", usageType == null ? null : usageType.toUpperCase(Locale.ROOT));
        printList(API + "/instances", query, page, INSTANCE);
    }

    @Command(name = "get", description = "Show an instance with its consumption.")
    void get(@Parameters(paramLabel = "INSTANCE_ID") String id) {
        out().one(api().get(path("/instances/%s", id)), INSTANCE);
    }

    @Command(name = "log", description = "Print an instance's log; --follow streams it until the instance ends.")
    void log(@Parameters(paramLabel = "INSTANCE_ID") String id,
             @Option(names = {"-f", "--follow"}, description = "stream until the instance ends") boolean follow,
             @Option(names = "--offset", paramLabel = "BYTES", defaultValue = "0") long offset) {
        stream(api(), id, follow, offset, spec.commandLine().getOut());
    }

    @Command(name = "cancel", description = "Cancel an instance (kills its whole process tree).")
    void cancel(@Parameters(paramLabel = "INSTANCE_ID") String id) {
        out().one(api().post(path("/instances/%s/cancel", id), null), INSTANCE);
    }

    static void stream(ApiClient api, String id, boolean follow, long offset, PrintWriter out) {
        var response = api.stream(path("/instances/%s/log", id) + "?offset=" + offset + (follow ? "&follow=true" : ""));
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.print(new String(buffer, 0, n, StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            throw new CliException(4, "the log stream broke: " + e.getMessage());
        }
    }

    /**
     * {@code srg run}: submits a task; with {@code --follow} streams its log and exits with the
     * task's exit code (124 when it timed out, 130 when cancelled, 137 when out of memory).
     */
    @Command(name = "run", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
            description = "Run a Shell or Python task on a resource group; --follow streams its log and exits with its exit code.")
    static final class Run extends ClientCommand implements java.util.concurrent.Callable<Integer> {
        @Option(names = {"-w", "--workspace"}, paramLabel = "WS_ID", description = "the workspace (default $SRG_WORKSPACE)")
        String workspace;
        @Option(names = "--rg", paramLabel = "RG_ID", description = "the resource group (default: the workspace's default)")
        String group;
        @Option(names = "--type", paramLabel = "SHELL|PYTHON", description = "default: PYTHON for a .py --file, else SHELL")
        String type;
        @Option(names = "--file", paramLabel = "FILE", description = "read the script from FILE")
        Path file;
        @Option(names = "--cu", paramLabel = "CU", defaultValue = "0.25", description = "CUs for the task (default ${DEFAULT-VALUE})")
        BigDecimal cu;
        @Option(names = "--priority", paramLabel = "1..10") Integer priority;
        @Option(names = "--timeout", paramLabel = "SECONDS") Integer timeout;
        @Option(names = "--name", paramLabel = "NAME") String name;
        @Option(names = {"-f", "--follow"}, description = "stream the log and exit with the task's exit code") boolean follow;
        @Parameters(paramLabel = "SCRIPT", arity = "0..*", description = "the script (words are joined with spaces)")
        List<String> words;

        @Override
        public Integer call() throws IOException {
            String ws = workspace != null ? workspace : env.get("SRG_WORKSPACE");
            if (ws == null) {
                throw new CliException(2, "give --workspace WS_ID or set SRG_WORKSPACE");
            }
            String script;
            if (file != null) {
                script = Files.readString(file);
            } else if (words != null && !words.isEmpty()) {
                script = String.join(" ", words);
            } else {
                throw new CliException(2, "give the script as arguments or with --file FILE");
            }
            String kind = type != null ? type.toUpperCase(Locale.ROOT)
                    : file != null && file.toString().endsWith(".py") ? "PYTHON" : "SHELL";
            ApiClient api = api();
            JsonNode instance = api.post(API + "/instances", body("workspaceId", ws, "resourceGroupId", group, "type", kind,
                    "script", script, "cu", cu, "priority", priority, "timeoutSeconds", timeout, "name", name));
            String id = instance.path("id").asString();
            PrintWriter err = spec.commandLine().getErr();
            instance.path("warnings").forEach(w -> err.println("warning: " + w.asString()));
            if (!follow) {
                out().one(instance, INSTANCE);
                return 0;
            }
            err.println("instance " + id + " " + instance.path("status").asString() + " on " + instance.path("resourceGroupId").asString());
            err.flush();
            stream(api, id, true, 0, spec.commandLine().getOut());
            JsonNode done = api.get(path("/instances/%s", id));
            String status = done.path("status").asString();
            if (!"SUCCEEDED".equals(status)) {
                err.println("instance " + id + " " + status
                        + (done.hasNonNull("failureReason") ? " (" + done.get("failureReason").asString() + ")" : ""));
                err.flush();
            }
            return switch (status) {
                case "SUCCEEDED" -> 0;
                case "TIMED_OUT" -> 124;
                case "CANCELLED" -> 130;
                default -> done.hasNonNull("exitCode") ? done.get("exitCode").asInt() : 1;
            };
        }
    }
}
