package dev.srg.server;

import dev.srg.execution.local.LocalBackendConfig;
import dev.srg.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * The training run behind the server's AOT cache (JDK 25+, made in the background by the
 * {@code srg} launcher the first time a server starts on a new jar, or in the foreground with
 * {@code SRG_LAUNCHER_TRAIN_ONLY=1}; issue 17). JDK 25's cache keeps the classes loaded and linked
 * (a restart with 10,000 queued tasks must admit again within seconds) and the run's method
 * profiles, from which the server's JIT compiles the run's hot methods at start-up: so the run
 * goes through what a server does most, the task path — submissions from concurrent clients
 * through the API, admission, launches through the real local backend (the compiled supervisor
 * and its launcher), exits, the instance list, get and log — besides the calls a server answers
 * first (health, lists, a few changes, the OpenAPI document, the console's sign-in page).
 *
 * <p>It runs on a user's host, in the background, possibly beside a running server, so it is
 * kept apart from every server and leaves nothing. What it touches, exactly:
 * <ul>
 *   <li>a temporary directory ({@code java.io.tmpdir}/srg-server-training-*) that holds its data
 *       directory, its embedded PostgreSQL (its own cluster, own port/socket there, stopped with
 *       the server) and its task directory (instance directories, uid claims, the supervisor
 *       binary, the launcher's socket); removed at the end, whatever happened;</li>
 *   <li>processes: the server's PostgreSQL, the supervisors' launcher, one supervisor and one
 *       {@code true} per task; all have ended when it exits (it waits for every task to end
 *       before it stops the server, which stops the launcher and PostgreSQL);</li>
 *   <li>when root, the tasks' uids: taken from {@link LocalBackendConfig#TRAINING_TASK_UID_BASE}
 *       on, a range no server uses (a server's range is fixed), so no task of a live server
 *       shares a uid with one of the run's, and no claim of the run's is in a server's
 *       directory; nothing runs as them once the run is over;</li>
 *   <li>no cgroups (the tasks are not limited: a server's tasks' cgroups and srg's parent cgroup
 *       are not read, made or written), no network namespace, veth, route, nft rule or
 *       {@code ip_forward} (task networks off), no custom image;</li>
 *   <li>two TCP ports on 127.0.0.1 (ephemeral): its API and its PostgreSQL;</li>
 *   <li>when root and the host has none yet, the system user {@code srg} that srg's PostgreSQL runs
 *       as (the server the cache is made for makes the same user at its start).</li>
 * </ul>
 * It runs at the launcher's nice 10 (its supervisors and tasks at the launcher's nice steps below
 * that): a few tens of seconds of one core's time.
 * It prints three lines, which the launcher drops and the tests read: how many tasks were submitted
 * and succeeded, in how many seconds; the tasks' instance ids (their cgroup and network namespace
 * names on a server, so that a test can see that none was made); the uids the one-at-a-time tasks
 * (which run {@code id -u}) printed.
 */
public final class ServerTraining {
    /** Tasks submitted concurrently (the path under load: bench/run's throughput row). */
    static final int TASKS = Integer.getInteger("srg.training.tasks", 300);
    /** Clients submitting them at once. */
    static final int CLIENTS = 8;
    /** Tasks submitted one at a time, each followed until it ends (the one-at-a-time path). */
    static final int ONE_AT_A_TIME = 10;
    private static final long TASKS_DEADLINE_MILLIS = TimeUnit.MINUTES.toMillis(5);
    private static final Set<String> ACTIVE = Set.of("QUEUED", "STARTING", "RUNNING");

    private ServerTraining() {}

    public static void main(String[] args) {
        int exit = 0;
        try {
            System.out.println(train());
        } catch (Exception | Error e) {
            e.printStackTrace();
            exit = 1; // no cache is made from a failed run
        }
        // the server's non-daemon threads (Jetty's, the pool's) must not keep the run alive, nor a failure hang it
        System.exit(exit);
    }

    private static String train() throws Exception {
        long start = System.nanoTime();
        Path dir = Files.createTempDirectory("srg-server-training-");
        try {
            // the embedded PostgreSQL runs as its own user when srg is root: it must reach the directory
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            ServerConfig config = ServerConfig.forDatabase(dir, null, null, null)
                    .withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement.OFF)
                    .withLocalBackend(local -> local.withCgroupRoot(Optional.empty())
                            .withTaskUids(LocalBackendConfig.TRAINING_TASK_UID_BASE, LocalBackendConfig.DEFAULT_TASK_UID_SLOTS));
            try (SrgServer server = SrgServer.start(config)) {
                String base = "http://127.0.0.1:" + server.port();
                String token = server.bootstrapToken().orElseThrow();
                for (int round = 0; round < 3; round++) {
                    call(base + "/healthz", null, null);
                    for (String list : new String[] {"resource-groups", "instances", "workspaces", "vpcs", "regions"}) {
                        call(base + "/api/v1/" + list, token, null);
                    }
                    String vpc = "{\"name\":\"training-" + round + "\",\"regionId\":\"local\",\"cidr\":\"10." + round + ".0.0/16\"}";
                    call(base + "/api/v1/vpcs", token, vpc);
                    call(base + "/api/v1/resource-groups", token, "{\"name\":\"training-" + round + "\",\"regionId\":\"local\","
                            + "\"zoneId\":\"local-a\",\"billingMode\":\"PAY_AS_YOU_GO\",\"maxCu\":1}");
                    call(base + "/api/v1/instances/i-missing", token, null);
                    call(base + "/api/v1/resource-groups", null, null); // a 401
                }
                call(base + "/api/v1/openapi.json", null, null);
                call(base + "/console/sign-in", null, null);
                Tasks tasks = tasks(base, token);
                return String.format("srg server training: %d tasks submitted, %d succeeded in %.1f s%ninstances: %s%ntask uids: %s",
                        tasks.ids().size(), tasks.succeeded(), (System.nanoTime() - start) / 1e9, String.join(" ", tasks.ids()),
                        String.join(" ", tasks.uids()));
            }
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }

    /**
     * The task path as {@code srg load} drives it (bench/run): a group and a workspace, tasks of
     * 0.25 CU running {@code true} from {@link #CLIENTS} clients at once, then one at a time, each
     * followed with gets; the instance list by status until the group is idle; a few logs. Returns
     * the tasks submitted and how many succeeded; every task has ended when it returns.
     */
    private static Tasks tasks(String base, String token) throws Exception {
        String vpc = id(call(base + "/api/v1/vpcs", token, "{\"name\":\"training\",\"regionId\":\"local\",\"cidr\":\"10.9.0.0/16\"}"));
        String vsw = id(call(base + "/api/v1/vpcs/" + vpc + "/vswitches", token,
                "{\"name\":\"training\",\"zoneId\":\"local-a\",\"cidr\":\"10.9.1.0/24\"}"));
        String group = id(call(base + "/api/v1/resource-groups", token, "{\"name\":\"training\",\"regionId\":\"local\","
                + "\"zoneId\":\"local-a\",\"billingMode\":\"SUBSCRIPTION\",\"specCu\":2,\"billingCycle\":{\"unit\":\"MONTH\",\"count\":1},"
                + "\"vpcId\":\"" + vpc + "\",\"vswitchId\":\"" + vsw + "\"}"));
        long deadline = System.currentTimeMillis() + TASKS_DEADLINE_MILLIS;
        while (!"RUNNING".equals(field(call(base + "/api/v1/resource-groups/" + group, token, null), "status"))) {
            pause(deadline, 50);
        }
        call(base + "/api/v1/resource-groups/" + group + "/concurrency", token, "PUT", "{\"schedulingMaxRunning\":200}");
        String workspace = id(call(base + "/api/v1/workspaces", token, "{\"name\":\"training\",\"regionId\":\"local\","
                + "\"defaultResourceGroupId\":\"" + group + "\"}"));
        String task = "{\"workspaceId\":\"" + workspace + "\",\"type\":\"SHELL\",\"script\":\"true\",\"cu\":0.25,\"timeoutSeconds\":60}";
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < CLIENTS; c++) {
                clients.submit(() -> {
                    while (next.getAndIncrement() < TASKS) {
                        ids.add(id(call(base + "/api/v1/instances", token, task)));
                    }
                    return null;
                });
            }
        }
        while (!idle(base, token, group)) {
            pause(deadline, 20);
        }
        // these print their uid, which the run reports (a test checks that it is the training's)
        String uidTask = task.replace("\"script\":\"true\"", "\"script\":\"id -u\"");
        Set<String> uids = new java.util.TreeSet<>();
        for (int i = 0; i < ONE_AT_A_TIME; i++) {
            String id = id(call(base + "/api/v1/instances", token, uidTask));
            ids.add(id);
            while (ACTIVE.contains(field(call(base + "/api/v1/instances/" + id, token, null), "status"))) {
                pause(deadline, 10);
            }
            uids.add(call(base + "/api/v1/instances/" + id + "/log", token, null).strip());
        }
        int succeeded = 0;
        for (String id : List.copyOf(ids)) {
            if ("SUCCEEDED".equals(field(call(base + "/api/v1/instances/" + id, token, null), "status"))) {
                succeeded++;
            }
        }
        return new Tasks(List.copyOf(ids), succeeded, List.copyOf(uids));
    }

    private record Tasks(List<String> ids, int succeeded, List<String> uids) {}

    private static boolean idle(String base, String token, String group) throws IOException {
        for (String status : ACTIVE) {
            String page = call(base + "/api/v1/instances?resourceGroupId=" + group + "&status=" + status + "&pageSize=1", token, null);
            if (!Json.MAPPER.readTree(page).path("items").isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Waits a little; fails once the run has taken longer than it may (its tasks then end with the server's stop). */
    private static void pause(long deadline, long millis) throws InterruptedException {
        if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("the training's tasks did not end in time");
        }
        Thread.sleep(millis);
    }

    private static String id(String json) {
        String id = field(json, "id");
        if (id == null) {
            throw new IllegalStateException("no id in " + json);
        }
        return id;
    }

    private static String field(String json, String name) {
        JsonNode node = Json.MAPPER.readTree(json).get(name);
        return node == null || !node.isString() ? null : node.asString();
    }

    private static String call(String url, String token, String body) throws IOException {
        return call(url, token, body == null ? "GET" : "POST", body);
    }

    /** One request; the answer's body (a refusal's too: it is trained as well). */
    private static String call(String url, String token, String method, String body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        if (token != null) {
            c.setRequestProperty("Authorization", "Bearer " + token);
        }
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
