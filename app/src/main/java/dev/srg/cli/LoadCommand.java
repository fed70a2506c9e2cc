package dev.srg.cli;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code srg load}: an end-to-end load run through the public HTTP API. Submits trivial tasks as
 * fast as the client can (or one at a time, each after the previous one finished), waits until all
 * have finished, and prints throughput and the latency from submit to the task's first
 * instruction (each task prints {@code $EPOCHREALTIME} first; the submit time is the client's
 * clock just before the request, so both sides read the same clock).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Submit many trivial tasks through the API and print throughput and submit-to-start latency.")
public final class LoadCommand implements Callable<Integer> {
    private static final Set<String> ACTIVE = Set.of("QUEUED", "STARTING", "RUNNING");

    @Option(names = "--url", description = "Server URL (default $SRG_URL or http://localhost:8080).")
    String url;
    @Option(names = "--token-file", description = "File holding the token (default $SRG_TOKEN).")
    Path tokenFile;
    @Option(names = "--tasks", defaultValue = "2000", description = "How many tasks (default ${DEFAULT-VALUE}).")
    int tasks;
    @Option(names = "--cu", defaultValue = "0.25", description = "CU per task (default ${DEFAULT-VALUE}).")
    BigDecimal cu;
    @Option(names = "--clients", defaultValue = "16", description = "Concurrent submitting clients (default ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--spec-cu", description = "Capacity of the group the run creates (default: the machine's cores).")
    Integer specCu;
    @Option(names = "--script", defaultValue = "echo $EPOCHREALTIME", description = "The task (its first output line must be $EPOCHREALTIME unless --no-latency).")
    String script;
    @Option(names = "--one-at-a-time", description = "Submit the next task only when the previous one has finished (latency on an idle system).")
    boolean oneAtATime;
    @Option(names = "--gap-ms", defaultValue = "0", description = "With --one-at-a-time: idle time between a task's end and the next submit (default ${DEFAULT-VALUE}).")
    long gapMillis;
    @Option(names = "--latency", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Read each task's log for its start time (default); --no-latency for tasks that print nothing.")
    boolean latency;
    @Option(names = "--samples", description = "Write each submit-to-first-instruction latency (ms) to this file, one a line.")
    Path samplesFile;
    @Option(names = "--report", description = "Also write the figures to this file as key=value lines.")
    Path reportFile;

    @Override
    public Integer call() throws Exception {
        String base = url != null ? url : System.getenv().getOrDefault("SRG_URL", "http://localhost:8080");
        String token = tokenFile != null ? Files.readString(tokenFile).strip() : System.getenv("SRG_TOKEN");
        if (token == null) {
            System.err.println("error: give --token-file or set SRG_TOKEN");
            return 2;
        }
        // srg's own HTTP/1.1 client, its connections kept: each request is written and its answer read on
        // the submitting thread (the JDK's HttpClient handed every request between the caller, its
        // selector thread and its executor: the client's CPU per task, on the server's two cores)
        ApiClient api = ApiClient.keepingConnections(base, token);
        int cores = Math.max(2, specCu != null ? specCu : Runtime.getRuntime().availableProcessors());
        Target target = setUp(api, cores);
        // every submission has the same body: written once, not per call
        String body = JsonTree.write(Map.of("workspaceId", target.workspaceId(), "type", "SHELL",
                "script", script, "cu", cu, "timeoutSeconds", 600));
        System.out.printf("load: %d tasks of %s CU, %s, a %d-CU group, against %s%n", tasks, cu.toPlainString(),
                oneAtATime ? "one at a time" : clients + " clients", cores, base);

        Map<String, Double> submittedEpoch = new ConcurrentHashMap<>();
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        List<Double> submitLatencyMs = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        long cpuAtStart = cpuNanos();
        long start = System.nanoTime();
        if (oneAtATime) {
            for (int i = 0; i < tasks; i++) {
                if (i > 0 && gapMillis > 0) {
                    Thread.sleep(gapMillis);
                }
                String id = submit(api, body, ids, submittedEpoch, submitLatencyMs, failures);
                if (id != null) {
                    waitUntilFinished(api, id);
                }
            }
        } else {
            Semaphore inFlight = new Semaphore(clients);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < tasks; i++) {
                    inFlight.acquire();
                    pool.submit(() -> {
                        try {
                            submit(api, body, ids, submittedEpoch, submitLatencyMs, failures);
                        } finally {
                            inFlight.release();
                        }
                    });
                }
            }
        }
        long submitted = System.nanoTime();
        long submitPhaseCpu = cpuAtStart < 0 ? -1 : cpuNanos() - cpuAtStart;
        while (!idle(api, target.groupId())) {
            Thread.sleep(20);
        }
        long done = System.nanoTime();
        int notSucceeded = 0;
        for (String status : List.of("FAILED", "CANCELLED", "TIMED_OUT")) {
            notSucceeded += count(api, target.groupId(), status);
        }
        List<Double> startLatencyMs = new ArrayList<>();
        int withoutOutput = 0;
        if (latency) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Semaphore readers = new Semaphore(clients);
                List<Future<Double>> futures = new ArrayList<>();
                for (String id : List.copyOf(ids)) {
                    futures.add(pool.submit(() -> {
                        readers.acquire();
                        try {
                            String log = new String(api.stream("/api/v1/instances/" + id + "/log").body().readAllBytes(),
                                    StandardCharsets.UTF_8);
                            String first = log.lines().findFirst().orElse("").strip().replace(',', '.');
                            return first.isEmpty() ? Double.NaN : (Double.parseDouble(first) - submittedEpoch.get(id)) * 1000;
                        } finally {
                            readers.release();
                        }
                    }));
                }
                for (Future<Double> f : futures) {
                    double ms = f.get();
                    if (Double.isNaN(ms)) {
                        withoutOutput++;
                    } else {
                        startLatencyMs.add(ms);
                    }
                }
            }
        }
        double seconds = (done - start) / 1e9;
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("tasks submitted", ids.size());
        report.put("submit failures", failures.get());
        report.put("tasks not succeeded", notSucceeded);
        if (latency) {
            report.put("tasks without output", withoutOutput);
        }
        report.put("submit phase (s)", String.format("%.2f", (submitted - start) / 1e9));
        report.put("all finished after (s)", String.format("%.2f", seconds));
        report.put("throughput (tasks/s, submit to all finished)", String.format("%.1f", ids.size() / seconds));
        report.put("submit call latency ms min/p50/p99/max", percentiles(submitLatencyMs));
        report.put("submit call mean (ms)", String.format("%.1f", mean(submitLatencyMs)));
        if (submitPhaseCpu >= 0 && !ids.isEmpty()) {
            // what this client took from the machine's cores while the submissions went on
            report.put("client CPU per submit, submit phase (ms)", String.format("%.2f", submitPhaseCpu / 1e6 / ids.size()));
        }
        if (latency) {
            report.put("submit to first instruction ms min/p50/p99/max", percentiles(startLatencyMs));
        }
        report.forEach((k, v) -> System.out.printf("  %-48s %s%n", k, v));
        if (samplesFile != null) {
            Files.write(samplesFile, startLatencyMs.stream().map(ms -> String.format("%.3f", ms)).toList());
        }
        if (reportFile != null) {
            writeReport(ids.size(), failures.get() + notSucceeded + withoutOutput, seconds, (submitted - start) / 1e9,
                    submitLatencyMs, submitPhaseCpu);
        }
        return failures.get() == 0 && notSucceeded == 0 && withoutOutput == 0 ? 0 : 1;
    }

    private String submit(ApiClient api, String body, List<String> ids, Map<String, Double> submittedEpoch,
                          List<Double> submitLatencyMs, AtomicInteger failures) {
        try {
            Instant now = Instant.now();
            long t0 = System.nanoTime();
            JsonNode r = api.post("/api/v1/instances", body);
            submitLatencyMs.add((System.nanoTime() - t0) / 1e6);
            String id = r.get("id").asString();
            submittedEpoch.put(id, now.getEpochSecond() + now.getNano() / 1e9);
            ids.add(id);
            return id;
        } catch (RuntimeException e) {
            if (failures.getAndIncrement() == 0) {
                System.err.println("load: a submit failed: " + e.getMessage());
            }
            return null;
        }
    }

    private static void waitUntilFinished(ApiClient api, String id) throws InterruptedException {
        while (ACTIVE.contains(api.get("/api/v1/instances/" + id).get("status").asString())) {
            Thread.sleep(20);
        }
    }

    private static boolean idle(ApiClient api, String groupId) {
        for (String status : ACTIVE) {
            if (count(api, groupId, status) > 0) {
                return false;
            }
        }
        return true;
    }

    /** 0 or 1: whether the group has an instance in this status. */
    private static int count(ApiClient api, String groupId, String status) {
        JsonNode page = api.get("/api/v1/instances", Map.of("resourceGroupId", groupId, "status", status, "pageSize", "1"));
        return page.get("items").isEmpty() ? 0 : 1;
    }

    private void writeReport(int submitted, int failed, double seconds, double submitSeconds, List<Double> submitCallMs,
                             long submitPhaseCpuNanos) throws IOException {
        List<String> lines = new ArrayList<>(List.of("tasks=" + submitted, "failed=" + failed,
                String.format("seconds=%.3f", seconds), String.format("submit_seconds=%.3f", submitSeconds),
                String.format("tasks_per_second=%.2f", submitted / seconds),
                // min p50 p99 max, space-separated for bench/run
                "submit_call_ms=" + percentiles(submitCallMs).replace(" / ", " "),
                String.format("submit_call_mean_ms=%.2f", mean(submitCallMs))));
        if (submitPhaseCpuNanos >= 0 && submitted > 0) {
            lines.add(String.format("client_cpu_ms_per_submit=%.3f", submitPhaseCpuNanos / 1e6 / submitted));
        }
        Files.write(reportFile, lines);
    }

    /** This process's CPU time so far (all its threads, user and system), or -1 where the OS does not say. */
    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
    }

    private static double mean(List<Double> values) {
        synchronized (values) {
            return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    private record Target(String groupId, String workspaceId) {}

    /** A VPC, a group sized to the machine with the highest concurrency, and a workspace using it. */
    private static Target setUp(ApiClient api, int specCu) throws InterruptedException {
        String suffix = Long.toString(System.currentTimeMillis() % 100000);
        int octet = (int) (System.nanoTime() % 200) + 20;
        String vpc = api.post("/api/v1/vpcs", Map.of("name", "load-" + suffix, "regionId", "local",
                "cidr", "10." + octet + ".0.0/16")).get("id").asString();
        String vsw = api.post("/api/v1/vpcs/" + vpc + "/vswitches", Map.of("name", "load", "zoneId", "local-a",
                "cidr", "10." + octet + ".1.0/24")).get("id").asString();
        String rg = api.post("/api/v1/resource-groups", Map.of("name", "load-" + suffix, "regionId", "local",
                "zoneId", "local-a", "billingMode", "SUBSCRIPTION", "specCu", specCu,
                "billingCycle", Map.of("unit", "MONTH", "count", 1), "vpcId", vpc, "vswitchId", vsw)).get("id").asString();
        while (!api.get("/api/v1/resource-groups/" + rg).get("status").asString().equals("RUNNING")) {
            Thread.sleep(100);
        }
        api.put("/api/v1/resource-groups/" + rg + "/concurrency", Map.of("schedulingMaxRunning", 200));
        String ws = api.post("/api/v1/workspaces", Map.of("name", "load-" + suffix, "regionId", "local",
                "defaultResourceGroupId", rg)).get("id").asString();
        return new Target(rg, ws);
    }

    static String percentiles(List<Double> values) {
        if (values.isEmpty()) {
            return "-";
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format("%.1f / %.1f / %.1f / %.1f", v[0], v[(int) Math.floor(0.5 * (v.length - 1))],
                v[(int) Math.floor(0.99 * (v.length - 1))], v[v.length - 1]);
    }
}
