package dev.srg.cli;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code srg load}: an end-to-end load run through the public HTTP API. Submits trivial tasks as
 * fast as the client can, waits until all have finished, and prints throughput and the latency
 * from submit to the task's first instruction (each task prints {@code $EPOCHREALTIME} first).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Submit many trivial tasks through the API and print throughput and submit-to-start latency.")
public final class LoadCommand implements Callable<Integer> {
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
    @Option(names = "--script", defaultValue = "echo $EPOCHREALTIME", description = "The task (its first output line must be $EPOCHREALTIME).")
    String script;

    @Override
    public Integer call() throws Exception {
        String base = url != null ? url : System.getenv().getOrDefault("SRG_URL", "http://localhost:8080");
        String token = tokenFile != null ? Files.readString(tokenFile).strip() : System.getenv("SRG_TOKEN");
        if (token == null) {
            System.err.println("error: give --token-file or set SRG_TOKEN");
            return 2;
        }
        ApiClient api = new ApiClient(base, token);
        int cores = specCu != null ? specCu : Runtime.getRuntime().availableProcessors();
        String workspace = setUp(api, Math.max(2, cores));
        System.out.printf("load: %d tasks of %s CU, %d clients, a %d-CU group, against %s%n", tasks, cu.toPlainString(),
                clients, Math.max(2, cores), base);

        Map<String, Long> submittedNanos = new ConcurrentHashMap<>();
        Map<String, Double> submittedEpoch = new ConcurrentHashMap<>();
        List<Long> submitLatency = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        Semaphore inFlight = new Semaphore(clients);
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < tasks; i++) {
                inFlight.acquire();
                pool.submit(() -> {
                    try {
                        double epoch = System.currentTimeMillis() / 1000.0;
                        long t0 = System.nanoTime();
                        JsonNode r = api.post("/api/v1/instances", Map.of("workspaceId", workspace, "type", "SHELL",
                                "script", script, "cu", cu, "timeoutSeconds", 600));
                        submitLatency.add(System.nanoTime() - t0);
                        submittedNanos.put(r.get("id").asString(), t0);
                        submittedEpoch.put(r.get("id").asString(), epoch);
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                    } finally {
                        inFlight.release();
                    }
                });
            }
        }
        long submitted = System.nanoTime();
        // wait until every task has finished
        List<String> ids = new ArrayList<>(submittedNanos.keySet());
        while (true) {
            JsonNode usage = api.get("/api/v1/instances", Map.of("status", "QUEUED", "pageSize", "1"));
            JsonNode running = api.get("/api/v1/instances", Map.of("status", "RUNNING", "pageSize", "1"));
            JsonNode starting = api.get("/api/v1/instances", Map.of("status", "STARTING", "pageSize", "1"));
            if (usage.get("items").isEmpty() && running.get("items").isEmpty() && starting.get("items").isEmpty()) {
                break;
            }
            Thread.sleep(50);
        }
        long done = System.nanoTime();
        List<Double> startLatencyMs = new ArrayList<>();
        int failed = 0;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Double>> futures = new ArrayList<>();
            for (String id : ids) {
                futures.add(pool.submit(() -> {
                    String log = new String(api.stream("/api/v1/instances/" + id + "/log").body().readAllBytes(), StandardCharsets.UTF_8);
                    String first = log.lines().findFirst().orElse("").strip().replace(',', '.');
                    return first.isEmpty() ? Double.NaN : (Double.parseDouble(first) - submittedEpoch.get(id)) * 1000;
                }));
            }
            for (var f : futures) {
                double ms = f.get();
                if (Double.isNaN(ms)) {
                    failed++;
                } else {
                    startLatencyMs.add(ms);
                }
            }
        }
        double seconds = (done - start) / 1e9;
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("tasks submitted", ids.size());
        report.put("submit failures", failures.get());
        report.put("tasks without output", failed);
        report.put("submit phase (s)", String.format("%.2f", (submitted - start) / 1e9));
        report.put("all finished after (s)", String.format("%.2f", seconds));
        report.put("throughput (tasks/s, submit to all finished)", String.format("%.1f", ids.size() / seconds));
        report.put("submit call latency ms p50/p99/max", percentiles(submitLatency.stream().map(n -> n / 1e6).toList()));
        report.put("submit to first instruction ms p50/p99/max", percentiles(startLatencyMs));
        report.forEach((k, v) -> System.out.printf("  %-48s %s%n", k, v));
        return failures.get() == 0 && failed == 0 ? 0 : 1;
    }

    /** A VPC, a group sized to the machine with the highest concurrency, and a workspace using it. */
    private static String setUp(ApiClient api, int specCu) throws InterruptedException {
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
        return api.post("/api/v1/workspaces", Map.of("name", "load-" + suffix, "regionId", "local",
                "defaultResourceGroupId", rg)).get("id").asString();
    }

    static String percentiles(List<Double> values) {
        if (values.isEmpty()) {
            return "-";
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format("%.1f / %.1f / %.1f", v[(int) Math.floor(0.5 * (v.length - 1))],
                v[(int) Math.floor(0.99 * (v.length - 1))], v[v.length - 1]);
    }
}
