package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.server.ServerExtensions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * SPEC BEY-1: start estimates measured against the starts that really happen, on a simulated
 * clock with a backend whose runs end exactly when the test says, so run times are known. The
 * figures printed here are the ones docs/beyond.md reports.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class StartEstimateAccuracyTest {
    static final AtomicReference<ScriptedRunsBackend> BACKEND = new AtomicReference<>();
    static TestServer server;
    static TestHttp admin;
    static Fixtures fx;
    static String group;
    static String ws;

    @BeforeAll
    static void start() throws Exception {
        Path regions = Files.createTempFile("regions", ".json");
        Files.writeString(regions, """
                [{"id": "local", "name": "Local", "purchasable": true, "zones": [{"id": "local-a", "name": "A"}],
                  "backend": "scripted"}]""");
        server = TestServer.start(new ServerExtensions(List.of(), Map.of("scripted", listener -> {
            ScriptedRunsBackend b = new ScriptedRunsBackend(listener);
            BACKEND.set(b);
            return b;
        })), c -> c.withRegionsFile(regions).withSimulatedClock(true));
        admin = server.admin();
        fx = new Fixtures(server);
        group = fx.subscriptionGroup(4).get("id").asString();
        ws = fx.workspace(group).get("id").asString();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Submits a named 1-hour-timeout SHELL task; remembers how long it will really run. */
    private static String submit(String name, double cu, Duration runs, Map<String, Duration> runTimes) {
        var r = admin.post("instances", body(name, cu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        runTimes.put(r.id(), runs);
        return r.id();
    }

    private static Map<String, Object> body(String name, double cu) {
        Map<String, Object> b = new HashMap<>();
        b.put("workspaceId", ws);
        b.put("type", "SHELL");
        b.put("script", "sleep 1");
        b.put("cu", cu);
        b.put("name", name);
        b.put("timeoutSeconds", 3600);
        return b;
    }

    private static JsonNode instance(String id) {
        return admin.get("instances/" + id).json();
    }

    /**
     * Moves the clock from end to end: each running task ends exactly its run time after it
     * started, until every given task has ended. Returns each one's start.
     */
    private static Map<String, Instant> drive(Map<String, Duration> runTimes) {
        Map<String, Instant> started = new HashMap<>();
        Instant now = server.advanceClock(Duration.ZERO);
        for (int step = 0; step < 500; step++) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> runTimes.keySet().stream().noneMatch(id -> "STARTING".equals(instance(id).path("status").asString())));
            Map<String, Instant> ends = new HashMap<>();
            boolean queued = false;
            for (String id : runTimes.keySet()) {
                JsonNode i = instance(id);
                String status = i.path("status").asString();
                if (!i.path("startedAt").isMissingNode() && !i.path("startedAt").isNull()) {
                    started.put(id, Instant.parse(i.get("startedAt").asString()));
                }
                if (status.equals("RUNNING")) {
                    ends.put(id, started.get(id).plus(runTimes.get(id)));
                } else if (status.equals("QUEUED")) {
                    queued = true;
                }
            }
            if (ends.isEmpty()) {
                assertThat(queued).as("tasks queued with nothing running").isFalse();
                return started;
            }
            Instant next = ends.values().stream().min(Instant::compareTo).orElseThrow();
            if (next.isAfter(now)) {
                now = server.advanceClock(Duration.between(now, next));
            }
            Instant at = now;
            ends.forEach((id, end) -> {
                if (!end.isAfter(at)) {
                    BACKEND.get().finish(id);
                }
            });
        }
        throw new AssertionError("did not finish in 500 steps");
    }

    /** The estimated start of each queued task now, by id. */
    private static Map<String, Instant> estimates(List<String> ids) {
        Map<String, Instant> out = new LinkedHashMap<>();
        for (String id : ids) {
            JsonNode i = instance(id);
            if (i.path("status").asString().equals("QUEUED")) {
                JsonNode at = i.path("queue").path("estimatedStartAt");
                assertThat(at.isString()).as("an estimate for %s: %s", id, i.path("queue")).isTrue();
                out.put(id, Instant.parse(at.asString()));
            }
        }
        return out;
    }

    record Errors(int n, double meanAbsSeconds, double maxAbsSeconds, double meanWaitSeconds) {}

    private static Errors errors(Map<String, Instant> estimated, Map<String, Instant> actual, Instant submittedAt) {
        double sum = 0;
        double max = 0;
        double waits = 0;
        for (var e : estimated.entrySet()) {
            double err = Math.abs(Duration.between(e.getValue(), actual.get(e.getKey())).toMillis()) / 1000.0;
            sum += err;
            max = Math.max(max, err);
            waits += Duration.between(submittedAt, actual.get(e.getKey())).toMillis() / 1000.0;
        }
        int n = estimated.size();
        return new Errors(n, sum / n, max, waits / n);
    }

    @Test
    @DisplayName("SPEC BEY-1: with run times as their history says, queued tasks start when estimated (the demo: 2+2+1 CU of 300 s on 4 CU)")
    void exactHistory() {
        Map<String, Duration> history = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            submit("etl", 1, Duration.ofSeconds(300), history);
            submit("report", 1, Duration.ofSeconds(120), history);
            submit("load", 1, Duration.ofSeconds(600), history);
        }
        drive(history);

        Map<String, Duration> batch = new LinkedHashMap<>();
        Instant submittedAt = server.advanceClock(Duration.ZERO);
        submit("etl", 2, Duration.ofSeconds(300), batch);
        submit("etl", 2, Duration.ofSeconds(300), batch);
        String third = submit("report", 1, Duration.ofSeconds(120), batch);
        submit("load", 2, Duration.ofSeconds(600), batch);
        submit("report", 1, Duration.ofSeconds(120), batch);
        submit("etl", 1, Duration.ofSeconds(300), batch);
        // the dry run of the next one, then the real one: the same answer
        var dry = admin.post("instances?dryRun=true", body("load", 1));
        assertThat(dry.status()).as(dry.toString()).isEqualTo(200);
        String last = submit("load", 1, Duration.ofSeconds(600), batch);
        List<String> blockers = List.copyOf(batch.keySet()).subList(0, 2);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> blockers.stream().allMatch(id -> instance(id).path("startedAt").isString()));
        Map<String, Instant> estimated = estimates(List.copyOf(batch.keySet()));
        // the complaint: the 1-CU task behind 2 x 2 CU of 300 s is not "now + 3 s" but the
        // later blocker's start + 300 s (its start, not the submission: a loaded machine starts it late)
        Instant blockersStarted = blockers.stream().map(id -> Instant.parse(instance(id).get("startedAt").asString()))
                .max(Instant::compareTo).orElseThrow();
        assertThat(Duration.between(blockersStarted, estimated.get(third)).toSeconds()).isBetween(299L, 301L);
        assertThat(Duration.between(Instant.parse(dry.json().get("estimatedStartAt").asString()), estimated.get(last)).abs())
                .isLessThan(Duration.ofSeconds(2));

        Map<String, Instant> actual = drive(batch);
        Errors e = errors(estimated, actual, submittedAt);
        System.out.printf("BEY-1 estimate error, run times as history: n=%d mean=%.3fs max=%.3fs (mean wait %.1fs)%n",
                e.n(), e.meanAbsSeconds(), e.maxAbsSeconds(), e.meanWaitSeconds());
        assertThat(e.n()).isGreaterThanOrEqualTo(4);
        // only the simulated clock's real-time drift between the steps separates them
        assertThat(e.maxAbsSeconds()).isLessThan(5);
    }

    @Test
    @DisplayName("SPEC BEY-1: run times that vary ±25 % around their history: the error stays a fraction of the wait")
    void jitteredRunTimes() {
        Random random = new Random(18);
        Map<String, Integer> medians = Map.of("j-etl", 300, "j-report", 120, "j-load", 600);
        Map<String, Duration> history = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            medians.forEach((name, s) -> submit(name, 1, jitter(random, s), history));
        }
        drive(history);

        Map<String, Duration> batch = new LinkedHashMap<>();
        Instant submittedAt = server.advanceClock(Duration.ZERO);
        List<String> names = List.of("j-etl", "j-etl", "j-report", "j-load", "j-report", "j-etl", "j-load", "j-etl",
                "j-report", "j-load", "j-etl", "j-report");
        double[] sizes = {2, 2, 1, 2, 1, 1, 1, 2, 1, 2, 1, 1};
        for (int i = 0; i < names.size(); i++) {
            submit(names.get(i), sizes[i], jitter(random, medians.get(names.get(i))), batch);
        }
        Map<String, Instant> estimated = estimates(List.copyOf(batch.keySet()));
        Map<String, Instant> actual = drive(batch);
        Errors e = errors(estimated, actual, submittedAt);
        System.out.printf("BEY-1 estimate error, run times ±25%% around history: n=%d mean=%.1fs max=%.1fs (mean wait %.1fs)%n",
                e.n(), e.meanAbsSeconds(), e.maxAbsSeconds(), e.meanWaitSeconds());
        assertThat(e.n()).isGreaterThanOrEqualTo(8);
        assertThat(e.meanAbsSeconds()).isLessThan(0.25 * e.meanWaitSeconds());
    }

    private static Duration jitter(Random random, int seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000 * (0.75 + 0.5 * random.nextDouble())));
    }

    @Test
    @DisplayName("SPEC BEY-4: GET /advice — 3 runs of 2 CU that peaked at 64 MiB and 0.1 s of CPU need 0.25 CU; the saving at current prices")
    void advice() {
        Map<String, Duration> runs = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            submit("advise-me", 2, Duration.ofSeconds(60), runs);
        }
        drive(runs);
        var r = admin.get("workspaces/" + ws + "/advice?name=advise-me");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode a = r.json().get("items").get(0);
        assertThat(a.get("runs").asInt()).isEqualTo(3);
        assertThat(a.get("currentCu").decimalValue()).isEqualByComparingTo("2");
        assertThat(a.get("advisedCu").decimalValue()).isEqualByComparingTo("0.25");
        // 1.75 CU x 3 x 60 s x 0.12 per CU-hour = 0.0105 (the runs end a little after their 60 s: the
        // simulated clock runs on with real time between the test's steps)
        assertThat(a.get("monthlySaving").decimalValue()).isBetween(new java.math.BigDecimal("0.0105"),
                new java.math.BigDecimal("0.0110"));
        // what srg submits for users (connectivity tests, image builds) repeats by name too, but is not theirs to size
        for (int i = 0; i < 3; i++) {
            for (String[] kind : List.of(new String[] {"CONNECTIVITY_TEST", "connectivity test db:5432"},
                    new String[] {"IMAGE_BUILD", "image etl"})) {
                server.sql("""
                        INSERT INTO instances SELECT (jsonb_populate_record(NULL::instances, to_jsonb(i)
                            || jsonb_build_object('id', i.id || '-' || lower(CAST(? AS text)) || CAST(? AS text),
                                'type', CAST(? AS text), 'name', CAST(? AS text),
                                'sequence', nextval(pg_get_serial_sequence('instances', 'sequence'))))).*
                        FROM instances i WHERE i.id = (SELECT min(id) FROM instances WHERE workspace_id = ? AND name = 'advise-me'
                            AND status = 'SUCCEEDED')""", kind[0], Integer.toString(i), kind[0], kind[1], ws);
            }
        }
        var all = admin.get("workspaces/" + ws + "/advice").json().get("items");
        assertThat(all.valueStream().map(n -> n.get("name").asString())).contains("advise-me")
                .doesNotContain("connectivity test db:5432", "image etl");
        assertThat(admin.get("workspaces/ws-none/advice").status()).isEqualTo(404);
        assertThat(fx.user().http().get("workspaces/" + ws + "/advice").status()).isEqualTo(404);
    }

    @Test
    @DisplayName("SPEC BEY-1: a dry run answers position, reason, estimate and cost, and writes nothing (no instance, no key, no audit entry)")
    void dryRunWritesNothing() {
        String payg = fx.payAsYouGoGroup(2).get("id").asString();
        String pws = fx.workspace(payg).get("id").asString();
        long instances = server.sqlLong("SELECT count(*) FROM instances");
        long keys = server.sqlLong("SELECT count(*) FROM idempotency_keys");
        long audits = server.sqlLong("SELECT count(*) FROM audit_events");
        Map<String, Object> b = new HashMap<>(body("nightly", 2));
        b.put("workspaceId", pws);
        b.put("clientToken", "dry-1");
        var r = admin.post("instances?dryRun=true", b);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode d = r.json();
        assertThat(d.get("dryRun").asBoolean()).isTrue();
        assertThat(d.get("startsNow").asBoolean()).isTrue();
        assertThat(d.get("resourceGroupId").asString()).isEqualTo(payg);
        // no history: the timeout (1 h) bounds it: 0.12 x 2 CU x 1 h
        assertThat(d.get("expectedRunSeconds").asLong()).isEqualTo(3600);
        assertThat(d.get("estimatedCost").decimalValue()).isEqualByComparingTo("0.24");
        assertThat(d.get("costNote").asString()).startsWith("metered: 0.12 USD per CU-hour x 2 CU x the expected run time");
        assertThat(server.sqlLong("SELECT count(*) FROM instances")).isEqualTo(instances);
        assertThat(server.sqlLong("SELECT count(*) FROM idempotency_keys")).isEqualTo(keys);
        assertThat(server.sqlLong("SELECT count(*) FROM audit_events")).isEqualTo(audits);

        // the same refusals as a submission, and still nothing written
        b.put("cu", 3);
        var refused = admin.post("instances?dryRun=true", b);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.field()).isEqualTo("cu");
        assertThat(server.sqlLong("SELECT count(*) FROM instances")).isEqualTo(instances);
        assertThat(admin.post("instances?dryRun=maybe", b).code()).isEqualTo("InvalidParameter.Boolean");

        // a queued one: position and reason
        b.put("cu", 2);
        b.remove("clientToken");
        Map<String, Duration> runs = new HashMap<>();
        var first = admin.post("instances", b);
        runs.put(first.id(), Duration.ofSeconds(60));
        var queued = admin.post("instances?dryRun=true", b).json();
        assertThat(queued.get("startsNow").asBoolean()).isFalse();
        assertThat(queued.get("position").asInt()).isEqualTo(1);
        assertThat(queued.get("reason").asString()).isEqualTo("CAPACITY");
        assertThat(queued.get("estimate").asString()).contains("timeout");
        drive(runs);
    }
}
