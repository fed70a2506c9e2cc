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
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

/** {@code srg instance list|get|script|log|cancel}: task instances. */
@Command(name = "instance", aliases = "instances", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Task instances: list, show, print the script, read or follow the log, cancel.")
final class InstanceCommands extends ClientCommand {
    /** The states an instance ends in. */
    private static final Set<String> ENDED = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT");

    static final View INSTANCE = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("TYPE", "type"), field("STATUS", "status"),
                    field("CU", "cu"), field("GROUP", "resourceGroupId"),
                    Column.of("QUEUE", i -> i.has("queue") ? "#" + i.get("queue").path("position").asString() + " "
                            + i.get("queue").path("reason").asString() : null),
                    Column.millis("WAIT", "waitMillis"), Column.millis("RUN", "runMillis"), field("EXIT", "exitCode")),
            List.of(field("WORKSPACE", "workspaceId"), field("USAGE-TYPE", "usageType"), field("PRIORITY", "priority"),
                    field("TIMEOUT-S", "timeoutSeconds"), field("FAILURE", "failureReason"), Column.time("QUEUED", "queuedAt"),
                    // a queued task's estimated start (SPEC BEY-1), or "unknown" and the estimate's why
                    new Column("ESTIMATED-START", i -> estimatedStart(i, false), i -> estimatedStart(i, true)),
                    Column.of("ESTIMATE", i -> Column.text(i.path("queue").path("estimate"))),
                    Column.time("STARTED", "startedAt"), Column.time("FINISHED", "finishedAt"),
                    Column.of("CU-SECONDS", i -> Column.text(i.path("consumption").path("cuSeconds"))),
                    Column.of("CPU-SECONDS", i -> Column.text(i.path("consumption").path("cpuSeconds"))),
                    Column.bytes("PEAK-MEMORY", i -> i.path("consumption").path("peakMemoryBytes")),
                    field("LIMITS", "limitsNote"), Column.joined("WARNINGS", "warnings"),
                    Column.of("SCRIPT", InstanceCommands::scriptSummary), Column.of("PROGRESS", InstanceCommands::progressBar)));

    /** A queued instance's {@code queue.estimatedStartAt} (its age in lists, the time and its age on its own page), else "unknown"; null when not queued. */
    private static String estimatedStart(JsonNode i, boolean full) {
        if (!i.path("queue").isObject()) {
            return null;
        }
        Column at = Column.time("ESTIMATED-START", "estimatedStartAt");
        JsonNode queue = i.get("queue");
        return queue.hasNonNull("estimatedStartAt") ? (full ? at.full() : at.value()).apply(queue) : "unknown";
    }

    /**
     * A sync's progress (SPEC DI-5) as one line: a bar of the splits done, records read and
     * written, bytes, speed and dirty records; null for an instance without progress.
     */
    static String progressBar(JsonNode i) {
        JsonNode p = i.path("progress");
        if (!p.isObject()) {
            return null;
        }
        long done = p.path("splitsDone").asLong();
        long total = p.path("splitsTotal").asLong();
        int width = 20;
        int filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
        String status = p.path("status").isString() ? "  " + p.path("status").asString() : "";
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + done + "/" + total + " splits  "
                + p.path("recordsRead").asLong() + " read, " + p.path("recordsWritten").asLong() + " written ("
                + Human.bytes(p.path("bytesWritten").asLong()) + ")  " + p.path("recordsPerSecond").asLong() + " rec/s, "
                + Human.bytes(p.path("bytesPerSecond").asLong()) + "/s  " + p.path("dirtyRecords").asLong() + " dirty" + status;
    }

    /** {@code srg run --dry-run} (SPEC BEY-1): amounts shown rounded to cents; the API answers them exact. */
    static final View DRY_RUN = new View(
            List.of(field("GROUP", "resourceGroupId"), field("CU", "cu"),
                    Column.of("STARTS", d -> d.path("startsNow").asBoolean() ? "now"
                            : d.hasNonNull("estimatedStartAt") ? d.get("estimatedStartAt").asString() : "unknown"),
                    Column.of("QUEUE", d -> d.hasNonNull("position") ? "#" + d.get("position").asString() + " "
                            + d.path("reason").asString() : null),
                    Column.of("EXPECTED-RUN", d -> d.hasNonNull("expectedRunSeconds") ? d.get("expectedRunSeconds").asString() + " s"
                            : "until stopped"),
                    Column.of("COST", d -> Human.cents(d.path("estimatedCost"), d.path("currency").asString("")))),
            List.of(field("ESTIMATE", "estimate"), field("RUN-TIME-FROM", "expectedRunBasis"), field("COST-NOTE", "costNote"),
                    Column.joined("WARNINGS", "warnings")));

    /** The script's first line and how much more there is (the whole: srg instance script ID). */
    private static String scriptSummary(JsonNode i) {
        JsonNode payload = i.path("payload");
        if (!payload.isObject()) {
            return null;
        }
        if (!payload.path("script").isString()) {
            return payload.toString();
        }
        List<String> lines = payload.path("script").asString().lines().toList();
        return lines.isEmpty() ? null : lines.get(0) + (lines.size() > 1 ? "  (+" + (lines.size() - 1) + " lines: srg instance script "
                + i.path("id").asString() + ")" : "");
    }

    @Command(name = "list", description = "List instances (queued ones with their position and why they wait).")
    void list(@Option(names = "--rg", paramLabel = "RG") String group,
              @Option(names = "--status", paramLabel = "STATUS", description = "QUEUED, STARTING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT") String status,
              @Option(names = "--usage-type", paramLabel = "TYPE") String usageType,
              @Mixin ListOptions page) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("resourceGroupId", group);
        query.put("status", status == null ? null : status.toUpperCase(Locale.ROOT));
        query.put("usageType", usageType == null ? null : usageType.toUpperCase(Locale.ROOT));
        printList(API + "/instances", query, page, INSTANCE);
    }

    @Command(name = "get", description = "Show an instance with its consumption; --follow shows a sync's progress until it ends.")
    void get(@Parameters(paramLabel = "INSTANCE_ID") String id,
             @Option(names = {"-f", "--follow"}, description = "poll every second, showing a sync's progress bar, until the instance"
                     + " ends") boolean follow) {
        JsonNode i = api().get(path("/instances/%s", id));
        if (follow) {
            // on a terminal the bar redraws in place on stderr; piped, a line each time it changes
            PrintWriter err = spec.commandLine().getErr();
            boolean terminal = Terminal.of(Terminal.STDERR).isPresent();
            String last = null;
            while (true) {
                String bar = progressBar(i);
                if (bar != null && !bar.equals(last)) {
                    err.print(terminal ? "\r" + bar : bar + "\n");
                    err.flush();
                    last = bar;
                }
                if (ENDED.contains(i.path("status").asString())) {
                    break;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                i = api().get(path("/instances/%s", id));
            }
            if (terminal && last != null) {
                err.println();
            }
        }
        out().one(i, INSTANCE);
    }

    @Command(name = "script", description = "Print what an instance ran, as submitted (its workspace's members only).")
    void script(@Parameters(paramLabel = "INSTANCE_ID") String id) {
        JsonNode i = api().get(path("/instances/%s", id));
        JsonNode payload = i.path("payload");
        if (!payload.isObject()) {
            throw new CliException(1, "instance " + id + " shows no script: only members of its workspace see what it ran");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (payload.path("script").isString()) {
            String script = payload.path("script").asString();
            out.print(script.endsWith("\n") ? script : script + "\n");
        } else {
            out.println(dev.srg.json.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(payload));
        }
        out.flush();
    }

    @Command(name = "log", description = "Print an instance's log; --follow streams it until the instance ends.")
    void log(@Parameters(paramLabel = "INSTANCE_ID") String id,
             @Option(names = {"-f", "--follow"}, description = "stream until the instance ends") boolean follow,
             @Option(names = "--offset", paramLabel = "BYTES", defaultValue = "0") long offset) {
        stream(api(), id, follow, offset, spec.commandLine().getOut());
    }

    @Command(name = "cancel", description = {"Cancel an instance (kills its whole process tree) and wait until it has ended",
            "(at most 10 s; the answer says when it has not yet)."})
    void cancel(@Parameters(paramLabel = "INSTANCE_ID") String id) {
        // the API answers at once, while the task is still being stopped: show it CANCELLED, as kubectl delete waits
        JsonNode i = api().post(path("/instances/%s/cancel", id), null);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!ENDED.contains(i.path("status").asString()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            i = api().get(path("/instances/%s", id));
        }
        if (!ENDED.contains(i.path("status").asString())) {
            spec.commandLine().getErr().println("cancel requested; still " + i.path("status").asString()
                    + " after 10 s: srg instance get " + id + " shows when it ends");
        }
        out().one(i, INSTANCE);
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

    /** {@code srg advise} (SPEC BEY-4). */
    static final View ADVICE = new View(
            List.of(field("NAME", "name"), field("RUNS", "runs"), field("CU", "currentCu"), field("ADVISED-CU", "advisedCu"),
                    field("PEAK-GIB", "peakMemoryGiB"), field("PEAK-CORES", "peakCpuCores"),
                    Column.of("SAVING/MONTH", a -> Human.cents(a.path("monthlySaving"), a.path("currency").asString("")))),
            List.of(field("WHY", "why")));

    @Command(name = "advise", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
            description = {"Right-sizing: for each recurring task of a workspace (same name, at least 3 successful runs), the CU",
                    "its runs' peak memory and CPU need (20%% margin, 0.25 CU steps, 4 GiB per CU) and the monthly saving."})
    static final class Advise extends ClientCommand implements Runnable {
        @Option(names = {"-w", "--workspace"}, paramLabel = "WS",
                description = DEFAULT_WORKSPACE)
        String workspace;
        @Option(names = "--name", paramLabel = "NAME", description = "only this task") String name;

        @Override
        public void run() {
            String ws = workspace(workspace);
            Map<String, String> query = new LinkedHashMap<>();
            query.put("name", name);
            out().many(every(path("/workspaces/%s/advice", ws), query), ADVICE);
        }
    }

    /**
     * {@code srg run}: submits a task; with {@code --follow} streams its log and exits with the
     * task's exit code (124 when it timed out, 130 when cancelled, 137 when out of memory).
     */
    @Command(name = "run", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
            description = "Run a Shell or Python task on a resource group; --follow streams its log and exits with its exit code.")
    static final class Run extends ClientCommand implements java.util.concurrent.Callable<Integer> {
        @Option(names = {"-w", "--workspace"}, paramLabel = "WS",
                description = DEFAULT_WORKSPACE)
        String workspace;
        @Option(names = "--rg", paramLabel = "RG", description = "the resource group, a name or id (default: the workspace's default)")
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
        @Option(names = "--image", paramLabel = "IMAGE", description = "run in this AVAILABLE custom image: its id or name (srg image list)")
        String image;
        @Option(names = {"-f", "--follow"}, description = "stream the log and exit with the task's exit code") boolean follow;
        @Option(names = "--dry-run", description = "submit nothing: say whether it would start now, else its place, why it"
                + " waits, when it should start, and what it should cost") boolean dryRun;
        @Parameters(paramLabel = "SCRIPT", arity = "0..*", description = "the script (words are joined with spaces)")
        List<String> words;

        @Override
        public Integer call() throws IOException {
            String ws = workspace(workspace);
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
            if (dryRun) {
                // SPEC BEY-1
                out().one(api.post(API + "/instances?dryRun=true", body("workspaceId", ws, "resourceGroupId", group, "type", kind,
                        "script", script, "cu", cu, "priority", priority, "timeoutSeconds", timeout, "name", name)), DRY_RUN);
                return 0;
            }
            JsonNode instance = api.post(API + "/instances", body("workspaceId", ws, "resourceGroupId", group, "type", kind,
                    "script", script, "cu", cu, "priority", priority, "timeoutSeconds", timeout, "name", name, "imageId", image));
            String id = instance.path("id").asString();
            PrintWriter err = spec.commandLine().getErr();
            instance.path("warnings").forEach(w -> err.println("warning: " + w.asString()));
            if (!follow) {
                out().one(instance, INSTANCE);
                return 0;
            }
            JsonNode queue = instance.path("queue");
            // the group by its name, as the user knows it (one request unless --rg named it already)
            String groupId = instance.path("resourceGroupId").asString();
            Names.Labels labels = api.labels();
            labels.prefetch(Map.of("resourceGroupId", Set.of(groupId)));
            // a queued task prints nothing for a while: say where it waits and why (srg instance list --status QUEUED)
            err.println("instance " + id + " " + instance.path("status").asString() + " on " + labels.label("resourceGroupId", groupId)
                    + (!queue.has("position") ? ""
                    // READY: nothing stops it, the dispatcher admits it next (the submit answers before admission)
                    : "READY".equals(queue.path("reason").asString()) ? " (nothing stops it: starting)"
                    : " (#" + queue.path("position").asInt() + " in the queue: " + queue.path("reason").asString()
                    + "; it starts when that clears)"));
            err.flush();
            // Ctrl-C stops following, not the task: say so, and how to stop it too
            Thread hint = new Thread(() -> {
                err.println();
                err.println("stopped following; instance " + id + " keeps running. Cancel it: srg instance cancel " + id
                        + "   follow it again: srg instance log " + id + " --follow");
                err.flush();
            }, "srg-follow-hint");
            Runtime.getRuntime().addShutdownHook(hint);
            try {
                stream(api, id, true, 0, spec.commandLine().getOut());
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hint);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it says what to do
                }
            }
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
