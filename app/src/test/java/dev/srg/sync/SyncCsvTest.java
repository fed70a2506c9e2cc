package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The txtfile (CSV) reader and writer through the real server and a real worker: files the test
 * writes in a directory the task's user may read and write, real PostgreSQL on the other side.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SyncCsvTest extends SyncTestBase {
    private static final String TYPES = """
            id bigint PRIMARY KEY, small smallint, amount numeric(12,3), ratio double precision, label text,
            code varchar(20), day date, at timestamp, at_tz timestamptz, flag boolean, blob bytea""";
    private static final List<String> COLUMNS = List.of("id", "small", "amount", "ratio", "label", "code", "day", "at", "at_tz",
            "flag", "blob");
    private static Path dir;
    private static TestDatabases.Fresh pg;

    @BeforeAll
    static void setUp() throws Exception {
        // the task runs as its own unprivileged user: the directory is open to it, as an operator's export directory would be
        dir = dev.srg.testing.TaskReachableDirectories.create("srg-csv-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        var r = admin.post("data-sources", Map.of("name", "files", "workspaceId", workspaceId, "type", "CSV", "path", dir.toString()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        pg = postgresSource("pg");
        sql(pg, "CREATE TABLE src (" + TYPES + ")",
                "INSERT INTO src VALUES (1, -32768, 123456789.125, 1.5e300, 'héllo, \"wörld\"\n中文 😀', '\\N',"
                        + " '2024-02-29', '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.5+05:30', true, '\\x00ff10')",
                "INSERT INTO src VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                "INSERT INTO src VALUES (3, 0, 0, -0.25, '', 'tab\there', '0001-01-01', '2000-01-01 00:00', '1999-12-31 23:00+00', false, '')",
                "INSERT INTO src SELECT g, g % 1000, g / 7.0, g * 0.5, 'row ' || g, 'c' || g, date '2000-01-01' + g,"
                        + " timestamp '2000-01-01' + g * interval '1 minute', timestamptz '2000-01-01 00:00+00' + g * interval '1 second',"
                        + " g % 2 = 0, int4send(g) FROM generate_series(4, 3000) g");
    }

    @AfterAll
    static void removeFiles() throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private static Map<String, Object> job(Map<String, Object> reader, Map<String, Object> writer, int channel, int errorLimit) {
        Map<String, Object> job = new HashMap<>();
        job.put("setting", Map.of("speed", Map.of("channel", channel), "errorLimit", Map.of("record", errorLimit)));
        job.put("reader", reader);
        job.put("writer", writer);
        return job;
    }

    private static Map<String, Object> csv(Map<String, Object> parameter) {
        Map<String, Object> p = new HashMap<>(parameter);
        p.put("datasource", "files");
        return Map.of("plugin", "txtfile", "parameter", p);
    }

    private static Map<String, Object> table(String table, List<String> columns, boolean reader) {
        Map<String, Object> p = new HashMap<>(Map.of("datasource", "pg", "table", table, "column", columns));
        if (reader) {
            p.put("splitPk", "id");
        }
        return Map.of("plugin", "postgresql", "parameter", p);
    }

    private static List<List<Object>> rows(String table) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        try (Connection c = connect(pg); var st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + String.join(", ", COLUMNS) + ", at_tz::text FROM " + table + " ORDER BY id")) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= COLUMNS.size() + 1; i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof byte[] b ? HexFormat.of().formatHex(b) : v);
                }
                out.add(row);
            }
        }
        return out;
    }

    private static JsonNode run(Map<String, Object> job, String expected) {
        var r = admin.post("instances", task(job, 2));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo(expected);
        return done;
    }

    @Test
    @DisplayName("PostgreSQL -> CSV -> PostgreSQL keeps every type, NULLs, quotes, line breaks and Unicode; splits joined in order")
    void roundTripThroughCsv() throws Exception {
        // SPEC DI-2, SPEC DI-4: every type through a CSV file and back, on 3 channels
        JsonNode out = run(job(table("src", COLUMNS, true), csv(Map.of("path", "export.csv", "column", COLUMNS, "header", true,
                "fieldDelimiter", ";")), 3, 0), "SUCCEEDED");
        assertThat(out.path("progress").path("recordsWritten").asLong()).isEqualTo(3000);
        assertThat(out.path("progress").path("splitsTotal").asLong()).isGreaterThan(1);
        List<String> lines = Files.readAllLines(dir.resolve("export.csv"), StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo(String.join(";", COLUMNS));
        // the text "\N" is quoted so that it does not read back as NULL; NULLs are \N
        assertThat(lines.get(1)).startsWith("1;-32768;123456789.125;1.5E300;\"héllo, \"\"wörld\"\"");
        assertThat(lines).contains("2;\\N;\\N;\\N;\\N;\\N;\\N;\\N;\\N;\\N;\\N");
        assertThat(lines).anyMatch(l -> l.startsWith("3;0;0.000;-0.25;;tab\there;0001-01-01;2000-01-01 00:00:00;1999-12-31 23:00:00+00:00;false;\\x"));
        // rows in key order across the splits
        assertThat(lines.get(lines.size() - 1)).startsWith("3000;");
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".export.csv.srg-"));

        sql(pg, "CREATE TABLE back (" + TYPES + ")");
        run(job(csv(Map.of("path", "export.csv", "column", COLUMNS, "header", true, "fieldDelimiter", ";")),
                table("back", COLUMNS, false), 1, 0), "SUCCEEDED");
        assertThat(rows("back")).isEqualTo(rows("src"));
    }

    @Test
    @DisplayName("a CSV file with typed columns by index: bad values and undecodable records are dirty records with their lines")
    void typedColumnsAndDirtyRecords() throws Exception {
        // SPEC DI-4: a value that cannot be converted is kept with its reason, never altered
        sql(pg, "CREATE TABLE people (id bigint, name text, born date, score numeric(5,2))");
        byte[] latin1 = "4,J\u00fcrgen,1990-01-01,1.5\n".getBytes(StandardCharsets.ISO_8859_1); // not valid UTF-8
        String text = "name,id,born,score\n"
                + "\"Ann, Jr.\",1,31/12/1999,10.25\n"
                + "李,2,01/02/2000,\\N\n"
                + "Bob,x3,01/02/2000,1\n"
                + "\n"
                + "Eve,5,01/02/2000,1.234\n"
                + "Short,6\n";
        byte[] file = new byte[text.length() * 4 + latin1.length];
        byte[] head = text.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, file, 0, head.length);
        System.arraycopy(latin1, 0, file, head.length, latin1.length);
        Files.write(dir.resolve("people.csv"), java.util.Arrays.copyOf(file, head.length + latin1.length));
        List<Object> columns = List.of(Map.of("index", 1, "type", "long"), Map.of("index", 0, "type", "string"),
                Map.of("index", 2, "type", "date", "format", "dd/MM/yyyy"), Map.of("name", "score", "type", "string"));
        JsonNode done = run(job(csv(Map.of("path", "people.csv", "column", columns, "header", true)),
                Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg", "table", "people",
                        "column", List.of("id", "name", "born", "score"))), 1, 10), "SUCCEEDED");
        assertThat(done.path("progress").path("recordsWritten").asLong()).isEqualTo(2);
        assertThat(done.path("progress").path("dirtyRecords").asLong()).isEqualTo(4);
        List<String> copied = new ArrayList<>();
        try (Connection c = connect(pg); var st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, name, born, score FROM people ORDER BY id")) {
            while (rs.next()) {
                copied.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4));
            }
        }
        assertThat(copied).containsExactly("1|Ann, Jr.|1999-12-31|10.25", "2|李|2000-02-01|null");
        JsonNode dirty = admin.get("instances/" + done.get("id").asString() + "/dirty-records").json();
        List<String> reasons = new ArrayList<>();
        dirty.get("items").forEach(i -> reasons.add(i.get("reason").asString()));
        assertThat(reasons).hasSize(4);
        assertThat(reasons.get(0)).contains("line 4").contains("column id").contains("'x3' is not a valid long");
        assertThat(dirty.get("items").get(0).get("record").get("id").asString()).isEqualTo("x3");
        assertThat(reasons.get(1)).contains("column score").contains("more than 2 decimal places");
        assertThat(reasons.get(2)).contains("line 7 has 2 field(s)");
        assertThat(reasons.get(3)).contains("line 8").contains("not valid UTF-8");
    }

    @Test
    @DisplayName("SPEC DI-5: dirty records dropped by the reader count as read, not as written: bytesRead is bytesWritten plus"
            + " the dropped records' bytes")
    void droppedRecordsCountAsReadNotWritten() throws Exception {
        // SPEC DI-4, SPEC DI-5: 300 rows copied, 200 with a bad id dropped (hunt18 saw bytesWritten == bytesRead)
        sql(pg, "CREATE TABLE counted (id bigint, name text)");
        StringBuilder text = new StringBuilder();
        long written = 0;
        long dropped = 0;
        for (int i = 0; i < 500; i++) {
            String id = i % 5 < 2 ? "x" + i : Integer.toString(i);
            String name = "name-" + i;
            text.append(id).append(',').append(name).append('\n');
            if (id.startsWith("x")) {
                dropped += id.length() + name.length(); // the values as read: text in characters
            } else {
                written += 8 + name.length(); // a long is 8
            }
        }
        Files.writeString(dir.resolve("counted.csv"), text, StandardCharsets.UTF_8);
        List<Object> columns = List.of(Map.of("index", 0, "type", "long"), Map.of("index", 1, "type", "string"));
        JsonNode progress = run(job(csv(Map.of("path", "counted.csv", "column", columns)),
                Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg", "table", "counted",
                        "column", List.of("id", "name"))), 1, 200), "SUCCEEDED").path("progress");
        assertThat(progress.path("dirtyRecords").asLong()).isEqualTo(200);
        assertThat(progress.path("recordsRead").asLong()).isEqualTo(500);
        assertThat(progress.path("recordsWritten").asLong()).isEqualTo(300);
        assertThat(progress.path("bytesWritten").asLong()).isEqualTo(written);
        assertThat(progress.path("bytesRead").asLong()).as(progress.toString()).isEqualTo(written + dropped);
    }

    @Test
    @DisplayName("numbers no column keeps as written (1e2147483647 as a decimal, 1e999 and 1e-999 as a double, 1e300 into a real)"
            + " are dirty records, counted; the sync goes on within its dirty limit")
    void numbersOutOfRangeAreDirtyRecords() throws Exception {
        // SPEC DI-4: before, 1e2147483647 reached the writer (its plain text is 2 GB) and 1e999 / 1e-999 were kept as
        // infinity / 0
        sql(pg, "CREATE TABLE extreme (id bigint, amount numeric, ratio double precision, small real)");
        String text = """
                1,1.5,2.5,1.5
                2,1e2147483647,1,1
                3,1e-2147483647,1,1
                4,1,1e999,1
                5,1,-1e-999,1
                6,1,1,1e300
                7,2,Infinity,2
                8,0e-5,0.0e-999,0
                """;
        Files.writeString(dir.resolve("extreme.csv"), text, StandardCharsets.UTF_8);
        List<Object> columns = List.of(Map.of("index", 0, "type", "long"), Map.of("index", 1, "type", "decimal"),
                Map.of("index", 2, "type", "double"), Map.of("index", 3, "type", "double"));
        JsonNode done = run(job(csv(Map.of("path", "extreme.csv", "column", columns)),
                Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg", "table", "extreme",
                        "column", List.of("id", "amount", "ratio", "small"))), 1, 10), "SUCCEEDED");
        JsonNode progress = done.path("progress");
        assertThat(progress.path("recordsRead").asLong()).as(progress.toString()).isEqualTo(8);
        assertThat(progress.path("recordsWritten").asLong()).as(progress.toString()).isEqualTo(3);
        assertThat(progress.path("dirtyRecords").asLong()).as(progress.toString()).isEqualTo(5);
        List<String> copied = new ArrayList<>();
        try (Connection c = connect(pg); var st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, amount, ratio, small FROM extreme ORDER BY id")) {
            while (rs.next()) {
                copied.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4));
            }
        }
        assertThat(copied).containsExactly("1|1.5|2.5|1.5", "7|2|Infinity|2", "8|0.00000|0|0");
        JsonNode dirty = admin.get("instances/" + done.get("id").asString() + "/dirty-records").json();
        List<String> reasons = new ArrayList<>();
        dirty.get("items").forEach(i -> reasons.add(i.get("reason").asString()));
        assertThat(reasons).hasSize(5);
        assertThat(reasons.get(0)).contains("'1e2147483647' is out of a decimal's range");
        assertThat(reasons.get(1)).contains("'1e-2147483647' is out of a decimal's range");
        assertThat(reasons.get(2)).contains("'1e999' is out of range: it would be kept as infinity");
        assertThat(reasons.get(3)).contains("'-1e-999' is out of range: it would be kept as 0");
        assertThat(reasons.get(4)).contains("small").contains("it would be kept as infinity");
    }

    @Test
    @DisplayName("SPEC DI-4: a sync's dirty records (the source's values) need a role in its workspace, like its log;"
            + " ResourceGroupFullAccess alone sees the instance, not the records")
    void dirtyRecordsNeedAWorkspaceRole() throws Exception {
        Files.writeString(dir.resolve("cards.csv"), "1,plain\nx4111111111111111,card\n", StandardCharsets.UTF_8);
        List<Object> columns = List.of(Map.of("index", 0, "type", "long"), Map.of("index", 1, "type", "string"));
        JsonNode done = run(job(csv(Map.of("path", "cards.csv", "column", columns)),
                csv(Map.of("path", "cards-out.csv", "column", List.of("id", "w"))), 1, 10), "SUCCEEDED");
        assertThat(done.path("progress").path("dirtyRecords").asLong()).isEqualTo(1);
        String id = done.get("id").asString();
        var manager = fx.user("ResourceGroupFullAccess");
        var visitor = fx.user();
        var outsider = fx.user();
        assertThat(admin.put("workspaces/" + workspaceId + "/members/" + visitor.id(), Map.of("role", "VISITOR")).status()).isEqualTo(200);

        assertThat(manager.http().get("instances/" + id).status()).isEqualTo(200);
        var refused = manager.http().get("instances/" + id + "/dirty-records");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.code()).isEqualTo("Forbidden.WorkspaceRole");
        assertThat(refused.text()).doesNotContain("4111111111111111");
        assertThat(manager.http().get("instances/" + id + "/log").status()).isEqualTo(403);
        assertThat(visitor.http().get("instances/" + id + "/dirty-records").text()).contains("x4111111111111111");
        assertThat(admin.get("instances/" + id + "/dirty-records").text()).contains("x4111111111111111");
        assertThat(outsider.http().get("instances/" + id + "/dirty-records").status()).isEqualTo(404);
    }

    @Test
    @DisplayName("the writer's encoding, nonConflict and a failed run leave no file; bad txtfile parameters are 400s")
    void writerRules() throws Exception {
        // SPEC DI-4: a text the file's encoding cannot hold is dirty; DI-7: a failed run publishes nothing
        sql(pg, "CREATE TABLE words (id bigint PRIMARY KEY, w text)", "INSERT INTO words VALUES (1, 'café'), (2, '中文'), (3, 'plain')");
        Map<String, Object> latin = csv(Map.of("path", "words.csv", "column", List.of("id", "w"), "encoding", "ISO-8859-1"));
        JsonNode done = run(job(table("words", List.of("id", "w"), true), latin, 1, 1), "SUCCEEDED");
        assertThat(done.path("progress").path("dirtyRecords").asLong()).isEqualTo(1);
        assertThat(Files.readAllBytes(dir.resolve("words.csv"))).isEqualTo("1,caf\u00e9\n3,plain\n".getBytes(StandardCharsets.ISO_8859_1));

        // over the limit: FAILED, and the earlier file is untouched, no part file left
        run(job(table("words", List.of("id", "w"), true), latin, 1, 0), "FAILED");
        assertThat(Files.readAllBytes(dir.resolve("words.csv"))).isEqualTo("1,caf\u00e9\n3,plain\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(Files.list(dir).map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".words.csv.srg-"));

        JsonNode conflict = run(job(table("words", List.of("id", "w"), true), csv(Map.of("path", "words.csv",
                "column", List.of("id", "w"), "writeMode", "nonConflict")), 1, 0), "FAILED");
        assertThat(conflict.path("progress").path("reason").asString()).contains("nonConflict").contains("exists");

        Map<String, Map<String, Object>> bad = new java.util.LinkedHashMap<>();
        bad.put("sync.writer.parameter.encoding", job(table("words", List.of("id", "w"), true),
                csv(Map.of("path", "w.csv", "column", List.of("id", "w"), "encoding", "UTF-16")), 1, 0));
        bad.put("sync.writer.parameter.path", job(table("words", List.of("id", "w"), true),
                csv(Map.of("path", "../etc/passwd", "column", List.of("id", "w"))), 1, 0));
        bad.put("sync.reader.parameter.column[0].type", job(csv(Map.of("path", "w.csv", "column",
                List.of(Map.of("index", 0, "type", "money")))), table("words", List.of("id"), false), 1, 0));
        bad.put("sync.reader.parameter.fieldDelimiter", job(csv(Map.of("path", "w.csv", "column", List.of("id"),
                "fieldDelimiter", "\"")), table("words", List.of("id"), false), 1, 0));
        bad.put("sync.watermark", new HashMap<>(job(table("words", List.of("id", "w"), true),
                csv(Map.of("path", "w.csv", "column", List.of("id", "w"))), 1, 0)));
        bad.get("sync.watermark").put("watermark", Map.of("column", "id"));
        for (var c : bad.entrySet()) {
            var r = admin.post("instances", task(c.getValue(), 1));
            assertThat(r.status()).as(c.getKey() + ": " + r).isEqualTo(400);
            assertThat(r.field()).as(r.toString()).isEqualTo(c.getKey());
        }
    }
}
