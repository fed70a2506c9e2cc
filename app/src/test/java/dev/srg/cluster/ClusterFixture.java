package dev.srg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * Several {@code srg server} JVMs on one PostgreSQL (the test JVM's; it outlives every server),
 * sharing one task directory, with clients that spread their submissions over every live server
 * and move to the next one when a server is gone. The tasks write a side-effect log (start and end
 * of every run, with a time), which tells whether one ran twice, never, or over capacity.
 */
final class ClusterFixture implements AutoCloseable {
    /** The group: 2 CU (pay-as-you-go, so its runs are metered into bill lines), tasks of 0.5 CU, so at most 4 run at once. */
    static final int MAX_CONCURRENT = 4;

    final Path root;
    final Path sideLog;
    final TestDatabases.Fresh db;
    final String[] common;
    final List<Node> nodes = new CopyOnWriteArrayList<>();
    final Set<String> accepted = ConcurrentHashMap.newKeySet();
    final AtomicInteger refused = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> clients = new ArrayList<>();
    /** Every server process started, for their logs at the end. */
    private final List<Map.Entry<String, ServerProcess>> started = new CopyOnWriteArrayList<>();
    private String token;
    private String workspace;
    private HttpServer webhooks;

    /** One server: its data directory (so its id) and, while it runs, its process. */
    static final class Node {
        final String name;
        final Path dataDir;
        volatile ServerProcess process;
        /** SIGSTOPped: clients leave it alone (their calls would hang until SIGCONT). */
        volatile boolean paused;

        Node(String name, Path dataDir) {
            this.name = name;
            this.dataDir = dataDir;
        }

        String id() {
            try {
                return Files.readString(dataDir.resolve("server.id")).strip();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        boolean alive() {
            return process != null && !paused;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    ClusterFixture(int servers, int leaseSeconds) throws IOException {
        root = TestDatabases.dataDirectory("srg-cluster");
        Path tasks = Files.createDirectories(root.resolve("tasks"));
        tasks.toFile().setExecutable(true, false);
        // not under /tmp, of which each task has its own
        sideLog = dev.srg.testing.TaskReachableDirectories.sideEffectsLog("srg-cluster-");
        db = TestDatabases.fresh();
        // the usage sampler and the alert rules every half second: a follower's count of samples must stay 0 while a
        // leader's grows fast, and a rule on the group's utilization changes state often
        Path config = Files.writeString(root.resolve("srg.properties"), "sample-interval-ms=500\nalert-evaluation-interval-ms=500\nwebhook-allowed-cidrs=127.0.0.0/8\n");
        List<String> args = new ArrayList<>(List.of("--database-url", db.url(), "--task-dir", tasks.toString(),
                "--provisioning-delay-ms", "0", "--network-enforcement", "off", "--config", config.toString(), "--cluster-lease-seconds",
                Integer.toString(leaseSeconds), "--datasource-key-file", root.resolve("datasource.key").toString()));
        if (db.user() != null) {
            args.addAll(List.of("--database-user", db.user()));
        }
        if (db.password() != null) {
            args.addAll(List.of("--database-password", db.password()));
        }
        common = args.toArray(String[]::new);
        for (int i = 0; i < servers; i++) {
            nodes.add(new Node("s" + i, Files.createDirectories(root.resolve("s" + i))));
        }
    }

    /** Starts every server at once (one of them leads); sets up a group and a workspace. */
    void startAll() throws Exception {
        List<Thread> starting = new ArrayList<>();
        List<Exception> failures = new CopyOnWriteArrayList<>();
        for (Node n : nodes) {
            starting.add(Thread.ofVirtual().start(() -> {
                try {
                    start(n);
                } catch (Exception e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : starting) {
            t.join();
        }
        assertThat(failures).isEmpty();
        // the one that created the administrator wrote its token
        Node bootstrap = nodes.stream().filter(n -> Files.exists(n.dataDir.resolve("admin.token"))).findFirst().orElseThrow();
        token = Files.readString(bootstrap.dataDir.resolve("admin.token")).strip();
        TestHttp http = http(nodes.get(0));
        String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.0/16")).id();
        String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.0.1.0/24")).id();
        String rg = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                "billingMode", "PAY_AS_YOU_GO", "maxCu", 2, "vpcId", vpc, "vswitchId", vsw)).id();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                http.get("resource-groups/" + rg).json().get("status").asString().equals("RUNNING"));
        workspace = http.post("workspaces", Map.of("name", "w", "regionId", "local", "defaultResourceGroupId", rg)).id();
        // a rule that fires and resolves as the load comes and goes: its events must form one unbroken chain
        webhooks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        webhooks.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhooks.start();
        var rule = http.post("alert-rules", Map.of("name", "busy", "resourceGroupId", rg, "metric", "CU_UTILIZATION", "comparator", "GE",
                "threshold", 0.5, "forSeconds", 0, "webhookUrl", "http://127.0.0.1:" + webhooks.getAddress().getPort() + "/hook"));
        assertThat(rule.status()).as(rule.toString()).isEqualTo(201);
        installWriteLog();
    }

    void start(Node n) throws Exception {
        long began = System.nanoTime();
        ServerProcess p = ServerProcess.start(n.dataDir, Duration.ofMinutes(10), common);
        System.out.printf("cluster: %s started in %d ms%n", n, (System.nanoTime() - began) / 1_000_000);
        started.add(Map.entry(n.name, p));
        synchronized (this) {
            if (stop.get()) {
                p.close(); // a restart that ended after the test did: nothing outlives the fixture
                return;
            }
            n.process = p;
        }
    }

    TestHttp http(Node n) {
        return new TestHttp(n.process.url(), token);
    }

    List<Node> alive() {
        return nodes.stream().filter(Node::alive).toList();
    }

    /** The leader as a live server sees it (the first that answers), with the epoch. */
    Map.Entry<String, Long> leader() {
        for (Node n : alive()) {
            try {
                var r = http(n).get("cluster");
                if (r.status() == 200) {
                    var leader = r.json().get("leader");
                    return Map.entry(leader == null || leader.isNull() ? "" : leader.asString(), r.json().get("epoch").asLong());
                }
            } catch (RuntimeException e) {
                // gone: ask the next
            }
        }
        return Map.entry("", 0L);
    }

    Node node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
    }

    /**
     * A takeover as the database saw it, from the kill (or SIGSTOP) of the old leader: until another server
     * took the lease, and until the new leader's first fenced write (an admission, a dispatch, a recovered
     * outcome, a job's row): the time the cluster did no work.
     */
    record Takeover(String leader, long epoch, Duration leaseTaken, Duration working) {
        @Override
        public String toString() {
            return "lease " + leaseTaken.toMillis() + " ms, working " + working.toMillis() + " ms";
        }
    }

    /**
     * Waits until a server other than {@code old} leads in an epoch after {@code epoch} and did its first
     * fenced write, read from the database (not from a server's HTTP answer, which is slow on a loaded
     * machine); then checks a live server's {@code GET /cluster} names it (SPEC HA-1).
     */
    Takeover awaitTakeover(String old, long epoch, Instant since) throws SQLException {
        // long enough to measure a slow takeover rather than time out on it: the caller checks the bound
        Awaitility.await("a new lease").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Map.Entry<String, Long> l = lease();
            return l.getValue() > epoch && !l.getKey().equals(old);
        });
        Map.Entry<String, Long> lease = lease();
        Instant taken = leaseAcquiredAt();
        Instant[] firstWrite = new Instant[1];
        Awaitility.await("the new leader's first write").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
            try (Connection c = connect(); var s = c.prepareStatement("SELECT min(at) FROM test_write_log WHERE epoch = ?")) {
                s.setString(1, Long.toString(lease.getValue()));
                try (var rs = s.executeQuery()) {
                    rs.next();
                    firstWrite[0] = rs.getTimestamp(1) == null ? null : rs.getTimestamp(1).toInstant();
                    return firstWrite[0] != null;
                }
            }
        });
        Awaitility.await("GET /cluster names the new leader").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> leader().getKey().equals(lease.getKey()));
        return new Takeover(lease.getKey(), lease.getValue(), Duration.between(since, taken), Duration.between(since, firstWrite[0]));
    }

    /** The lease's holder (a server id) and epoch, as the database has them. */
    Map.Entry<String, Long> lease() throws SQLException {
        try (Connection c = connect(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT coalesce(split_part(holder, '/', 2), ''), epoch FROM cluster_lease WHERE id = 1")) {
            rs.next();
            return Map.entry(rs.getString(1), rs.getLong(2));
        }
    }

    /** Clients that submit without a pause, each to the next live server; a failed submit is retried elsewhere with its clientToken. */
    void startClients(int count) {
        for (int c = 0; c < count; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                int next = ThreadLocalRandom.current().nextInt(100);
                while (!stop.get()) {
                    String clientToken = UUID.randomUUID().toString();
                    Map<String, Object> body = Map.of("workspaceId", workspace, "type", "SHELL", "cu", 0.5, "clientToken", clientToken,
                            "script", "echo \"start $SRG_INSTANCE_ID $(date +%s%N)\" >> " + sideLog + "; sleep 0.2; "
                                    + "echo \"end $SRG_INSTANCE_ID $(date +%s%N)\" >> " + sideLog);
                    for (int attempt = 0; attempt < 50 && !stop.get(); attempt++) {
                        List<Node> live = alive();
                        if (live.isEmpty()) {
                            sleep(200);
                            continue;
                        }
                        Node n = live.get(next++ % live.size());
                        try {
                            var r = http(n).post("instances", body);
                            if (r.status() == 201) {
                                accepted.add(r.id());
                                break;
                            }
                            refused.incrementAndGet();
                        } catch (RuntimeException e) {
                            // that server is gone: the same clientToken on the next one
                        }
                        sleep(100);
                    }
                    sleep(50);
                }
            }));
        }
    }

    void stopClients() throws InterruptedException {
        stop.set(true);
        for (Thread t : clients) {
            t.join(30_000);
        }
    }

    /** Waits until nothing is queued, starting or running, asking a live server. */
    void awaitDrained(Duration atMost) {
        Awaitility.await("the queue drains").atMost(atMost).pollInterval(Duration.ofMillis(500)).until(() -> {
            try (Connection c = connect(); var s = c.createStatement();
                 var rs = s.executeQuery("SELECT count(*) FROM instances WHERE status IN ('QUEUED', 'STARTING', 'RUNNING')")) {
                rs.next();
                return rs.getInt(1) == 0;
            }
        });
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    /**
     * Test instrumentation in the test's database: every row written to a table that matters is
     * logged with the session's name (each server names its sessions after itself) and time, so
     * that a test can show a server wrote nothing after it lost the lease.
     */
    private void installWriteLog() throws SQLException {
        try (Connection c = connect(); var s = c.createStatement()) {
            s.execute("CREATE TABLE test_write_log (tbl text, app text, epoch text, at timestamptz)");
            s.execute("""
                    CREATE FUNCTION test_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO test_write_log VALUES (TG_TABLE_NAME, current_setting('application_name'),
                            current_setting('srg.epoch', true), clock_timestamp());
                        RETURN NULL;
                    END $$""");
            for (String t : List.of("instances", "orders", "bill_lines", "metered_instances", "resource_groups", "usage_points",
                    "alert_events", "monitor_watermarks")) {
                s.execute("CREATE TRIGGER test_log AFTER INSERT OR UPDATE OR DELETE ON " + t
                        + " FOR EACH ROW EXECUTE FUNCTION test_log_write()");
            }
            s.execute("CREATE INDEX ON test_write_log (epoch, at)");
        }
    }

    /** Rows the server {@code id} wrote to the tables that matter after {@code since} (the database's clock). */
    int writesBy(String id, Instant since) throws SQLException {
        try (Connection c = connect();
             var s = c.prepareStatement("SELECT count(*) FROM test_write_log WHERE app LIKE ? AND at > ?")) {
            s.setString(1, "srg/" + id + "/%");
            s.setTimestamp(2, java.sql.Timestamp.from(since));
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** When the current lease was taken, on the database's clock. */
    Instant leaseAcquiredAt() throws SQLException {
        try (Connection c = connect(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT acquired_at FROM cluster_lease WHERE id = 1")) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    /**
     * The checks of SPEC HA-2 on what happened: every accepted task succeeded and ran exactly once,
     * no task ran twice, never more ran at once than the group holds, no order written twice.
     */
    void assertNothingLostOrDoubled() throws Exception {
        Map<String, List<Long>> starts = new HashMap<>();
        TreeMap<Long, Integer> events = new TreeMap<>();
        for (String line : Files.readAllLines(sideLog)) {
            String[] f = line.strip().split(" ");
            if (f.length != 3) {
                continue;
            }
            long t = Long.parseLong(f[2]);
            if (f[0].equals("start")) {
                starts.computeIfAbsent(f[1], k -> new ArrayList<>()).add(t);
                events.merge(t, 1, Integer::sum);
            } else {
                events.merge(t, -1, Integer::sum);
            }
        }
        List<String> twice = starts.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).toList();
        List<String> lost = accepted.stream().filter(id -> !starts.containsKey(id)).toList();
        int running = 0;
        int max = 0;
        for (int delta : events.values()) {
            running += delta;
            max = Math.max(max, running);
        }
        Map<String, Integer> statuses = new HashMap<>();
        int orders;
        try (Connection c = connect(); var s = c.createStatement()) {
            try (var rs = s.executeQuery("SELECT status, count(*) FROM instances GROUP BY status")) {
                while (rs.next()) {
                    statuses.put(rs.getString(1), rs.getInt(2));
                }
            }
            try (var rs = s.executeQuery("SELECT count(*) FROM orders")) {
                rs.next();
                orders = rs.getInt(1);
            }
        }
        System.out.printf("cluster: %d accepted, %d ran, statuses %s, at most %d at once, %d refused answers%n",
                accepted.size(), starts.size(), statuses, max, refused.get());
        assertThat(twice).as("tasks that started more than once").isEmpty();
        assertThat(lost).as("accepted tasks that never started").isEmpty();
        assertThat(max).as("tasks running at once (2 CU / 0.5 CU)").isLessThanOrEqualTo(MAX_CONCURRENT);
        assertThat(statuses.keySet()).as("every instance ended well: nothing lost (LOST/FAILED) in a failover")
                .containsOnly("SUCCEEDED");
        assertThat(orders).as("the one purchase's order, once").isEqualTo(1);
    }

    /**
     * SPEC HA-2: the background jobs' writes happened once. Bill lines: once every run is metered,
     * the lines hold exactly the runs' CU × time (a run metered twice would show as more). Alert
     * events: one unbroken chain per rule (numbered 1..n, each starting where the last ended, n the
     * rule's count of transitions): an evaluation run twice, or by two servers, breaks it.
     */
    void assertBackgroundJobsRanOnce(Duration atMost) throws SQLException {
        Awaitility.await("every run metered").atMost(atMost).pollInterval(Duration.ofSeconds(1)).until(() -> {
            try (Connection c = connect(); var s = c.createStatement(); var rs = s.executeQuery("""
                    SELECT count(*) FROM instances i LEFT JOIN metered_instances m ON m.instance_id = i.id
                     WHERE i.started_at IS NOT NULL AND (m.complete IS NULL OR NOT m.complete)""")) {
                rs.next();
                return rs.getInt(1) == 0;
            }
        });
        try (Connection c = connect(); var s = c.createStatement()) {
            long billed;
            long ran;
            try (var rs = s.executeQuery("SELECT coalesce(sum(cu_milli_millis), 0) FROM bill_lines")) {
                rs.next();
                billed = rs.getLong(1);
            }
            // the meter's own arithmetic: whole milliseconds of the stored start and end
            try (var rs = s.executeQuery("""
                    SELECT coalesce(sum(milli_cu * (floor(extract(epoch FROM finished_at) * 1000)
                                                   - floor(extract(epoch FROM started_at) * 1000))), 0)::bigint
                      FROM instances WHERE started_at IS NOT NULL""")) {
                rs.next();
                ran = rs.getLong(1);
            }
            System.out.printf("cluster: billed %d milli-CU·ms for runs of %d%n", billed, ran);
            assertThat(billed).as("bill lines: the runs' CU × time, each run once").isEqualTo(ran).isPositive();
            int rules = 0;
            try (var rs = s.executeQuery("SELECT id, transitions FROM alert_rules")) {
                while (rs.next()) {
                    rules++;
                    assertEventChain(c, rs.getString(1), rs.getInt(2));
                }
            }
            assertThat(rules).isEqualTo(1);
        }
    }

    private static void assertEventChain(Connection c, String ruleId, int transitions) throws SQLException {
        try (var s = c.prepareStatement("SELECT sequence, from_state, to_state FROM alert_events WHERE rule_id = ? ORDER BY sequence")) {
            s.setString(1, ruleId);
            try (var rs = s.executeQuery()) {
                int expected = 1;
                String last = null;
                while (rs.next()) {
                    assertThat(rs.getInt(1)).as("event numbers of " + ruleId).isEqualTo(expected++);
                    if (last != null) {
                        assertThat(rs.getString(2)).as("event " + rs.getInt(1) + " starts where the one before ended").isEqualTo(last);
                    }
                    last = rs.getString(3);
                }
                System.out.printf("cluster: alert rule %s: %d events, %d transitions%n", ruleId, expected - 1, transitions);
                assertThat(expected - 1).as("events of " + ruleId + " = its transitions").isEqualTo(transitions).isPositive();
            }
        }
    }

    /** SPEC HA-1: a follower runs no background job (the usage sampler's count on its /metrics stays 0). */
    void assertFollowersRanNoJobs() {
        for (Node n : alive()) {
            String metrics = http(n).get("/metrics").text();
            boolean leads = metrics.lines().anyMatch(l -> l.startsWith("srg_cluster_leader{") && l.endsWith(" 1.0"));
            double samples = metrics.lines().filter(l -> l.startsWith("srg_usage_sample_duration_seconds_count"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            if (leads) {
                assertThat(samples).as(n + " leads: it samples usage").isPositive();
            } else {
                assertThat(samples).as(n + " follows: it runs no job").isZero();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            stop.set(true);
        }
        // in the module's target/, not in the temporary directory the test run removes: a slow takeover is read there
        Path logs = Path.of("target", "cluster-logs", root.getFileName().toString()).toAbsolutePath();
        int i = 0;
        for (Map.Entry<String, ServerProcess> p : started) {
            try {
                Files.createDirectories(logs);
                Files.writeString(logs.resolve(p.getKey() + "-" + (i++) + ".log"), p.getValue().output());
            } catch (IOException e) {
                // the logs are a help, not the test
            }
        }
        System.out.println("cluster: server logs in " + logs);
        if (webhooks != null) {
            webhooks.stop(0);
        }
        dev.srg.testing.TaskReachableDirectories.remove(sideLog);
        for (Node n : nodes) {
            ServerProcess p = n.process;
            if (p != null) {
                try {
                    p.signal("CONT");
                } catch (Exception e) {
                    // gone
                }
                p.close();
            }
        }
        // nothing a killed server left (a task), nor the database's gigabyte, outlives the test
        ServerProcess.stopLeftBehind();
        TestDatabases.drop(db);
    }
}
