package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import dev.srg.testing.HeldTransaction;
import dev.srg.testing.TestCli;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * DataService end to end: real server, real worker process on the group, real PostgreSQL (and
 * MariaDB), real HTTP. Not tagged "database": the control plane's own store is not what it tests,
 * so CI does not run it a second time against the external PostgreSQL.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DataServiceApiTest extends DataServiceTestBase {

    @Test
    @DisplayName("SPEC DS-1 DS-2 DS-3 DS-5 DS-6: test before publish, a version, a DATA_SERVICE instance, AppCode and signed calls, grants, replays refused, every call logged and counted")
    void publishAndCallWithBothAuthModes() throws Exception {
        String path = uniquePath("item");
        var created = admin.post("dataservice/apis", script(path, "SELECT id, name, price FROM items WHERE id = ${id}",
                List.of(param("id", "LONG", true))));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        assertThat(created.json().path("callPath").asString()).isEqualTo("/data/" + basePath + "/" + path);
        // SPEC DS-2: not tested, not published
        var early = admin.post("dataservice/apis/" + id + "/publish", null);
        assertThat(early.status()).as(early.toString()).isEqualTo(409);
        assertThat(early.code()).isEqualTo("DataService.NotTested");
        JsonNode test = testUntilServed(id, Map.of("id", 7));
        assertThat(test.path("rowCount").asInt()).isEqualTo(1);
        assertThat(test.path("data").get(0).path("name").asString()).isEqualTo("item 7");
        // SPEC DS-1: the SQL that ran has a placeholder; the value is bound beside it
        assertThat(test.path("sql").asString()).contains("id = ?").doesNotContain("7");
        assertThat(test.path("boundValues").get(0).path("value").asString()).isEqualTo("7");
        assertThat(test.path("millis").asDouble()).isPositive();
        var published = admin.post("dataservice/apis/" + id + "/publish", null);
        assertThat(published.status()).as(published.toString()).isEqualTo(200);
        assertThat(published.json().path("publishedVersion").asInt()).isEqualTo(1);
        assertThat(published.json().path("status").asString()).isEqualTo("PUBLISHED");

        // SPEC DS-5: a DATA_SERVICE service instance on the group holds DATA_SERVICE CU
        var service = admin.get("dataservice/services/" + groupId + "?workspaceId=" + workspaceId);
        assertThat(service.status()).as(service.toString()).isEqualTo(200);
        JsonNode instance = admin.get("instances/" + service.json().path("instanceId").asString()).json();
        assertThat(instance.path("usageType").asString()).isEqualTo("DATA_SERVICE");
        assertThat(instance.path("shape").asString()).isEqualTo("SERVICE");
        assertThat(instance.path("status").asString()).isEqualTo("RUNNING");
        JsonNode usage = admin.get("resource-groups/" + groupId + "/usage").json();
        assertThat(usage.path("byUsageType").path("DATA_SERVICE").path("usedCu").asDouble()).isGreaterThanOrEqualTo(1);

        Map<String, Object> granted = newApp("caller", id);
        Map<String, Object> ungranted = newApp("stranger");
        assertThat((String) granted.get("appCode")).isNotBlank();
        // secrets are shown once: a read has none
        var read = admin.get("dataservice/apps/" + granted.get("id"));
        assertThat(read.text()).doesNotContain((String) granted.get("appCode")).doesNotContain((String) granted.get("appSecret"));
        // and the store keeps a hash and a ciphertext, never the secrets
        assertThat(server.snapshot().toString()).doesNotContain((String) granted.get("appCode"))
                .doesNotContain((String) granted.get("appSecret"));

        // SPEC DS-3: AppCode
        Call ok = callWhenServed((String) granted.get("appCode"), path, Map.of("id", "42"));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(ok.json().path("data").get(0).path("name").asString()).isEqualTo("item 42");
        assertThat(ok.json().path("totalNum").asLong()).isEqualTo(1);
        Call notGranted = callWithCode((String) ungranted.get("appCode"), path, Map.of("id", "42"));
        assertThat(notGranted.status()).as(notGranted.toString()).isEqualTo(403);
        assertThat(notGranted.code()).isEqualTo("DataService.NotGranted");
        Call badCode = callWithCode("not-a-code", path, Map.of("id", "42"));
        assertThat(badCode.status()).isEqualTo(401);
        Call none = send(HttpRequest.newBuilder(URI.create(server.url() + "/data/" + basePath + "/" + path + "?id=1")).GET());
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.code()).isEqualTo("DataService.Unauthorized");

        // SPEC DS-3: signature
        String key = (String) granted.get("appKey");
        String secret = (String) granted.get("appSecret");
        long now = System.currentTimeMillis();
        String nonce = nonce();
        Call signedOk = send(signed(key, secret, "GET", path, Map.of("id", "9"), null, now, nonce));
        assertThat(signedOk.status()).as(signedOk.toString()).isEqualTo(200);
        assertThat(signedOk.json().path("data").get(0).path("id").asLong()).isEqualTo(9);
        Call replay = send(signed(key, secret, "GET", path, Map.of("id", "9"), null, now, nonce));
        assertThat(replay.status()).as(replay.toString()).isEqualTo(401);
        assertThat(replay.code()).isEqualTo("DataService.Signature.Replayed");
        Call stale = send(signed(key, secret, "GET", path, Map.of("id", "9"), null, now - Duration.ofMinutes(6).toMillis(), nonce()));
        assertThat(stale.code()).as(stale.toString()).isEqualTo("DataService.Signature.Stale");
        // a signature over other values does not pass for these
        HttpRequest.Builder tampered = signed(key, secret, "GET", path, Map.of("id", "9"), null, now, nonce())
                .uri(URI.create(server.url() + "/data/" + basePath + "/" + path + "?id=10"));
        Call mismatch = send(tampered);
        assertThat(mismatch.code()).as(mismatch.toString()).isEqualTo("DataService.Signature.Mismatch");
        Call wrongSecret = send(signed(key, secret + "x", "GET", path, Map.of("id", "9"), null, now, nonce()));
        assertThat(wrongSecret.status()).isEqualTo(401);
        Call ungrantedSigned = send(signed((String) ungranted.get("appKey"), (String) ungranted.get("appSecret"), "GET", path,
                Map.of("id", "9"), null, now, nonce()));
        assertThat(ungrantedSigned.status()).isEqualTo(403);

        // SPEC DS-6: every call logged: app, version, status, latency, rows
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                admin.get("dataservice/apis/" + id + "/calls?pageSize=100").json().path("items").size() >= 9);
        JsonNode calls = admin.get("dataservice/apis/" + id + "/calls?pageSize=100").json().path("items");
        List<String> seen = new ArrayList<>();
        calls.forEach(c -> seen.add(c.path("status").asInt() + "/" + c.path("appId").asString("-") + "/" + c.path("rows").asInt()));
        assertThat(seen).contains("200/" + granted.get("id") + "/1", "403/" + ungranted.get("id") + "/0", "401/-/0");
        List<String> codes = new ArrayList<>();
        calls.forEach(c -> codes.add(c.path("status").asInt() + " " + c.path("errorCode").asString("-")));
        assertThat(codes).contains("200 -", "403 DataService.NotGranted", "401 DataService.InvalidAppCode");
        JsonNode first = calls.get(calls.size() - 1);
        assertThat(first.path("version").asInt()).isEqualTo(1);
        assertThat(first.path("latencyMillis").asDouble()).isPositive();
        // per-API metrics
        String metrics = admin.get("/metrics").text();
        assertThat(metrics).contains("srg_dataservice_calls_total{api=\"" + id + "\"")
                .contains("srg_dataservice_errors_total{api=\"" + id + "\"")
                .contains("srg_dataservice_latency_seconds_bucket{api=\"" + id + "\"");
    }

    @Test
    @DisplayName("SPEC DS-1: injection through every parameter type comes back as data (string) or a 400 naming the parameter; the table is untouched")
    void injectionThroughEveryType() throws Exception {
        String path = uniquePath("inject");
        List<Map<String, Object>> params = List.of(param("s", "STRING", false), param("l", "LONG", false), param("i", "INT", false),
                param("d", "DOUBLE", false), param("b", "BOOLEAN", false), param("dt", "DATE", false), param("ts", "DATETIME", false));
        String id = publish(script(path, "SELECT count(*) AS n FROM items WHERE name = ${s} OR id = ${l} OR qty = ${i}"
                + " OR price = ${d} OR active = ${b} OR day = ${dt} OR at = ${ts}", params), Map.of("s", "item 1"));
        String code = (String) newApp("injector", id).get("appCode");
        List<String> attacks = List.of("' OR '1'='1", "1 OR 1=1", "1; DROP TABLE items; --", "1) OR (1=1", "'; DELETE FROM items; --",
                "${s}", "\\x27 OR 1=1", "1e400", "NaN", "true OR 1=1", "2024-01-01' OR '1'='1", "0x10", " 1", "Infinity");
        long before = count(source, "SELECT count(*) FROM items");
        for (String type : List.of("s", "l", "i", "d", "b", "dt", "ts")) {
            for (String attack : attacks) {
                Call r = callWhenServed(code, path, Map.of(type, attack));
                if (type.equals("s")) {
                    // text is data: no item is named like that
                    assertThat(r.status()).as(type + " " + attack + " " + r).isEqualTo(200);
                    assertThat(r.json().path("data").get(0).path("n").asLong()).isZero();
                } else {
                    assertThat(r.status()).as(type + " " + attack + " " + r).isEqualTo(400);
                    assertThat(r.json().path("field").asString()).isEqualTo(type);
                    assertThat(r.text()).doesNotContain("SELECT").doesNotContain("items");
                }
            }
        }
        // each typed value that parses is bound: it filters
        assertThat(callWhenServed(code, path, Map.of("l", "5")).json().path("data").get(0).path("n").asLong()).isEqualTo(1);
        assertThat(callWhenServed(code, path, Map.of("dt", "2024-01-03")).json().path("data").get(0).path("n").asLong()).isEqualTo(1);
        assertThat(callWhenServed(code, path, Map.of("ts", "2024-01-01T05:00:00")).json().path("data").get(0).path("n").asLong())
                .isEqualTo(1);
        assertThat(callWhenServed(code, path, Map.of("b", "true")).json().path("data").get(0).path("n").asLong()).isEqualTo(600);
        // unknown parameters are refused, not ignored
        Call unknown = callWhenServed(code, path, Map.of("x; DROP TABLE items", "1"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(count(source, "SELECT count(*) FROM items")).isEqualTo(before);
    }

    @Test
    @DisplayName("SPEC DS-1: only one SELECT (or WITH ... SELECT) is accepted; parameters are ${name} outside quotes")
    void onlyASingleQuery() {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("DELETE FROM items", "InvalidParameter.DataService.Sql.NotAQuery");
        refused.put("SELECT 1; DROP TABLE items", "InvalidParameter.DataService.Sql.MultipleStatements");
        refused.put("SELECT * FROM items WHERE name = '${x}'", "InvalidParameter.DataService.Sql.ParameterInLiteral");
        refused.put("SELECT * FROM items WHERE id = ${nope}", "InvalidParameter.DataService.Sql.UnknownParameter");
        refused.put("SELECT * FROM items FOR UPDATE", "InvalidParameter.DataService.Sql.NotAQuery");
        refused.put("WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d", "InvalidParameter.DataService.Sql.NotAQuery");
        refused.put("SELECT * INTO copy FROM items", "InvalidParameter.DataService.Sql.NotAQuery");
        refused.put("SELECT $$x$$", "InvalidParameter.DataService.Sql");
        refused.put("SELECT * FROM items WHERE id = ?", "InvalidParameter.DataService.Sql");
        refused.put("  ", "MissingParameter");
        for (var e : refused.entrySet()) {
            var r = admin.post("dataservice/apis", script(uniquePath("bad"), e.getKey(), List.of(param("x", "STRING", false))));
            assertThat(r.status()).as(e.getKey() + " " + r).isEqualTo(400);
            assertThat(r.code()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(r.field()).isEqualTo("sql");
        }
        // comments and a trailing ';' are fine; WITH too
        var ok = admin.post("dataservice/apis", script(uniquePath("ok"), "-- the items\nWITH t AS (SELECT * FROM items /* all */)"
                + " SELECT replace(name, 'item', 'x') AS n FROM t WHERE id = ${x};", List.of(param("x", "LONG", true))));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        // timeouts at most 30 s (DS-1), and mode-specific fields
        Map<String, Object> slow = script(uniquePath("slow"), "SELECT 1", List.of());
        slow.put("timeoutMillis", 30_001);
        assertThat(admin.post("dataservice/apis", slow).field()).isEqualTo("timeoutMillis");
    }

    @Test
    @DisplayName("SPEC DS-4: paging edges (pageNum, pageSize, totalNum, last page, beyond it), at most 500 rows without paging, WIZARD operators")
    void pagingEdges() throws Exception {
        String paged = uniquePath("paged");
        Map<String, Object> wizard = new LinkedHashMap<>();
        wizard.put("apiGroupId", apiGroupId);
        wizard.put("name", paged);
        wizard.put("path", paged);
        wizard.put("method", "POST");
        wizard.put("mode", "WIZARD");
        wizard.put("dataSourceId", dataSourceId);
        wizard.put("resourceGroupId", groupId);
        wizard.put("paging", true);
        wizard.put("wizard", Map.of("table", "items", "responseFields", List.of("id", "name"),
                "orderBy", List.of(Map.of("column", "id", "direction", "ASC"))));
        Map<String, Object> minId = param("minId", "LONG", false);
        minId.put("column", "id");
        minId.put("operator", ">=");
        Map<String, Object> ids = param("ids", "LONG", false);
        ids.put("column", "id");
        ids.put("operator", "IN");
        Map<String, Object> like = param("like", "STRING", false);
        like.put("column", "name");
        like.put("operator", "LIKE");
        wizard.put("parameters", List.of(minId, ids, like));
        String pagedId = publish(wizard, Map.of("minId", 1));
        String unpaged = uniquePath("all");
        String unpagedId = publish(script(unpaged, "SELECT id FROM items ORDER BY id", List.of()), Map.of());
        Map<String, Object> app = newApp("pager", pagedId, unpagedId);
        String code = (String) app.get("appCode");

        // POST with a JSON body (the signature covers the body's hash)
        Call first = post(app, paged, Map.of("minId", 1001, "pageNum", 1, "pageSize", 150));
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(first.json().path("totalNum").asLong()).isEqualTo(200);
        assertThat(first.json().path("data").size()).isEqualTo(150);
        assertThat(first.json().path("data").get(0).path("id").asLong()).isEqualTo(1001);
        Call last = post(app, paged, Map.of("minId", 1001, "pageNum", 2, "pageSize", 150));
        assertThat(last.json().path("data").size()).isEqualTo(50);
        assertThat(last.json().path("data").get(49).path("id").asLong()).isEqualTo(1200);
        Call beyond = post(app, paged, Map.of("minId", 1001, "pageNum", 3, "pageSize", 150));
        assertThat(beyond.json().path("data").size()).isZero();
        assertThat(beyond.json().path("totalNum").asLong()).isEqualTo(200);
        assertThat(post(app, paged, Map.of("pageSize", 500)).json().path("data").size()).isEqualTo(500);
        Call tooBig = post(app, paged, Map.of("pageSize", 501));
        assertThat(tooBig.status()).isEqualTo(400);
        assertThat(tooBig.json().path("field").asString()).isEqualTo("pageSize");
        assertThat(post(app, paged, Map.of("pageNum", 0)).status()).isEqualTo(400);
        assertThat(post(app, paged, Map.of("pageNum", "x")).status()).isEqualTo(400);
        // IN and LIKE
        Call in = post(app, paged, Map.of("ids", List.of(3, 5, 7, 99999)));
        assertThat(in.json().path("totalNum").asLong()).as(in.toString()).isEqualTo(3);
        Call liked = post(app, paged, Map.of("like", "item 11%"));
        assertThat(liked.json().path("totalNum").asLong()).as(liked.toString()).isEqualTo(111);
        Call nested = post(app, paged, Map.of("like", Map.of("a", 1)));
        assertThat(nested.status()).isEqualTo(400);

        // SPEC DS-4: without paging, at most 500 rows
        Call all = callWhenServed(code, unpaged, Map.of());
        assertThat(all.status()).as(all.toString()).isEqualTo(200);
        assertThat(all.json().path("data").size()).isEqualTo(500);
        assertThat(callWithCode(code, unpaged, Map.of("pageNum", "2")).status()).isEqualTo(400);
    }

    private static Call post(Map<String, Object> app, String path, Map<String, Object> body) {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        Call[] last = new Call[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250)).until(() -> {
            last[0] = send(signed((String) app.get("appKey"), (String) app.get("appSecret"), "POST", path, Map.of(), bytes,
                    System.currentTimeMillis(), nonce()));
            return last[0].status() != 503;
        });
        return last[0];
    }

    @Test
    @DisplayName("SPEC DS-6: over the QPS limit calls get 429 with Retry-After")
    void qpsLimit() {
        String path = uniquePath("limited");
        Map<String, Object> body = script(path, "SELECT 1 AS one", List.of());
        body.put("qps", 1);
        String id = publish(body, Map.of());
        String code = (String) newApp("eager", id).get("appCode");
        callWhenServed(code, path, Map.of());
        // 20 calls at once against a limit of 1 per second (burst 1): most are refused, whatever the machine's load
        List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(server.url() + "/data/" + basePath + "/" + path))
                    .header("Authorization", "APPCODE " + code).timeout(Duration.ofSeconds(60)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        int limited = 0;
        String retryAfter = null;
        for (var f : sent) {
            var r = f.join();
            if (r.statusCode() == 429) {
                limited++;
                retryAfter = r.headers().firstValue("Retry-After").orElse(null);
                assertThat(r.body()).contains("Throttling.DataService.Qps");
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
        }
        assertThat(limited).isGreaterThanOrEqualTo(10);
        assertThat(retryAfter).isEqualTo("1");
    }

    @Test
    @DisplayName("SPEC DS-1: a query over its timeout is cancelled on the database (pg_stat_activity), not abandoned; the caller gets 504 without SQL")
    void timeoutCancelsOnTheDatabase() throws Exception {
        String path = uniquePath("sleepy");
        Map<String, Object> body = script(path, "SELECT pg_sleep(${s}) IS NULL AS slept", List.of(param("s", "DOUBLE", true)));
        body.put("timeoutMillis", 1000);
        String id = publish(body, Map.of("s", 0));
        String code = (String) newApp("patient", id).get("appCode");
        long start = System.nanoTime();
        Call r = callWhenServed(code, path, Map.of("s", "20"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.status()).as(r.toString()).isEqualTo(504);
        assertThat(r.code()).isEqualTo("DataService.Timeout");
        assertThat(r.text()).doesNotContain("pg_sleep").doesNotContain("SELECT");
        assertThat(millis).isLessThan(5000);
        // the database is not still sleeping for the 20 s asked
        Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> count(source,
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()") == 0);
        // the service keeps serving
        assertThat(callWhenServed(code, path, Map.of("s", "0")).status()).isEqualTo(200);
        // testing the API over its timeout: the same 504, one the OpenAPI document describes (checked on every answer)
        var tested = admin.post("dataservice/apis/" + id + "/test", Map.of("params", Map.of("s", 20)));
        assertThat(tested.status()).as(tested.toString()).isEqualTo(504);
        assertThat(tested.text()).contains("DataService.Timeout").doesNotContain("pg_sleep");
    }

    @Test
    @DisplayName("issue 14: a data source that answers slowly still gets as many calls at once as the worker has connections (pg_stat_activity),"
            + " also right after a fast API made the adaptive limit small")
    void aSlowDataSourceGetsEveryConnectionAtOnce() throws Exception {
        String fast = uniquePath("fast");
        Map<String, Object> fastBody = script(fast, "SELECT id, name FROM items WHERE id = ${id}", List.of(param("id", "LONG", true)));
        fastBody.put("qps", 100000);
        String slow = uniquePath("slow");
        Map<String, Object> slowBody = script(slow, "SELECT pg_sleep(0.1) IS NULL AS slept, ${id}::bigint AS id",
                List.of(param("id", "LONG", true)));
        slowBody.put("qps", 100000);
        String fastId = publish(fastBody, Map.of("id", 1));
        String slowId = publish(slowBody, Map.of("id", 1));
        String code = (String) newApp("busy", fastId, slowId).get("appCode");
        assertThat(callWhenServed(code, fast, Map.of("id", "1")).status()).isEqualTo(200);
        // the worker's connections: 8 per CU of the service (1 CU unless a test changed it)
        BigDecimal cu = admin.get("dataservice/services/" + groupId + "?workspaceId=" + workspaceId).json().path("cu").decimalValue();
        int connections = Math.max(2, cu.multiply(BigDecimal.valueOf(WorkerClient.CONNECTIONS_PER_CU)).intValue());
        // three callers per connection on the point lookup for 2 s: on a CPU-bound local database the limit comes down
        int callers = 3 * connections;
        drive(code, fast, callers, 2000);
        // then the same callers on the slow API for 4 s: its calls wait on the database, not for a CPU, so the
        // limit lets every connection work (a fixed bound of a few would serve a few at a time)
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
        long start = System.nanoTime();
        Thread watch = Thread.ofVirtual().start(() -> {
            try {
                while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(3900)) {
                    if (System.nanoTime() - start > TimeUnit.MILLISECONDS.toNanos(2000)) {
                        peak.accumulateAndGet(count(source, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                                + " AND query LIKE '%pg_sleep(0.1)%' AND pid <> pg_backend_pid()"), Math::max);
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long calls = drive(code, slow, callers, 4000);
        watch.join();
        double perSecond = calls / ((System.nanoTime() - start) / 1e9);
        assertThat(peak.get()).as("slow queries running at once on the database").isEqualTo(connections);
        // 8 at once (1 CU), 100 ms each: 80 calls/s at most (and 20 if the limit had stayed at 2)
        assertThat(perSecond).as("slow calls per second").isGreaterThan(0.6 * connections * 10);
    }

    /** {@code callers} threads calling {@code path} for {@code millis}; every answer must be a 200. */
    private static long drive(String code, String path, int callers, long millis) throws InterruptedException {
        java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
        List<Call> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            int n = i;
            threads.add(Thread.ofVirtual().start(() -> {
                for (long k = 0; System.nanoTime() < end; k++) {
                    Call r = callWithCode(code, path, Map.of("id", Long.toString(1 + (n * 37 + k) % 1200)));
                    if (r.status() != 200) {
                        failed.add(r);
                        return;
                    }
                    answered.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failed).isEmpty();
        return answered.get();
    }

    @Test
    @DisplayName("SPEC DS-2: a change is a new version after a new test; calls keep the published version until then; unpublished APIs cannot be called")
    void versionsAndUnpublish() {
        String path = uniquePath("versioned");
        String id = publish(script(path, "SELECT 'one' AS v", List.of()), Map.of());
        String code = (String) newApp("versions", id).get("appCode");
        assertThat(callWhenServed(code, path, Map.of()).json().path("data").get(0).path("v").asString()).isEqualTo("one");
        var changed = admin.patch("dataservice/apis/" + id, Map.of("sql", "SELECT 'two' AS v"));
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(changed.json().path("tested").asBoolean()).isFalse();
        assertThat(callWithCode(code, path, Map.of()).json().path("data").get(0).path("v").asString()).isEqualTo("one");
        assertThat(admin.post("dataservice/apis/" + id + "/publish", null).code()).isEqualTo("DataService.NotTested");
        testUntilServed(id, Map.of());
        var v2 = admin.post("dataservice/apis/" + id + "/publish", null);
        assertThat(v2.json().path("publishedVersion").asInt()).isEqualTo(2);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                callWithCode(code, path, Map.of()).json().path("data").path(0).path("v").asString("").equals("two"));
        JsonNode versions = admin.get("dataservice/apis/" + id + "/versions").json().get("items");
        assertThat(versions.size()).isEqualTo(2);
        assertThat(versions.get(0).path("definition").path("sql").asString()).isEqualTo("SELECT 'one' AS v");
        var off = admin.post("dataservice/apis/" + id + "/unpublish", null);
        assertThat(off.json().path("status").asString()).isEqualTo("DRAFT");
        Call gone = callWithCode(code, path, Map.of());
        assertThat(gone.status()).as(gone.toString()).isEqualTo(404);
        // a VISITOR reads but does not publish
        var visitor = fx.user();
        admin.put("workspaces/" + workspaceId + "/members/" + visitor.id(), Map.of("role", "VISITOR"));
        assertThat(visitor.http().get("dataservice/apis/" + id).status()).isEqualTo(200);
        assertThat(visitor.http().post("dataservice/apis/" + id + "/publish", null).status()).isEqualTo(403);
    }

    @Test
    @DisplayName("SPEC DS-5: the service process killed -9 is restarted by the platform and serves again")
    void killedServiceRestarts() throws Exception {
        String path = uniquePath("sturdy");
        String id = publish(script(path, "SELECT 'alive' AS state", List.of()), Map.of());
        String code = (String) newApp("sturdy", id).get("appCode");
        assertThat(callWhenServed(code, path, Map.of()).status()).isEqualTo(200);
        String instanceId = admin.get("dataservice/services/" + groupId + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        long pid = workerPid(instanceId);
        ProcessHandle.of(pid).orElseThrow();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start().waitFor();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        // the call that finds the worker gone: its service is restarting, which the caller is told as such
        Call gone = callWithCode(code, path, Map.of());
        assertThat(gone.status()).as(gone.toString()).isEqualTo(503);
        assertThat(gone.code()).isEqualTo("ServiceUnavailable.DataService.Starting");
        assertThat(gone.json().path("detail").asString()).contains("starting");
        assertThat(gone.retryAfter()).isEqualTo("1");
        Call back = callWhenServed(code, path, Map.of());
        assertThat(back.status()).as(back.toString()).isEqualTo(200);
        assertThat(back.json().path("data").get(0).path("state").asString()).isEqualTo("alive");
        JsonNode instance = admin.get("instances/" + instanceId).json();
        assertThat(instance.path("restarts").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(instance.path("status").asString()).isEqualTo("RUNNING");
    }

    /** The worker process of a service instance: the java whose working directory is one of the instance's runs. */
    static long workerPid(String instanceId) throws Exception {
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            String cmd = p.info().commandLine().orElse("");
            if (!cmd.contains(DataServiceMain.class.getName())) {
                continue;
            }
            try {
                Path cwd = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/cwd"));
                if (cwd.toString().contains("/" + instanceId)) {
                    return p.pid();
                }
            } catch (java.io.IOException e) {
                // gone meanwhile
            }
        }
        throw new AssertionError("no worker process for " + instanceId);
    }

    @Test
    @DisplayName("SPEC DS-5 RG-7: a frozen group serves nothing: 503 with a clear code and Retry-After")
    void frozenGroupServesNothing() throws Exception {
        String payg = fx.payAsYouGoGroup(10).get("id").asString();
        Served served = servedOn(payg, "frozen", "frosty");
        String path = served.path();
        String code = served.appCode();
        // serving is activity (RG-7): only once the service is stopped can the group go idle
        String instanceId = admin.get("dataservice/services/" + payg + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        assertThat(admin.post("instances/" + instanceId + "/cancel", null).status()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                admin.get("instances/" + instanceId).json().path("status").asString().equals("CANCELLED"));
        server.advanceClock(Duration.ofDays(7).plusMinutes(5));
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            server.runBackgroundJobs();
            return admin.get("resource-groups/" + payg).json().path("status").asString().equals("FROZEN");
        });
        // the gateway serves a group's state at most this old (read again in the background meanwhile)
        Thread.sleep(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(DataServiceGateway.GROUP_MAX_STALE_NANOS) + 100);
        Call frozen = callWithCode(code, path, Map.of());
        assertThat(frozen.status()).as(frozen.toString()).isEqualTo(503);
        assertThat(frozen.code()).isEqualTo("ServiceUnavailable.ResourceGroupFrozen");
        assertThat(frozen.retryAfter()).isNotNull();
    }

    @Test
    @DisplayName("SPEC RG-9 RG-7 DS-5: a pay-as-you-go group meters its DATA_SERVICE service's CU-time like a task's, and serving keeps it from freezing")
    void payAsYouGoMetersTheServiceAndServingIsActivity() throws Exception {
        String payg = fx.payAsYouGoGroup(10).get("id").asString();
        Served served = servedOn(payg, "metered", "metered");
        String path = served.path();
        String code = served.appCode();
        String instanceId = admin.get("dataservice/services/" + payg + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        JsonNode service = admin.get("instances/" + instanceId).json();
        assertThat(service.path("usageType").asString()).isEqualTo("DATA_SERVICE");
        assertThat(service.path("status").asString()).isEqualTo("RUNNING");
        BigDecimal cu = service.path("cu").decimalValue();

        // SPEC RG-7: a week (and more) on the clock while it serves: serving is activity, the group is not frozen
        server.advanceClock(Duration.ofDays(7).plusMinutes(5));
        server.runBackgroundJobs();
        assertThat(admin.get("resource-groups/" + payg).json().path("status").asString()).isEqualTo("RUNNING");
        assertThat(callWithCode(code, path, Map.of()).status()).isEqualTo(200);
        // SPEC RG-9: the service's CU-time is metered while it runs ...
        BigDecimal week = cu.multiply(BigDecimal.valueOf(Duration.ofDays(7).toSeconds()));
        assertThat(admin.get("bills/summary?resourceGroupId=" + payg).json().path("cuSeconds").decimalValue())
                .isGreaterThanOrEqualTo(week);

        // ... and, once it stopped, the group's bill is exactly its CU x its run time
        assertThat(admin.post("instances/" + instanceId + "/cancel", null).status()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                admin.get("instances/" + instanceId).json().path("status").asString().equals("CANCELLED"));
        server.runBackgroundJobs();
        JsonNode done = admin.get("instances/" + instanceId).json();
        long millis = Instant.parse(done.path("finishedAt").asString()).toEpochMilli()
                - Instant.parse(done.path("startedAt").asString()).toEpochMilli();
        BigDecimal expected = cu.multiply(BigDecimal.valueOf(millis)).movePointLeft(3);
        assertThat(expected).isGreaterThanOrEqualTo(week);
        assertThat(admin.get("bills/summary?resourceGroupId=" + payg).json().path("cuSeconds").decimalValue())
                .isEqualByComparingTo(expected);
    }

    @Test
    @DisplayName("SPEC DS-5 RG-5: the service's CU, its group's DATA_SERVICE quota and the group's scale reach the worker process's cgroup")
    void cuQuotaAndScaleReachTheWorkersCgroup() throws Exception {
        String group = fx.subscriptionGroup(2).get("id").asString();
        Served served = servedOn(group, "sized", "sized");
        String path = served.path();
        String code = served.appCode();
        String id = served.apiId();
        // the default 1 CU: one core's CPU quota on the worker's own cgroup
        assertThat(workerCpuCu(group)).isEqualTo(1.0);

        // the group's DATA_SERVICE quota at most 1 CU: the service set to 2 CU cannot start; callers get a 503, not the reason
        var quota = admin.put("resource-groups/" + group + "/quotas", Map.of("quotas", Map.of("DATA_SERVICE", Map.of("maxCu", 1))));
        assertThat(quota.status()).as(quota.toString()).isEqualTo(200);
        var tooLarge = admin.put("dataservice/services/" + group, Map.of("workspaceId", workspaceId, "cu", 17));
        assertThat(tooLarge.code()).isEqualTo("InvalidParameter.Cu.TooLarge");
        assertThat(tooLarge.json().get("detail").asString()).isEqualTo("a DATA_SERVICE service may use at most 16 CU");
        String before = admin.get("dataservice/services/" + group + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        var resized = admin.put("dataservice/services/" + group, Map.of("workspaceId", workspaceId, "cu", 2));
        assertThat(resized.status()).as(resized.toString()).isEqualTo(200);
        // the answer says what is true: the running service is being stopped (its process not ended yet, or ended), and
        // none replaces it (2 CU do not fit the quota), never that it still runs
        assertThat(resized.json().path("instanceId").asString()).isEqualTo(before);
        assertThat(resized.json().path("status").asString()).as(resized.toString()).isIn("STOPPING", "CANCELLED");
        assertThat(resized.json().path("cu").decimalValue()).isEqualByComparingTo("2");
        // (while the old worker stops: 503 ...Starting)
        Call waiting = callUntil(code, path, "ServiceUnavailable.DataService.Quota");
        assertThat(waiting.retryAfter()).isNotNull();
        // the failure is remembered (StartFailures): the calls after it get the same 503
        for (int i = 0; i < 3; i++) {
            Call again = callWithCode(code, path, Map.of());
            assertThat(again.code()).as(again.toString()).isEqualTo("ServiceUnavailable.DataService.Quota");
            assertThat(again.retryAfter()).isNotNull();
        }
        // the quota raised: the very next call tries again (the memo is forgotten at once, not after its 2 s), and the
        // service starts, with two cores' quota on the new worker's cgroup
        quota = admin.put("resource-groups/" + group + "/quotas", Map.of("quotas", Map.of("DATA_SERVICE", Map.of("maxCu", 2))));
        assertThat(quota.status()).as(quota.toString()).isEqualTo(200);
        Call next = callWithCode(code, path, Map.of());
        assertThat(next.code()).as(next.toString()).isNotEqualTo("ServiceUnavailable.DataService.Quota");
        assertThat(callWhenServed(code, path, Map.of()).status()).isEqualTo(200);
        assertThat(workerCpuCu(group)).isEqualTo(2.0);

        // without a quota, 3 CU do not fit the group's 2: 503 until the group is scaled out, then running with 3 cores' quota
        assertThat(admin.put("resource-groups/" + group + "/quotas", Map.of("quotas", Map.of())).status()).isEqualTo(200);
        resized = admin.put("dataservice/services/" + group, Map.of("workspaceId", workspaceId, "cu", 3));
        assertThat(resized.status()).as(resized.toString()).isEqualTo(200);
        callUntil(code, path, "ServiceUnavailable.DataService.Quota");
        var scaled = admin.post("resource-groups/" + group + "/scale", Map.of("specCu", 4));
        assertThat(scaled.status()).as(scaled.toString()).isEqualTo(200);
        // SCALING takes 30 s (on the simulated clock)
        server.advanceClock(Duration.ofSeconds(31));
        server.runBackgroundJobs();
        fx.awaitRunning(group);
        // scaled: the next call tries again at once, as after a quota change
        next = callWithCode(code, path, Map.of());
        assertThat(next.code()).as(next.toString()).isNotEqualTo("ServiceUnavailable.DataService.Quota");
        assertThat(callWhenServed(code, path, Map.of()).status()).isEqualTo(200);
        assertThat(workerCpuCu(group)).isEqualTo(3.0);
        assertThat(admin.post("dataservice/apis/" + id + "/unpublish", null).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("SPEC DS-5 ADM-5: a service waiting for CU says so and why (the reason its instance gives), a starting one says starting, and neither leaks the group's work")
    void queuedServiceSaysWhy() throws Exception {
        String group = fx.subscriptionGroup(2).get("id").asString();
        Served served = servedOn(group, "queued", "patient");
        String path = served.path();
        String code = served.appCode();
        // a task holds 1 of the group's 2 CU: the service resized to 2 CU waits for CAPACITY as long as it runs
        var task = admin.post("instances", Map.of("workspaceId", workspaceId, "resourceGroupId", group, "type", "SHELL",
                "script", "sleep 600", "cu", 1));
        assertThat(task.status()).as(task.toString()).isIn(200, 201);
        String taskId = task.id();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                admin.get("instances/" + taskId).json().path("status").asString().equals("RUNNING"));
        String before = admin.get("dataservice/services/" + group + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        var resized = admin.put("dataservice/services/" + group, Map.of("workspaceId", workspaceId, "cu", 2));
        assertThat(resized.status()).as(resized.toString()).isEqualTo(200);
        // the answer names the service that replaces the stopped one, queued for CU (before: the stopped one, RUNNING)
        assertThat(resized.json().path("instanceId").asString()).as(resized.toString()).isNotEqualTo(before);
        assertThat(resized.json().path("status").asString()).as(resized.toString()).isEqualTo("QUEUED");

        // before: "ServiceUnavailable.DataService.Starting" saying "queued ... (capacity or quota)" whatever held it
        Call queued = callUntil(code, path, "ServiceUnavailable.DataService.Queued");
        assertThat(queued.json().path("reason").asString()).as(queued.toString()).isEqualTo("CAPACITY");
        assertThat(queued.json().path("detail").asString()).contains("queued").contains("not enough free CU");
        assertThat(queued.retryAfter()).isEqualTo("5");
        // the reason is the one the group's owner sees on the instance
        String instanceId = admin.get("dataservice/services/" + group + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        JsonNode instance = admin.get("instances/" + instanceId).json();
        assertThat(instance.path("status").asString()).isEqualTo("QUEUED");
        assertThat(instance.path("queue").path("reason").asString()).isEqualTo("CAPACITY");
        // an app's caller learns why, not the group's inside: no instance, task or group id, no position
        assertThat(queued.text()).doesNotContain(instanceId).doesNotContain(taskId).doesNotContain(group)
                .doesNotContain("position");
        // the same state the same way from a test of the API (problem+json through the API's other path)
        var tested = admin.post("dataservice/apis/" + served.apiId() + "/test", Map.of("params", Map.of()));
        assertThat(tested.status()).as(tested.toString()).isEqualTo(503);
        assertThat(tested.code()).isEqualTo("ServiceUnavailable.DataService.Queued");
        assertThat(tested.json().path("reason").asString()).isEqualTo("CAPACITY");
        assertThat(tested.header("Retry-After")).isEqualTo("5");

        // the task cancelled: admission starts the service; until it serves, a call says starting or queued, nothing else
        assertThat(admin.post("instances/" + taskId + "/cancel", null).status()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Call c = callWithCode(code, path, Map.of());
            if (c.status() == 503) {
                assertThat(c.code()).as(c.toString()).isIn("ServiceUnavailable.DataService.Queued",
                        "ServiceUnavailable.DataService.Starting");
                assertThat(c.retryAfter()).as(c.toString()).isNotNull();
                return false;
            }
            assertThat(c.status()).as(c.toString()).isEqualTo(200);
            return true;
        });
        assertThat(admin.post("dataservice/apis/" + served.apiId() + "/unpublish", null).status()).isEqualTo(200);
    }

    /** Calls until the answer is a 503 with {@code problem}; every answer before it a 503 too. */
    private static Call callUntil(String appCode, String path, String problem) {
        Call[] last = new Call[1];
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = callWithCode(appCode, path, Map.of());
            assertThat(last[0].status()).as(last[0].toString()).isEqualTo(503);
            return problem.equals(last[0].code());
        });
        return last[0];
    }

    /** The CPU quota of the running worker's own cgroup, in cores (cgroup v1 cpu.cfs_quota_us, or v2 cpu.max). */
    private static double workerCpuCu(String group) throws Exception {
        String instanceId = admin.get("dataservice/services/" + group + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        long pid = workerPid(instanceId);
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f[0].equals("0") && f[1].isEmpty() && Files.exists(Path.of("/sys/fs/cgroup", f[2], "cpu.max"))) {
                String[] max = Files.readString(Path.of("/sys/fs/cgroup", f[2], "cpu.max")).strip().split(" ");
                return Double.parseDouble(max[0]) / Double.parseDouble(max[1]);
            }
            if (List.of(f[1].split(",")).contains("cpu")) {
                Path dir = Path.of("/sys/fs/cgroup/" + f[1], f[2]);
                return Double.parseDouble(Files.readString(dir.resolve("cpu.cfs_quota_us")).strip())
                        / Double.parseDouble(Files.readString(dir.resolve("cpu.cfs_period_us")).strip());
            }
        }
        throw new AssertionError("no cpu cgroup for " + pid);
    }

    /** An API answering {@code SELECT 1} on {@code group} (associated to the workspace), its app, and its first call answered. */
    private record Served(String apiId, String path, String appCode) {}

    private Served servedOn(String group, String pathName, String appName) throws Exception {
        var assoc = admin.post("workspaces/" + workspaceId + "/resource-groups", Map.of("resourceGroupId", group));
        assertThat(assoc.status()).as(assoc.toString()).isIn(200, 201);
        String path = uniquePath(pathName);
        Map<String, Object> body = script(path, "SELECT 1 AS one", List.of());
        body.put("resourceGroupId", group);
        String id = publish(body, Map.of());
        String code = (String) newApp(appName, id).get("appCode");
        assertThat(callWhenServed(code, path, Map.of()).status()).isEqualTo(200);
        return new Served(id, path, code);
    }

    /** {@code srg ARGS --url URL --token ADMIN -o json}, in process; its JSON answer. */
    private static JsonNode srg(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("-o");
        all.add("json");
        return TestCli.asAdmin(server, all.toArray(String[]::new)).json();
    }

    @Test
    @DisplayName("the CLI: srg api create, test, publish, app-create, grant, calls")
    void cli() {
        // a group this workspace's service has not started on: the first test starts it and waits for it (README's
        // `srg api test $api -p id=42 && srg api publish $api`)
        String fresh = fx.subscriptionGroup(2).get("id").asString();
        var assoc = admin.post("workspaces/" + workspaceId + "/resource-groups", Map.of("resourceGroupId", fresh));
        assertThat(assoc.status()).as(assoc.toString()).isIn(200, 201);
        String path = uniquePath("cli");
        JsonNode api = srg("api", "create", "--group", apiGroupId, "--name", path, "--path", path, "--data-source", dataSourceId,
                "--rg", fresh, "--sql", "SELECT name FROM items WHERE id = ${id}", "--param", "id:LONG:required");
        String id = api.path("id").asString();
        assertThat(api.path("mode").asString()).isEqualTo("SCRIPT");
        assertThat(admin.get("dataservice/services/" + fresh + "?workspaceId=" + workspaceId).json().path("status").asString("none"))
                .isNotEqualTo("RUNNING");
        assertThat(srg("api", "test", id, "-p", "id=3").path("data").get(0).path("name").asString()).isEqualTo("item 3");
        assertThat(srg("api", "publish", id).path("publishedVersion").asInt()).isEqualTo(1);
        JsonNode app = srg("api", "app-create", "--name", "cli-app");
        assertThat(app.path("appSecret").asString()).isNotBlank();
        // the app by its name, as the other resources are
        assertThat(srg("api", "grant", "cli-app", id).path("grantedApiIds").get(0).asString()).isEqualTo(id);
        // the AppCode and AppSecret are shown once, by app-create; the list has no columns for what it never has
        var listed = TestCli.asAdmin(server, "api", "apps");
        assertThat(listed.out()).as(listed.toString()).contains("cli-app").contains("APP-KEY").doesNotContain("APP-CODE")
                .doesNotContain("APP-SECRET");
        var made = TestCli.asAdmin(server, "api", "app-create", "--name", "cli-app-2");
        assertThat(made.out()).as(made.toString()).contains("APP-CODE").contains("APP-SECRET");
        assertThat(callWhenServed(app.path("appCode").asString(), path, Map.of("id", "3")).status()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> srg("api", "calls", id).size() >= 1);
        JsonNode version = srg("api", "versions", id).get(0);
        assertThat(version.path("version").asInt()).isEqualTo(1);
        // the table names the API, its call path and the publisher from the answer itself: one request, as before
        assertThat(version.path("apiId").asString()).isEqualTo(id);
        String publisher = version.path("publishedBy").asString();
        String publisherName = version.path("publishedByName").asString();
        assertThat(publisherName).isNotBlank().isNotEqualTo(publisher);
        long before = TestCli.requestsAnswered(server);
        var versions = TestCli.asAdmin(server, "api", "versions", id);
        assertThat(TestCli.requestsAnswered(server) - before).as("requests of srg api versions").isEqualTo(1);
        assertThat(versions.out().lines().skip(1).findFirst().orElseThrow()).as(versions.out())
                .containsPattern("^1 +" + path + " +/data/" + basePath + "/" + path + " ").contains(" " + publisherName)
                .doesNotContain(publisher).doesNotContain(id);
    }

    @Test
    @DisplayName("SPEC DS-1 DS-4: a real MariaDB behind a SCRIPT and a WIZARD API, through a read-only account; injection is data")
    void mariaDb() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(MariaDb.installed(), "mariadb-server is not installed");
        try (MariaDb db = MariaDb.start()) {
            db.sql(List.of("CREATE DATABASE shop", "USE shop", "CREATE TABLE shop.items (id BIGINT PRIMARY KEY, name VARCHAR(64), day DATE)",
                    "INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), DATE_ADD('2024-01-01', INTERVAL seq DAY)"
                            + " FROM seq_1_to_700",
                    // the API's account reads, and nothing else (docs/dataservice.md)
                    "CREATE USER 'api'@'%' IDENTIFIED BY 'api-secret'", "GRANT SELECT ON shop.* TO 'api'@'%'"));
            Map<String, Object> ds = new LinkedHashMap<>();
            ds.put("name", "maria-shop");
            ds.put("workspaceId", workspaceId);
            ds.put("type", "MYSQL");
            ds.put("host", "127.0.0.1");
            ds.put("port", db.port);
            ds.put("database", "shop");
            ds.put("user", "api");
            ds.put("password", "api-secret");
            var created = admin.post("data-sources", ds);
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String path = uniquePath("maria");
            Map<String, Object> body = script(path, "SELECT id, name, day FROM items WHERE name = ${name} OR id = ${id}",
                    List.of(param("name", "STRING", false), param("id", "LONG", false)));
            body.put("dataSourceId", created.id());
            String scriptApi = publish(body, Map.of("id", 1));
            String wizardPath = uniquePath("maria-wizard");
            Map<String, Object> wizard = new LinkedHashMap<>(body);
            wizard.remove("sql");
            wizard.put("name", wizardPath);
            wizard.put("path", wizardPath);
            wizard.put("mode", "WIZARD");
            wizard.put("wizard", Map.of("table", "items", "responseFields", List.of("id", "day"),
                    "orderBy", List.of(Map.of("column", "id", "direction", "DESC"))));
            Map<String, Object> after = param("after", "DATE", false);
            after.put("column", "day");
            after.put("operator", ">");
            wizard.put("parameters", List.of(after));
            String wizardApi = publish(wizard, Map.of());
            String code = (String) newApp("maria", scriptApi, wizardApi).get("appCode");
            Call one = callWhenServed(code, path, Map.of("id", "42"));
            assertThat(one.status()).as(one.toString()).isEqualTo(200);
            assertThat(one.json().path("data").get(0).path("name").asString()).isEqualTo("item 42");
            assertThat(one.json().path("data").get(0).path("day").asString()).isEqualTo("2024-02-12");
            for (String attack : List.of("' OR '1'='1", "x' OR 1=1 -- ", "\\' OR 1=1 #", "item 1' UNION SELECT 1,2,3 -- ")) {
                Call r = callWithCode(code, path, Map.of("name", attack));
                assertThat(r.status()).as(attack + " " + r).isEqualTo(200);
                assertThat(r.json().path("data").size()).as(attack).isZero();
            }
            Call all = callWithCode(code, wizardPath, Map.of());
            assertThat(all.json().path("data").size()).isEqualTo(500);
            assertThat(all.json().path("data").get(0).path("id").asLong()).isEqualTo(700);
            Call late = callWithCode(code, wizardPath, Map.of("after", "2025-11-25"));
            assertThat(late.json().path("data").size()).as(late.toString()).isEqualTo(6);
        }
    }

    @Test
    @DisplayName("SPEC DS-6: the console's page of an API shows its call chart and its latest calls")
    void consolePage() throws Exception {
        String path = uniquePath("charted");
        String id = publish(script(path, "SELECT 1 AS one", List.of()), Map.of());
        String code = (String) newApp("charted", id).get("appCode");
        assertThat(callWhenServed(code, path, Map.of()).status()).isEqualTo(200);
        callWithCode("wrong", path, Map.of());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                admin.get("dataservice/apis/" + id + "/calls").json().path("items").size() >= 2);
        JsonNode series = admin.get("dataservice/apis/" + id + "/calls/series?minutes=5").json().path("points");
        assertThat(series.size()).isEqualTo(5);
        long calls = 0;
        long errors = 0;
        for (JsonNode p : series) {
            calls += p.path("calls").asLong();
            errors += p.path("errors").asLong();
        }
        assertThat(calls).isGreaterThanOrEqualTo(2);
        assertThat(errors).isGreaterThanOrEqualTo(1);
        // sign in to the console with a password, as a person would
        String name = "dsc" + System.nanoTime() % 1_000_000;
        var user = admin.post("users", Map.of("name", name, "policies", List.of("AdministratorAccess"), "password", "a-long-password-1"));
        assertThat(user.status()).as(user.toString()).isEqualTo(201);
        java.net.CookieManager cookies = new java.net.CookieManager();
        java.net.http.HttpClient browser = java.net.http.HttpClient.newBuilder().cookieHandler(cookies)
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
        String signIn = browser.send(HttpRequest.newBuilder(URI.create(server.url() + "/console/sign-in")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher csrf = java.util.regex.Pattern.compile("name=\"_csrf\" value=\"([^\"]*)\"").matcher(signIn);
        assertThat(csrf.find()).isTrue();
        String form = "_csrf=" + csrf.group(1) + "&method=password&name=" + name + "&password=a-long-password-1&next=%2Fconsole%2Fgroups";
        var posted = browser.send(HttpRequest.newBuilder(URI.create(server.url() + "/console/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", server.url())
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isIn(302, 303);
        var page = browser.send(HttpRequest.newBuilder(URI.create(server.url() + "/console/dataservice/apis/" + id)).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        assertThat(page.body()).contains("<svg class=\"call-chart\"").contains("/data/" + basePath + "/" + path)
                .contains("DataService.InvalidAppCode").contains("fill=\"#dc2626\"");
        // names where names do (issue 19): the data source, the group and the calling app
        String groupName = admin.get("resource-groups/" + groupId).json().get("name").asString();
        assertThat(page.body()).contains("title=\"" + dataSourceId + "\">items-db</a>").contains("title=\"" + groupId + "\">" + groupName + "</a>")
                .containsPattern("<td data-label=\"App\" class=\"small\"><span title=\"app-\\w+\">charted</span>")
                .contains("No parameters.");
        var list = browser.send(HttpRequest.newBuilder(URI.create(server.url() + "/console/dataservice")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(list.body()).contains("/console/dataservice/apis/" + id).contains("title=\"" + groupId + "\">" + groupName + "</a>");
        if (dev.srg.console.Chromium.available()) { // the pages as a browser shows them, at laptop and phone widths (docs/screenshots)
            try (var chromium = dev.srg.console.Chromium.launch()) {
                dev.srg.console.Chromium.signIn(chromium.page, server.url(), name, "a-long-password-1");
                chromium.page.navigate(server.url() + "/console/dataservice");
                chromium.shoot("dataservice");
                chromium.page.navigate(server.url() + "/console/dataservice/apis/" + id);
                chromium.shoot("dataservice-api");
            }
        }
    }

    @Test
    @DisplayName("a data source deleted under a draft API (allowed, as under a sync) leaves the API editable: a PATCH that keeps"
            + " it works; test and publish need one again; a PATCH naming another checks it in full")
    void deletedDataSourceLeavesTheApiEditable() throws Exception {
        String doomed = postgresSource("doomed-" + uniquePath("ds"), workspaceId, source);
        Map<String, Object> body = script(uniquePath("orphan"), "SELECT name FROM items WHERE id = ${id}",
                List.of(param("id", "LONG", true)));
        body.put("dataSourceId", doomed);
        var created = admin.post("dataservice/apis", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        assertThat(admin.delete("data-sources/" + doomed).status()).isEqualTo(204);

        // before the fix: 404 DataSource.NotFound on every PATCH that left dataSourceId alone
        var renamed = admin.patch("dataservice/apis/" + id, Map.of("name", "renamed"));
        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(renamed.json().path("name").asString()).isEqualTo("renamed");
        assertThat(renamed.json().path("dataSourceId").asString()).isEqualTo(doomed);
        var sql = admin.patch("dataservice/apis/" + id, Map.of("sql", "SELECT name FROM items WHERE id = ${id} LIMIT 1"));
        assertThat(sql.status()).as(sql.toString()).isEqualTo(200);
        // the rest of the definition is still checked
        var bad = admin.patch("dataservice/apis/" + id, Map.of("sql", "SELECT ${nope}"));
        assertThat(bad.status()).as(bad.toString()).isEqualTo(400);
        assertThat(bad.field()).isEqualTo("sql");
        var test = admin.post("dataservice/apis/" + id + "/test", Map.of("params", Map.of("id", 1)));
        assertThat(test.status()).as(test.toString()).isEqualTo(404);
        assertThat(test.code()).isEqualTo("DataSource.NotFound");
        assertThat(test.field()).isEqualTo("dataSourceId");
        // another data source named: it must exist
        var missing = admin.patch("dataservice/apis/" + id, Map.of("dataSourceId", "ds-nope"));
        assertThat(missing.status()).as(missing.toString()).isEqualTo(404);
        assertThat(missing.field()).isEqualTo("dataSourceId");
        var moved = admin.patch("dataservice/apis/" + id, Map.of("dataSourceId", dataSourceId));
        assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
        assertThat(testUntilServed(id, Map.of("id", 7)).path("data").get(0).path("name").asString()).isEqualTo("item 7");
    }

    @Test
    @DisplayName("SPEC RG-4: a group being released takes no DataService service size (409 ResourceGroup.Released), and the size"
            + " stays as it was")
    void releasingGroupTakesNoServiceSize() {
        String other = fx.payAsYouGoGroup(4).get("id").asString();
        var associated = admin.post("workspaces/" + workspaceId + "/resource-groups", Map.of("resourceGroupId", other));
        assertThat(associated.status()).as(associated.toString()).isEqualTo(201);
        // a running task keeps the group RELEASING after its unsubscription
        var task = admin.post("instances", Map.of("workspaceId", workspaceId, "resourceGroupId", other, "type", "SHELL",
                "script", "sleep 120", "cu", 0.25));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                "RUNNING".equals(admin.get("instances/" + task.id()).json().path("status").asString()));
        try {
            assertThat(admin.delete("resource-groups/" + other).status()).isEqualTo(204);
            assertThat(admin.get("resource-groups/" + other).json().path("status").asString()).isEqualTo("RELEASING");
            String before = admin.get("dataservice/services/" + other + "?workspaceId=" + workspaceId).text();
            var sized = admin.put("dataservice/services/" + other, Map.of("workspaceId", workspaceId, "cu", 2));
            assertThat(sized.status()).as(sized.toString()).isEqualTo(409);
            assertThat(sized.code()).isEqualTo("ResourceGroup.Released");
            assertThat(sized.field()).isEqualTo("resourceGroupId");
            assertThat(admin.get("dataservice/services/" + other + "?workspaceId=" + workspaceId).text()).isEqualTo(before);
        } finally {
            admin.post("instances/" + task.id() + "/cancel", null);
        }
    }

    /** A published API (version 1) whose draft was changed and tested since: the next publish makes version 2. */
    private static String publishedWithATestedChange() {
        String id = publish(script(uniquePath("race"), "SELECT 1 AS x", List.of()), Map.of());
        var patched = admin.patch("dataservice/apis/" + id, Map.of("sql", "SELECT 2 AS x"));
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        testUntilServed(id, Map.of());
        return id;
    }

    @Test
    @DisplayName("SPEC DS-2: a publish that waited for another publish of the same draft reuses its version: no duplicate version")
    void twoPublishesAtOnce() throws Exception {
        String id = publishedWithATestedChange();
        try (var held = new HeldTransaction(server.database())) {
            // another publish of this tested draft: it holds the API's row and wrote version 2, not committed yet
            held.sql("SELECT id FROM ds_apis WHERE id = ? FOR UPDATE", id);
            held.sql("""
                    INSERT INTO ds_api_versions (api_id, version, definition, published_by, published_at)
                    SELECT a.id, 2, a.definition, v.published_by, now() FROM ds_apis a
                    JOIN ds_api_versions v ON v.api_id = a.id AND v.version = 1 WHERE a.id = ?""", id);
            held.sql("UPDATE ds_apis SET published_version = 2, latest_version = 2 WHERE id = ?", id);
            var second = HeldTransaction.send(() -> admin.post("dataservice/apis/" + id + "/publish", null));
            held.awaitAWaiter(second);
            held.commit();
            var r = second.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            assertThat(r.json().path("publishedVersion").asInt()).as("the same draft's version, not a copy").isEqualTo(2);
        }
        assertThat(server.sqlLong("SELECT count(*) FROM ds_api_versions WHERE api_id = '" + id + "'")).isEqualTo(2);
    }

    @Test
    @DisplayName("SPEC DS-2: a publish decides on the draft it holds: a PATCH committed while it waited makes it 409 NotTested, nothing published")
    void publishWhilePatched() throws Exception {
        String id = publishedWithATestedChange();
        try (var held = new HeldTransaction(server.database())) {
            // a PATCH of the draft in flight (its test hash still the tested draft's), not committed yet
            held.sql("UPDATE ds_apis SET definition = jsonb_set(definition, '{sql}', to_jsonb('SELECT 3 AS x'::text)) WHERE id = ?", id);
            var publish = HeldTransaction.send(() -> admin.post("dataservice/apis/" + id + "/publish", null));
            held.awaitAWaiter(publish);
            held.commit();
            var r = publish.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.toString()).isEqualTo(409);
            assertThat(r.code()).isEqualTo("DataService.NotTested");
        }
        assertThat(server.sqlLong("SELECT count(*) FROM ds_api_versions WHERE api_id = '" + id + "'")).isEqualTo(1);
        assertThat(admin.get("dataservice/apis/" + id).json().path("publishedVersion").asInt()).isEqualTo(1);
    }
}
