package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The 1M-row sync scenarios: tag {@code sync-large}, outside the default run (minutes on a busy
 * machine): {@code ./run-tests -Dtest=SyncLargeTest -Dsrg.test.excludedGroups=none}.
 */
@Tag("sync-large")
@Tag("database")
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class SyncLargeTest extends SyncTestBase {
    private static final int ROWS = 1_000_000;
    private static final String TABLE = "(id bigint, name text, amount numeric(12,2), created_at timestamptz, flag boolean)";
    private static final List<String> COLUMNS = List.of("id", "name", "amount", "created_at", "flag");

    @Test
    @DisplayName("1M rows on 4 channels, the worker killed mid-copy: the same job again resumes; every row once, the same values")
    void millionRowsKilledAndResumed() throws Exception {
        // SPEC DI-3 (split across channels), DI-7 (kill -9 mid-copy, no row twice or missing)
        TestDatabases.Fresh src = postgresSource("large-src");
        TestDatabases.Fresh dst = postgresSource("large-dst");
        sql(src, "CREATE TABLE t " + TABLE, "INSERT INTO t SELECT g, 'customer ' || g, (g % 100000) / 100.0,"
                + " timestamptz '2020-01-01' + g * interval '1 second', g % 3 = 0 FROM generate_series(1, " + ROWS + ") g",
                "ALTER TABLE t ADD PRIMARY KEY (id)");
        sql(dst, "CREATE TABLE t " + TABLE); // no key: a row written twice would stay twice
        Map<String, Object> job = Map.of(
                "setting", Map.of("speed", Map.of("channel", 4)),
                "reader", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "large-src", "table", "t",
                        "column", COLUMNS, "splitPk", "id")),
                "writer", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "large-dst", "table", "t",
                        "column", COLUMNS, "batchSize", 2048)));
        Map<String, Object> body = task(job, 2);
        body.put("timeoutSeconds", 1800);
        var first = admin.post("instances", body);
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                admin.get("instances/" + first.id()).json().path("progress").path("splitsDone").asLong() >= 3);
        new ProcessBuilder("kill", "-9", Long.toString(workerPid(first.id()))).start().waitFor();
        assertThat(awaitFinishedWithin(first.id(), Duration.ofMinutes(2)).get("status").asString()).isEqualTo("FAILED");
        long partial = count(dst, "SELECT count(*) FROM t");
        assertThat(partial).isPositive().isLessThan(ROWS);

        var second = admin.post("instances", body);
        JsonNode done = awaitFinishedWithin(second.id(), Duration.ofMinutes(20));
        assertThat(done.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(ROWS - partial);
        assertThat(count(dst, "SELECT count(DISTINCT id) FROM t")).isEqualTo(ROWS);
        assertThat(count(dst, "SELECT count(*) FROM t")).isEqualTo(ROWS);
        String digest = "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM t";
        assertThat(text(dst, digest)).isEqualTo(text(src, digest));
    }

    private static JsonNode awaitFinishedWithin(String instanceId, Duration limit) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(limit).pollInterval(Duration.ofMillis(500)).until(() -> {
            last[0] = admin.get("instances/" + instanceId).json();
            return List.of("SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED").contains(last[0].path("status").asString());
        });
        return last[0];
    }

    private static long count(TestDatabases.Fresh db, String sql) throws Exception {
        return Long.parseLong(text(db, sql));
    }

    private static String text(TestDatabases.Fresh db, String sql) throws Exception {
        try (Connection c = connect(db); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
