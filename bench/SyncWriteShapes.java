import java.io.*;
import java.nio.file.*;
import java.sql.*;
import java.util.*;
import java.util.concurrent.*;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The write side of a PostgreSQL sync, measured apart from srg (issue 13, docs/benchmarks.md): the
 * backend CPU of writing ROWS rows of bench/sync's table in COPY's text format, in three shapes —
 * "stream" one COPY per split, "batch" a COPY per 2048-row batch, "batch-sp" the same behind a
 * savepoint per batch (srg's writer before) — with 1 or 4 writers (4 splits each) at once.
 *
 *   java -cp postgresql.jar bench/SyncWriteShapes.java "jdbc:postgresql://HOST:PORT/DB?user=U" ROWS stream:1,batch:1,batch-sp:4
 *
 * It drops and creates table t in DB. The CPU is read from /proc/<backend pid>/stat: run it on the
 * database's machine, as a user who may read the backends' /proc entries.
 */
public class SyncWriteShapes {
    static String url;
    static int rows, batch = 2048;

    static long cpu(int pid) throws IOException {
        String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10; // ms at 100 Hz
    }

    static byte[] text(long from, long to) {
        StringBuilder sb = new StringBuilder();
        for (long g = from; g < to; g++) {
            sb.append(g).append('\t').append("customer ").append(g).append('\t').append((g % 100000) / 100).append('.').append(String.format("%02d", g % 100))
              .append('\t').append("2020-01-01 00:00:00+00").append('\t').append(g % 3 == 0 ? 't' : 'f').append('\n');
        }
        return sb.toString().getBytes();
    }

    /** shape: "batch-sp" COPY per batch in savepoints; "batch" COPY per batch; "stream" one COPY per split. */
    static long[] writer(String shape, long from, long to) throws Exception {
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            int pid;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) { rs.next(); pid = rs.getInt(1); }
            c.commit();
            long before = cpu(pid), t0 = System.nanoTime();
            var api = c.unwrap(PGConnection.class).getCopyAPI();
            String sql = "COPY t (id, name, amount, created_at, flag) FROM STDIN";
            CopyIn in = shape.equals("stream") ? api.copyIn(sql) : null;
            for (long lo = from; lo < to; lo += batch) {
                byte[] b = text(lo, Math.min(to, lo + batch));
                if (in != null) { in.writeToCopy(b, 0, b.length); continue; }
                Savepoint sp = shape.equals("batch-sp") ? c.setSavepoint() : null;
                CopyIn one = api.copyIn(sql);
                one.writeToCopy(b, 0, b.length);
                one.endCopy();
                if (sp != null) c.releaseSavepoint(sp);
            }
            if (in != null) in.endCopy();
            c.commit();
            return new long[] {cpu(pid) - before, (System.nanoTime() - t0) / 1_000_000};
        }
    }

    public static void main(String[] a) throws Exception {
        url = a[0]; rows = Integer.parseInt(a[1]);
        for (String spec : a[2].split(",")) {
            String shape = spec.split(":")[0]; int n = Integer.parseInt(spec.split(":")[1]);
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS t");
                st.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text, amount numeric(12,2), created_at timestamptz, flag boolean)");
                st.execute("CHECKPOINT");
            }
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Future<long[]>> fs = new ArrayList<>();
            int splits = n * 4; long per = rows / splits;
            for (int k = 0; k < splits; k++) { long lo = 1 + k * per, hi = k == splits - 1 ? rows + 1 : lo + per; fs.add(pool.submit(() -> writer(shape, lo, hi))); }
            long cpu = 0, ms = 0; for (var f : fs) { long[] r = f.get(); cpu += r[0]; ms = Math.max(ms, r[1]); }
            pool.shutdown();
            System.out.printf("%-9s writers %d: backend CPU %5d ms (sum over %d splits)%n", shape, n, cpu, splits);
        }
    }
}
