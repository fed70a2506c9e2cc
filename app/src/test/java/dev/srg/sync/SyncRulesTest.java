package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestDatabases;
import dev.srg.trace.CrashPoint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** A sync's rules: the job checked at submission, dirty records against errorLimit, progress, a kill -9 resumed. */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SyncRulesTest extends SyncTestBase {
    private static TestDatabases.Fresh src;
    private static TestDatabases.Fresh dst;

    @BeforeAll
    static void databases() throws Exception {
        src = postgresSource("src");
        dst = postgresSource("dst");
        // 100 rows, 10 of them with a value that is not an integer
        sql(src, "CREATE TABLE mixed (id bigint PRIMARY KEY, v text)",
                "INSERT INTO mixed SELECT g, CASE WHEN g % 10 = 0 THEN 'x' || g ELSE g::text END FROM generate_series(1, 100) g",
                "CREATE TABLE big (id bigint PRIMARY KEY, label text, amount numeric(10,2))",
                "INSERT INTO big SELECT g, 'label ' || g, g / 100.0 FROM generate_series(1, 60000) g");
        sql(dst, "CREATE TABLE ints (id bigint, v integer)", "CREATE TABLE big_copy (id bigint, label text, amount numeric(10,2))");
    }

    private static Map<String, Object> job(Map<String, Object> setting, Map<String, Object> reader, Map<String, Object> writer) {
        Map<String, Object> job = new HashMap<>();
        job.put("setting", setting);
        job.put("reader", Map.of("plugin", "postgresql", "parameter", reader));
        job.put("writer", Map.of("plugin", "postgresql", "parameter", writer));
        return job;
    }

    private static Map<String, Object> mixedJob(Map<String, Object> errorLimit) {
        return job(Map.of("errorLimit", errorLimit),
                Map.of("datasource", "src", "table", "mixed", "column", List.of("id", "v"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "ints", "column", List.of("id", "v"), "preSql", List.of("DELETE FROM ints")));
    }

    @Test
    @DisplayName("an invalid job is refused at submission with a 400 naming the field, and nothing is stored")
    void invalidJobsRefused() {
        // SPEC DI-2, ADM-3
        var before = server.snapshot();
        Map<String, Object> good = mixedJob(Map.of());
        Map<String, Map<String, Object>> cases = new java.util.LinkedHashMap<>();
        cases.put("sync.reader.plugin", job(Map.of(), Map.of("datasource", "src"), Map.of()));
        cases.get("sync.reader.plugin").put("reader", Map.of("plugin", "oracle", "parameter", Map.of()));
        cases.put("sync.reader.parameter.datasource", job(Map.of(), Map.of("datasource", "nope", "table", "t", "column", List.of("a")),
                Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.writer.parameter.column", job(Map.of(), Map.of("datasource", "src", "table", "t", "column", List.of("a", "b")),
                Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.setting.speed.channel", job(Map.of("speed", Map.of("channel", 0)),
                Map.of("datasource", "src", "table", "t", "column", List.of("a")), Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.setting.errorLimit.percentage", job(Map.of("errorLimit", Map.of("percentage", 1.5)),
                Map.of("datasource", "src", "table", "t", "column", List.of("a")), Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.setting.retry.count", job(Map.of("retry", Map.of("count", 11)),
                Map.of("datasource", "src", "table", "t", "column", List.of("a")), Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.setting.retry.intervalSeconds", job(Map.of("retry", Map.of("count", 1, "intervalSeconds", 0)),
                Map.of("datasource", "src", "table", "t", "column", List.of("a")), Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.setting.retry.every", job(Map.of("retry", Map.of("every", 1)),
                Map.of("datasource", "src", "table", "t", "column", List.of("a")), Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.writer.parameter.writeMode", job(Map.of(), Map.of("datasource", "src", "table", "t", "column", List.of("a")),
                Map.of("datasource", "dst", "table", "t", "column", List.of("a"), "writeMode", "merge")));
        cases.put("sync.reader.parameter.table", job(Map.of(), Map.of("datasource", "src", "table", "t; DROP TABLE x", "column", List.of("a")),
                Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.reader.parameter.connection[0].jdbcUrl", job(Map.of(), Map.of("datasource", "src", "column", List.of("a"),
                "connection", List.of(Map.of("jdbcUrl", List.of("jdbc:postgresql://x/y"), "table", List.of("t")))),
                Map.of("datasource", "dst", "table", "t", "column", List.of("a"))));
        cases.put("sync.writer.parameter.datasource", job(Map.of(), Map.of("datasource", "src", "table", "t", "column", List.of("a")),
                Map.of("datasource", "src-csv", "table", "t", "column", List.of("a"))));
        admin.post("data-sources", Map.of("name", "src-csv", "workspaceId", workspaceId, "type", "CSV", "path", "/tmp"));
        before = server.snapshot();
        for (var c : cases.entrySet()) {
            var r = admin.post("instances", task(c.getValue(), 1));
            assertThat(r.status()).as(c.getKey() + ": " + r).isEqualTo(400);
            assertThat(r.field()).as(r.toString()).isEqualTo(c.getKey());
        }
        var tooBig = admin.post("instances", task(good, 17));
        assertThat(tooBig.status()).isEqualTo(400);
        assertThat(tooBig.field()).isEqualTo("cu");
        var noJob = task(good, 1);
        noJob.remove("sync");
        noJob.put("script", "echo");
        assertThat(admin.post("instances", noJob).field()).isEqualTo("script");
        assertThat(server.snapshot()).isEqualTo(before);
    }

    @Test
    @DisplayName("dirty records are kept with their reasons; errorLimit.record fails the task, and wins over percentage")
    void dirtyRecordsAgainstErrorLimit() throws Exception {
        // SPEC DI-4
        var within = admin.post("instances", task(mixedJob(Map.of("record", 10)), 1));
        JsonNode ok = awaitFinished(within.id());
        assertThat(ok.get("status").asString()).as(log(within.id())).isEqualTo("SUCCEEDED");
        assertThat(ok.get("progress").get("dirtyRecords").asLong()).isEqualTo(10);
        assertThat(ok.get("progress").get("recordsWritten").asLong()).isEqualTo(90);
        var dirty = admin.get("instances/" + within.id() + "/dirty-records").json();
        assertThat(dirty.get("items")).hasSize(10);
        assertThat(dirty.get("items").get(0).get("reason").asString()).contains("column v").contains("not a valid integer");
        assertThat(dirty.get("items").get(0).get("record").get("v").asString()).startsWith("x");
        try (Connection c = connect(dst); var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM ints")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(90);
        }

        var over = admin.post("instances", task(mixedJob(Map.of("record", 9)), 1));
        JsonNode failed = awaitFinished(over.id());
        assertThat(failed.get("status").asString()).isEqualTo("FAILED");
        assertThat(failed.get("progress").get("reason").asString()).contains("errorLimit.record 9");

        // the count wins: 10 dirty of 100 is over 1% but within 20 records
        var both = admin.post("instances", task(mixedJob(Map.of("record", 20, "percentage", 0.01)), 1));
        assertThat(awaitFinished(both.id()).get("status").asString()).isEqualTo("SUCCEEDED");
        var share = admin.post("instances", task(mixedJob(Map.of("percentage", 0.05)), 1));
        assertThat(awaitFinished(share.id()).get("status").asString()).isEqualTo("FAILED");
        var shareOk = admin.post("instances", task(mixedJob(Map.of("percentage", 0.2)), 1));
        assertThat(awaitFinished(shareOk.id()).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    @DisplayName("a row the writer's database refuses is a dirty record with its message; the rest of its batch is written")
    void rowsRefusedByTheWriter() throws Exception {
        // SPEC DI-4: a split's COPY refused is copied again batch by batch; a batch refused (COPY or INSERT) is written
        // again row by row, the refused row kept
        sql(dst, "CREATE TABLE checked (id bigint, v integer CHECK (v <> 51))");
        Map<String, Object> job = job(Map.of("errorLimit", Map.of("record", 1)),
                Map.of("datasource", "src", "table", "mixed", "column", List.of("id", "v"), "where", "id % 10 <> 0"),
                Map.of("datasource", "dst", "table", "checked", "column", List.of("id", "v")));
        var r = admin.post("instances", task(job, 1));
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo("SUCCEEDED");
        assertThat(count("checked")).isEqualTo(89);
        // the split's one COPY was refused and rolled back: the split copied again batch by batch, its rows counted once
        assertThat(log(r.id())).contains("copying the split again batch by batch");
        assertThat(done.get("progress").get("recordsRead").asLong()).isEqualTo(90);
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(89);
        var dirty = admin.get("instances/" + r.id() + "/dirty-records").json();
        assertThat(dirty.get("total").asLong()).isEqualTo(1);
        assertThat(dirty.get("items").get(0).get("reason").asString()).contains("refused").contains("check");
        assertThat(dirty.get("items").get(0).get("record").get("v").asString()).isEqualTo("51");
    }

    @Test
    @DisplayName("DataX's job.content form runs unchanged apart from the connection")
    void dataXForm() throws Exception {
        // SPEC DI-2
        sql(dst, "CREATE TABLE datax_copy (id bigint, label text, amount numeric(10,2))");
        Map<String, Object> datax = Map.of("job", Map.of(
                "setting", Map.of("speed", Map.of("channel", 2), "errorLimit", Map.of("record", 0, "percentage", 0.02)),
                "content", List.of(Map.of(
                        "reader", Map.of("name", "postgresqlreader", "parameter", Map.of("datasource", "src",
                                "column", List.of("id", "label", "amount"), "splitPk", "id", "where", "id <= 1000",
                                "connection", List.of(Map.of("table", List.of("big"))))),
                        "writer", Map.of("name", "postgresqlwriter", "parameter", Map.of("datasource", "dst",
                                "column", List.of("id", "label", "amount"),
                                "connection", List.of(Map.of("table", List.of("datax_copy")))))))));
        var r = admin.post("instances", task(datax, 1));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo("SUCCEEDED");
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(1000);
        assertThat(done.get("progress").get("splitsDone").asLong()).isEqualTo(done.get("progress").get("splitsTotal").asLong());
    }

    @Test
    @DisplayName("kill -9 of the worker mid-copy: the same job again resumes, skips the finished splits, no row twice or missing")
    void killedWorkerResumes() throws Exception {
        // SPEC DI-7, DI-5, DI-3 (the record rate holds for the whole job)
        Map<String, Object> job = job(Map.of("speed", Map.of("channel", 2, "record", 6000)),
                Map.of("datasource", "src", "table", "big", "column", List.of("id", "label", "amount"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "big_copy", "column", List.of("id", "label", "amount"), "batchSize", 1000));
        var first = admin.post("instances", task(job, 1));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        // some splits done, not all
        Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonNode p = admin.get("instances/" + first.id()).json().path("progress");
            return p.path("splitsDone").asLong() >= 2;
        });
        JsonNode running = admin.get("instances/" + first.id()).json();
        assertThat(running.get("status").asString()).isEqualTo("RUNNING");
        long total = running.get("progress").get("splitsTotal").asLong();
        assertThat(running.get("progress").get("splitsDone").asLong()).isLessThan(total);
        assertThat(running.get("progress").get("recordsPerSecond").asLong()).isLessThanOrEqualTo(6500);
        long pid = workerPid(first.id());
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        JsonNode killed = awaitFinished(first.id());
        assertThat(killed.get("status").asString()).isEqualTo("FAILED");
        long partial = count("big_copy");
        assertThat(partial).isGreaterThan(0).isLessThan(60000);

        Map<String, Object> faster = new HashMap<>(job);
        faster.put("setting", Map.of("speed", Map.of("channel", 2)));
        var second = admin.post("instances", task(faster, 1));
        JsonNode done = awaitFinished(second.id());
        assertThat(done.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(log(second.id())).contains("resuming run");
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(60000 - partial);
        assertThat(count("big_copy")).isEqualTo(60000);
        assertThat(countSql("SELECT count(DISTINCT id) FROM big_copy")).isEqualTo(60000);
        // the run is complete: its state is gone, the same job again copies afresh
        assertThat(countSql("SELECT count(*) FROM srg_sync_plan")).isZero();
    }

    @Test
    @DisplayName("kill -9 of the worker copying by a string splitPk: the resumed run keeps the plan's string bounds, every row once")
    void killedWorkerResumesWithStringBounds() throws Exception {
        // SPEC DI-7 with DI-3's string split key: the bounds saved in the plan are strings; NULL keys are a split of their own
        sql(src, "CREATE TABLE words (k text, n bigint)",
                "INSERT INTO words SELECT md5(g::text), g FROM generate_series(1, 40000) g",
                "INSERT INTO words SELECT NULL, g FROM generate_series(40001, 40100) g");
        sql(dst, "CREATE TABLE words_copy (k text, n bigint)");
        Map<String, Object> job = job(Map.of("speed", Map.of("channel", 2, "record", 4000)),
                Map.of("datasource", "src", "table", "words", "column", List.of("k", "n"), "splitPk", "k"),
                Map.of("datasource", "dst", "table", "words_copy", "column", List.of("k", "n"), "batchSize", 500));
        var first = admin.post("instances", task(job, 1));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.get("instances/" + first.id()).json().path("progress").path("splitsDone").asLong() >= 2);
        new ProcessBuilder("kill", "-9", Long.toString(workerPid(first.id()))).start().waitFor();
        assertThat(awaitFinished(first.id()).get("status").asString()).isEqualTo("FAILED");
        long partial = count("words_copy");
        assertThat(partial).isGreaterThan(0).isLessThan(40100);

        Map<String, Object> faster = new HashMap<>(job);
        faster.put("setting", Map.of("speed", Map.of("channel", 2)));
        var second = admin.post("instances", task(faster, 1));
        JsonNode done = awaitFinished(second.id());
        assertThat(done.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(log(second.id())).contains("resuming run");
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(40100 - partial);
        assertThat(count("words_copy")).isEqualTo(40100);
        assertThat(countSql("SELECT count(DISTINCT n) FROM words_copy")).isEqualTo(40100);
        assertThat(countSql("SELECT count(*) FROM words_copy WHERE k IS DISTINCT FROM md5(n::text) AND n <= 40000")).isZero();
        assertThat(countSql("SELECT count(*) FROM words_copy WHERE k IS NULL")).isEqualTo(100);
    }

    @Test
    @DisplayName("kill -9 of the worker after its completion commit: the same job again copies nothing, every row once; "
            + "a deliberate re-run after a success copies afresh")
    void killedAfterTheCompletionCommit() throws Exception {
        // SPEC DI-7: a crash at any point of a sync duplicates no row, even into a table without a key with writeMode insert
        sql(dst, "CREATE TABLE big_nokey (id bigint, label text, amount numeric(10,2))");
        Map<String, Object> job = job(Map.of("speed", Map.of("channel", 2)),
                Map.of("datasource", "src", "table", "big", "column", List.of("id", "label", "amount"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "big_nokey", "column", List.of("id", "label", "amount"), "writeMode", "insert",
                        "batchSize", 1000));
        String first = killedAfterItsCompletionCommit(task(job, 1));
        // every row was written before the kill
        assertThat(count("big_nokey")).isEqualTo(60000);

        // the documented recovery: the same job again (its setting may differ)
        Map<String, Object> again = new HashMap<>(job);
        again.put("setting", Map.of("speed", Map.of("channel", 1)));
        var second = admin.post("instances", task(again, 1));
        JsonNode done = awaitFinished(second.id());
        assertThat(done.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(count("big_nokey")).as("every row once").isEqualTo(60000);
        assertThat(countSql("SELECT count(DISTINCT id) FROM big_nokey")).isEqualTo(60000);
        assertThat(log(second.id())).contains("the previous run " + first + " wrote every row").contains("nothing to copy");
        assertThat(done.get("progress").get("recordsWritten").asLong()).isZero();

        // the same job once more after that success is a deliberate re-run: it copies afresh, as before
        var third = admin.post("instances", task(job, 1));
        JsonNode rerun = awaitFinished(third.id());
        assertThat(rerun.get("status").asString()).as(log(third.id())).isEqualTo("SUCCEEDED");
        assertThat(log(third.id())).doesNotContain("nothing to copy");
        assertThat(rerun.get("progress").get("recordsWritten").asLong()).isEqualTo(60000);
        assertThat(count("big_nokey")).isEqualTo(120000);
    }

    @Test
    @DisplayName("kill -9 of an incremental run after its completion commit: its watermark was saved with its rows; the next runs copy "
            + "each new row once")
    void incrementalKilledAfterTheCompletionCommit() throws Exception {
        // SPEC DI-7, DI-6: the watermark is saved in the completion's transaction
        sql(src, "CREATE TABLE ticks (id bigint PRIMARY KEY, updated_at timestamp)",
                "INSERT INTO ticks SELECT g, timestamp '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 30) g");
        sql(dst, "CREATE TABLE ticks_copy (id bigint, updated_at timestamp)");
        Map<String, Object> job = job(Map.of(),
                Map.of("datasource", "src", "table", "ticks", "column", List.of("id", "updated_at"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "ticks_copy", "column", List.of("id", "updated_at")));
        job.put("watermark", Map.of("column", "updated_at"));
        Map<String, Object> body = task(job, 1);
        body.put("name", "ticks-incremental");
        String first = killedAfterItsCompletionCommit(body);
        assertThat(count("ticks_copy")).isEqualTo(30);

        sql(src, "INSERT INTO ticks SELECT g, timestamp '2024-01-01' + g * interval '1 minute' FROM generate_series(31, 35) g");
        var second = admin.post("instances", body);
        assertThat(awaitFinished(second.id()).get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(log(second.id())).contains("the previous run " + first + " wrote every row");
        assertThat(count("ticks_copy")).isEqualTo(30);
        // the rows that came after the killed run are the next run's: above the watermark the killed run saved
        var third = admin.post("instances", body);
        JsonNode done = awaitFinished(third.id());
        assertThat(done.get("status").asString()).as(log(third.id())).isEqualTo("SUCCEEDED");
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(5);
        assertThat(count("ticks_copy")).isEqualTo(35);
        assertThat(countSql("SELECT count(DISTINCT id) FROM ticks_copy")).isEqualTo(35);
    }

    @Test
    @DisplayName("the same job submitted again while its run still copies: the second waits for the first in the writer's database, "
            + "then copies nothing; every row once")
    void resubmittedWhileRunning() throws Exception {
        // SPEC DI-7: before, the second run resumed the first one's plan while the first still copied it, and wrote the splits
        // being written a second time
        sql(dst, "CREATE TABLE big_twice (id bigint, label text, amount numeric(10,2))");
        Map<String, Object> job = job(Map.of("speed", Map.of("channel", 2, "record", 6000)),
                Map.of("datasource", "src", "table", "big", "column", List.of("id", "label", "amount"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "big_twice", "column", List.of("id", "label", "amount"), "writeMode", "insert",
                        "batchSize", 1000));
        var first = admin.post("instances", task(job, 1));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.get("instances/" + first.id()).json().path("progress").path("splitsDone").asLong() >= 1);
        var second = admin.post("instances", task(job, 1));
        assertThat(second.status()).as(second.toString()).isEqualTo(201);
        JsonNode a = awaitFinished(first.id());
        JsonNode b = awaitFinished(second.id());
        assertThat(a.get("status").asString()).as(log(first.id())).isEqualTo("SUCCEEDED");
        assertThat(b.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(count("big_twice")).as("every row once").isEqualTo(60000);
        assertThat(countSql("SELECT count(DISTINCT id) FROM big_twice")).isEqualTo(60000);
        // (it says "… is copying into the writer's database: waiting for it to end" when it reached the lock before the first
        // ended, which a loaded machine's JVM start may not)
        assertThat(log(second.id())).contains("the previous run " + first.id() + " wrote every row");
        assertThat(b.get("progress").get("recordsWritten").asLong()).isZero();
    }

    @Test
    @DisplayName("kill -9 after the completion commit, then more than 100 runs of the same job that failed by themselves: "
            + "the next one still copies nothing")
    void killedAfterTheCompletionCommitThenManyFailures() throws Exception {
        // SPEC DI-7: before, only the latest 100 unsuccessful runs were listed, and the 101st failure after the killed run made
        // the next one copy every row again
        sql(dst, "CREATE TABLE mixed_nokey (id bigint, v text)");
        Map<String, Object> job = job(Map.of(),
                Map.of("datasource", "src", "table", "mixed", "column", List.of("id", "v"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "mixed_nokey", "column", List.of("id", "v"), "writeMode", "insert"));
        String first = killedAfterItsCompletionCommit(task(job, 1));
        assertThat(count("mixed_nokey")).isEqualTo(100);
        // 150 runs of the job after it that failed by themselves (the worker's exit code 1), as while its writer was
        // unreachable: planted as copies of the killed run's row
        server.sql("DO $$ DECLARE cols text; BEGIN"
                + " SELECT string_agg(quote_ident(column_name), ', ') INTO cols FROM information_schema.columns"
                + "  WHERE table_schema = 'public' AND table_name = 'instances' AND column_name NOT IN ('id', 'sequence', 'exit_code');"
                + " EXECUTE format('INSERT INTO instances (id, exit_code, %s) SELECT %L || g, 1, %s FROM instances,"
                + "  generate_series(1, 150) g WHERE id = %L ORDER BY g', cols, '" + first + "-f', cols, '" + first + "');"
                + " END $$");
        var second = admin.post("instances", task(job, 1));
        JsonNode done = awaitFinished(second.id());
        assertThat(done.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(log(second.id())).contains("the previous run " + first + " wrote every row");
        assertThat(count("mixed_nokey")).as("every row once").isEqualTo(100);
    }

    /** Submits {@code body} with the worker halting (as kill -9) right after the commit that completes its run; its instance id. */
    private static String killedAfterItsCompletionCommit(Map<String, Object> body) {
        String id;
        // the server passes its srg.crash.at on to the worker it launches while the property is set
        System.setProperty(CrashPoint.PROPERTY, "sync.completed");
        try {
            var r = admin.post("instances", body);
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            id = r.id();
            JsonNode killed = awaitFinished(id);
            assertThat(killed.get("status").asString()).as(log(id)).isEqualTo("FAILED");
        } finally {
            System.clearProperty(CrashPoint.PROPERTY);
        }
        assertThat(log(id)).contains("crash point sync.completed reached");
        return id;
    }

    @Test
    @DisplayName("setting.retry: a failed preSql and a failure mid-copy are retried; the retry skips the committed splits, no row twice")
    void failedSyncIsRetried() throws Exception {
        // SPEC DI-7 (a retry resumes the run: no row twice or missing), DI-4 (the retried split's dirty record counted once)
        sql(dst, "CREATE TABLE big_retry (id bigint, label text, amount numeric(10,2), CHECK (id <> 46000))",
                "CREATE SEQUENCE presql_flaky", "CREATE SEQUENCE copy_flaky",
                // the database fails the first attempt's preSql, then the second attempt in the middle of the copy (a
                // connection-class error, as when the network drops): sequences are not rolled back, so each fails once
                """
                CREATE FUNCTION flaky() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                  IF NEW.id = 50000 THEN
                    IF nextval('copy_flaky') = 1 THEN RAISE EXCEPTION 'the network dropped' USING ERRCODE = '08006'; END IF;
                  END IF;
                  RETURN NEW; END $$""",
                "CREATE TRIGGER flaky BEFORE INSERT ON big_retry FOR EACH ROW EXECUTE FUNCTION flaky()");
        String failFirst = "DO $$ BEGIN IF nextval('presql_flaky') = 1 THEN RAISE EXCEPTION 'preSql fails once'; END IF; END $$";
        Map<String, Object> job = job(Map.of("speed", Map.of("channel", 1), "errorLimit", Map.of("record", 5),
                        "retry", Map.of("count", 2, "intervalSeconds", 1)),
                Map.of("datasource", "src", "table", "big", "column", List.of("id", "label", "amount"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "big_retry", "column", List.of("id", "label", "amount"), "batchSize", 1000,
                        "preSql", List.of(failFirst)));
        var r = admin.post("instances", task(job, 0.5));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        String log = log(r.id());
        assertThat(done.get("status").asString()).as(log).isEqualTo("SUCCEEDED");
        assertThat(log).contains("attempt 1 failed").contains("preSql fails once").contains("attempt 2 failed")
                .contains("the network dropped").contains("resuming run");
        // every row once, but the one the CHECK refuses, which is one dirty record though its split was copied twice
        assertThat(count("big_retry")).isEqualTo(59999);
        assertThat(countSql("SELECT count(DISTINCT id) FROM big_retry")).isEqualTo(59999);
        assertThat(done.get("progress").get("recordsWritten").asLong()).isEqualTo(59999);
        assertThat(done.get("progress").get("recordsRead").asLong()).isEqualTo(60000);
        assertThat(done.get("progress").get("dirtyRecords").asLong()).isEqualTo(1);
        JsonNode dirty = admin.get("instances/" + r.id() + "/dirty-records").json();
        assertThat(dirty.get("items")).hasSize(1);
        assertThat(dirty.get("items").get(0).get("record").get("id").asLong()).isEqualTo(46000);

        // errorLimit is the job's own rule: the same data fails the same way, so it is not retried
        var over = admin.post("instances", task(job(Map.of("errorLimit", Map.of("record", 0), "retry", Map.of("count", 3,
                        "intervalSeconds", 1)), Map.of("datasource", "src", "table", "mixed", "column", List.of("id", "v"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "ints", "column", List.of("id", "v"), "preSql", List.of("DELETE FROM ints"))), 1));
        JsonNode failed = awaitFinished(over.id());
        assertThat(failed.get("status").asString()).isEqualTo("FAILED");
        assertThat(log(over.id())).doesNotContain("retrying");
    }

    @Test
    @DisplayName("incremental: each run copies only rows above the saved watermark, fixed at its start; a failed run saves none")
    void incrementalByWatermark() throws Exception {
        // SPEC DI-6
        sql(src, "CREATE TABLE events (id bigint PRIMARY KEY, v text, updated_at timestamp)",
                "INSERT INTO events SELECT g, g::text, timestamp '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 50) g");
        sql(dst, "CREATE TABLE events_copy (id bigint, v integer, updated_at timestamp)");
        Map<String, Object> job = job(Map.of("errorLimit", Map.of("record", 0)),
                Map.of("datasource", "src", "table", "events", "column", List.of("id", "v", "updated_at"), "splitPk", "id"),
                Map.of("datasource", "dst", "table", "events_copy", "column", List.of("id", "v", "updated_at")));
        job.put("watermark", Map.of("column", "updated_at"));
        var unnamed = admin.post("instances", task(job, 1));
        assertThat(unnamed.status()).isEqualTo(400);
        assertThat(unnamed.field()).isEqualTo("name");

        Map<String, Object> body = task(job, 1);
        body.put("name", "events-incremental");
        var first = admin.post("instances", body);
        assertThat(awaitFinished(first.id()).get("status").asString()).as(log(first.id())).isEqualTo("SUCCEEDED");
        assertThat(count("events_copy")).isEqualTo(50);

        sql(src, "INSERT INTO events SELECT g, g::text, timestamp '2024-01-01' + g * interval '1 hour' FROM generate_series(51, 60) g");
        var second = admin.post("instances", body);
        JsonNode done = awaitFinished(second.id());
        assertThat(done.get("status").asString()).as(log(second.id())).isEqualTo("SUCCEEDED");
        assertThat(done.get("progress").get("recordsRead").asLong()).isEqualTo(10);
        assertThat(count("events_copy")).isEqualTo(60);

        // a run that fails (a value that is not an integer, errorLimit 0) saves no watermark ...
        sql(src, "INSERT INTO events VALUES (61, 'sixty-one', timestamp '2024-03-01'), (62, '62', timestamp '2024-03-02')");
        var failing = admin.post("instances", body);
        assertThat(awaitFinished(failing.id()).get("status").asString()).isEqualTo("FAILED");
        // ... so once the source is fixed, the next run copies from the last saved one
        sql(src, "UPDATE events SET v = '61' WHERE id = 61");
        sql(dst, "DELETE FROM events_copy WHERE id > 60");
        var fixed = admin.post("instances", body);
        JsonNode after = awaitFinished(fixed.id());
        assertThat(after.get("status").asString()).as(log(fixed.id())).isEqualTo("SUCCEEDED");
        assertThat(count("events_copy")).isEqualTo(62);
        assertThat(countSql("SELECT count(DISTINCT id) FROM events_copy")).isEqualTo(62);
        var nothingNew = admin.post("instances", body);
        JsonNode idle = awaitFinished(nothingNew.id());
        assertThat(idle.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(idle.get("progress").get("recordsRead").asLong()).isZero();
    }

    private static long count(String table) throws Exception {
        return countSql("SELECT count(*) FROM " + table);
    }

    private static long countSql(String sql) throws Exception {
        try (Connection c = connect(dst); var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
