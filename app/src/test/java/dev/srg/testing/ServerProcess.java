package dev.srg.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * {@code srg server} as a real separate JVM, so that tests can kill it with SIGKILL.
 *
 * <p>Nothing it started outlives the test JVM: a server killed with SIGKILL leaves its embedded
 * PostgreSQL (and its tasks) behind on purpose, for the next start to find; whatever is still left
 * of them when the test is done ({@link #stopLeftBehind}) or the test JVM exits is stopped, and so
 * is every server still running and every process of a server that failed to start.
 */
public final class ServerProcess implements AutoCloseable {
    /**
     * How long {@link #start(Path, String...)} waits for a server to listen: a JVM and an embedded
     * PostgreSQL's first start have taken 1-3 minutes on a loaded CI machine (the wait ends as soon as it
     * listens; a test's own timeout still interrupts it, with the server's output).
     */
    public static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    /**
     * Every JVM this class starts runs with these: the client compiler only (C1) and the serial
     * collector, as the launcher runs srg's client commands. A test's server lives seconds to a
     * minute, mostly starting; C2's compiler threads and G1's took a third of its CPU time
     * (12.0-13.0 s against 7.2-8.4 s for a start and a stop, 23 s against 16 s for a demo; loads 11-19,
     * docs/benchmarks.md), and CI has two cores. Nothing a test asserts depends on the JIT or the
     * collector; the launcher's own options are LauncherTest's.
     */
    public static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final Pattern RUNNING = Pattern.compile("srg is running at http://localhost:(\\d+)");
    /** Servers started and not stopped yet, and the processes killed servers left behind. */
    private static final Set<ProcessHandle> OUTSTANDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ServerProcess::stopLeftBehind, "srg-test-server-reaper"));
    }

    private final Process process;
    private final int port;
    private final List<String> output;

    private ServerProcess(Process process, int port, List<String> output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /** Starts {@code srg server --port 0 --data-dir DIR ARGS} and waits until it listens ({@link #START_TIMEOUT}). */
    public static ServerProcess start(Path dataDir, String... args) throws IOException, InterruptedException {
        return start(dataDir, START_TIMEOUT, args);
    }

    /** The same, waiting up to {@code timeout} (several servers starting at once on a loaded machine). */
    public static ServerProcess start(Path dataDir, Duration timeout, String... args) throws IOException, InterruptedException {
        return start(dataDir, timeout, List.of(), args);
    }

    /** The same, with {@code jvmOptions} for the server's JVM (system properties: {@code -Dname=value}). */
    public static ServerProcess start(Path dataDir, Duration timeout, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.srg.Main",
                "server", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Process p = pb.start();
        OUTSTANDING.add(p.toHandle());
        List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    Matcher m = RUNNING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
            port.completeExceptionally(new IllegalStateException("srg server exited: " + String.join("\n", output)));
        }, "srg-server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new ServerProcess(p, port.get(timeout.toMillis(), TimeUnit.MILLISECONDS), output);
        } catch (Exception e) {
            // with everything it started so far (an embedded PostgreSQL, most often): nothing outlives a failed start
            stopTree(p.toHandle(), Duration.ZERO, true);
            throw new IllegalStateException("srg server did not start: " + e.getMessage() + "\n" + String.join("\n", output), e);
        }
    }

    /** Runs {@code srg server ...} expecting it to fail; returns its exit code and output. */
    public static Result runExpectingFailure(Path dataDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.srg.Main",
                "server", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            stopTree(p.toHandle(), Duration.ZERO, true);
            throw new IllegalStateException("srg server did not exit:\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** Runs {@code srg ARGS} (any command, nothing added) to its end; returns its exit code and output. */
    public static Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.srg.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            stopTree(p.toHandle(), Duration.ZERO, true);
            throw new IllegalStateException("srg did not exit:\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    public record Result(int exitCode, String output) {}

    /** A server's options for a test that restarts it: on {@code db}, groups provisioned at once, networks not enforced. */
    public static String[] onDatabase(TestDatabases.Fresh db) {
        List<String> args = new ArrayList<>(List.of("--database-url", db.url(), "--provisioning-delay-ms", "0",
                "--network-enforcement", "off"));
        if (db.user() != null) {
            args.addAll(List.of("--database-user", db.user()));
        }
        if (db.password() != null) {
            args.addAll(List.of("--database-password", db.password()));
        }
        return args.toArray(String[]::new);
    }

    /**
     * What a test of a server process submits to: a workspace whose default group (subscription,
     * 2 CU, on a new VPC 10.0.0.0/16) is RUNNING; its id.
     */
    public static String workspaceOnARunningGroup(TestHttp http) {
        String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.0/16")).id();
        String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.0.1.0/24")).id();
        String rg = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                "billingMode", "SUBSCRIPTION", "specCu", 2, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                "vpcId", vpc, "vswitchId", vsw)).id();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                http.get("resource-groups/" + rg).json().get("status").asString().equals("RUNNING"));
        return http.post("workspaces", Map.of("name", "w", "regionId", "local", "defaultResourceGroupId", rg)).id();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public TestHttp http(Path dataDir) throws IOException {
        return new TestHttp(url(), Files.readString(dataDir.resolve("admin.token")).strip());
    }

    public String output() {
        return String.join("\n", output);
    }

    public long pid() {
        return process.pid();
    }

    /** Sends a signal by name ({@code STOP}, {@code CONT}) with kill(1). */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** The exit code once the process ends within {@code timeout}, or -1 while it still runs. */
    public int waitForExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /**
     * SIGKILL: no shutdown hook runs, the embedded PostgreSQL (and the tasks) are left behind, for the
     * next start on the same data directory; {@link #stopLeftBehind} stops what is left of them.
     */
    public void kill() throws InterruptedException {
        OpenApiContract.forget(url());
        OUTSTANDING.addAll(process.descendants().toList());
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        OUTSTANDING.remove(process.toHandle());
    }

    /**
     * SIGTERM: a clean stop (SIGKILL after 60 s). What it leaves running on purpose (tasks outlive a
     * restart) is stopped by {@link #stopLeftBehind}.
     */
    @Override
    public void close() {
        OpenApiContract.forget(url());
        stopTree(process.toHandle(), Duration.ofSeconds(60), false);
    }

    /**
     * Stops every server still running and what killed servers left behind (their embedded
     * PostgreSQL, their tasks): SIGTERM (a PostgreSQL shuts down cleanly), SIGKILL 20 s later.
     * For the end of a test that kills servers; the test JVM does it at its exit anyway.
     */
    public static void stopLeftBehind() {
        List<ProcessHandle> all = List.copyOf(OUTSTANDING);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessHandle h : all) {
            awaitExit(h, deadline);
            h.destroyForcibly();
            OUTSTANDING.remove(h);
        }
    }

    /**
     * Stops {@code root} (SIGTERM, SIGKILL after {@code grace}); its descendants that outlive it are stopped
     * too ({@code all}) or noted as left behind.
     */
    private static void stopTree(ProcessHandle root, Duration grace, boolean all) {
        List<ProcessHandle> descendants = root.descendants().toList();
        root.destroy();
        awaitExit(root, System.nanoTime() + grace.toNanos());
        root.destroyForcibly();
        awaitExit(root, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        OUTSTANDING.remove(root);
        if (!all) {
            descendants.stream().filter(ProcessHandle::isAlive).forEach(OUTSTANDING::add);
            return;
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (ProcessHandle d : descendants) {
            awaitExit(d, deadline);
            d.destroyForcibly();
        }
    }

    private static void awaitExit(ProcessHandle h, long deadlineNanos) {
        try {
            h.onExit().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            // still running: the caller kills it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
