package dev.srg.sync;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training run the sync worker's class archive is made from ({@link SyncRuntime}): what a
 * worker does without a database — a CSV → CSV sync of 20,000 records through {@link SyncMain},
 * the JDBC drivers loaded and connecting (to a closed port), batches encoded for a binary COPY —
 * so that the classes a worker loads are in the archive, linked, and (JDK 25+) with profiles of
 * the methods that run for every row. {@code java -cp <worker classpath> dev.srg.sync.SyncTraining <dir>}.
 */
public final class SyncTraining {
    private static final int ROWS = 20_000;

    private SyncTraining() {}

    public static void main(String[] args) throws IOException, SQLException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        StringBuilder csv = new StringBuilder();
        for (int g = 1; g <= ROWS; g++) {
            csv.append(g).append(",customer ").append(g).append(',').append(g % 100000 / 100.0).append(",2020-01-01,")
                    .append(g % 3 == 0).append('\n');
        }
        Files.writeString(dir.resolve("in.csv"), csv, StandardCharsets.UTF_8);
        Map<String, Object> job = SyncJob.normalize(Map.of(
                "setting", Map.of("speed", Map.of("channel", 2)),
                "reader", Map.of("plugin", "txtfile", "parameter", Map.of("datasource", "training", "path", "in.csv",
                        "column", List.of(column(0, "long"), column(1, "string"), column(2, "decimal"), column(3, "date"),
                                column(4, "boolean")))),
                "writer", Map.of("plugin", "txtfile", "parameter", Map.of("datasource", "training", "path", "out.csv",
                        "column", List.of("id", "name", "amount", "day", "flag")))));
        for (String role : List.of("reader", "writer")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> side = new LinkedHashMap<>((Map<String, Object>) job.get(role));
            side.put("connection", Map.of("type", "CSV", "path", dir.toString()));
            job.put(role, side);
        }
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        int exit = new SyncMain(job, 1, quiet).run();
        for (String url : List.of("jdbc:postgresql://127.0.0.1:1/training?connectTimeout=1",
                "jdbc:mariadb://127.0.0.1:1/training?connectTimeout=1000")) {
            try {
                DriverManager.getConnection(url, "training", "training").close();
            } catch (SQLException expected) {
                // nothing listens there: the driver's classes up to the connection are loaded
            }
        }
        PgCopy copy = new PgCopy("COPY t FROM STDIN", List.of("int8", "text", "numeric", "timestamptz", "bool", "date"));
        List<Object[]> batch = new ArrayList<>();
        for (long g = 1; g <= 2048; g++) {
            batch.add(new Object[] {g, "customer " + g, BigDecimal.valueOf(g % 100000, 2),
                    OffsetDateTime.of(2020, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC).plusSeconds(g), g % 3 == 0,
                    LocalDate.of(2020, 1, 1).plusDays(g % 1000)});
        }
        for (int k = 0; k < ROWS / batch.size(); k++) {
            copy.encode(batch);
        }
        System.exit(exit);
    }

    private static Map<String, Object> column(int index, String type) {
        return Map.of("index", index, "type", type);
    }
}
