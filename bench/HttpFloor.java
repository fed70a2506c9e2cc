import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The architectural floor of bench/dataservice: the smallest Java HTTP server doing the point
 * lookup over JDBC — no authentication, no routing, no second process, no call log. A pool of as
 * many database connections as wrk has, each with its prepared statement (server-side after
 * pgjdbc's prepareThreshold), answering {@code GET
 * /data/bench/lookup?id=N} with the row as {@code {"data":[{...}]}}. What srg costs above this is
 * srg's; what this costs above pgbench is "HTTP + a JVM + JDBC".
 *
 * <pre>java -cp srg.jar bench/HttpFloor.java jetty|jetty-vt|jetty-mixed|jdk PORT THREADS JDBC_URL USER PASSWORD</pre>
 */
public final class HttpFloor {
    private static final String SQL = "SELECT id, name, amount FROM t WHERE id = ?";

    /** One database connection and prepared statement per server thread. */
    private static final class Db {
        final PreparedStatement st;

        Db(String url, String user, String password) throws SQLException {
            Connection c = DriverManager.getConnection(url, user, password);
            st = c.prepareStatement(SQL);
        }

        byte[] lookup(long id) throws SQLException {
            StringBuilder out = new StringBuilder(96).append("{\"data\":[");
            st.setLong(1, id);
            try (ResultSet rs = st.executeQuery()) {
                boolean first = true;
                while (rs.next()) {
                    out.append(first ? "" : ",").append("{\"id\":").append(rs.getLong(1)).append(",\"name\":\"")
                            .append(rs.getString(2)).append("\",\"amount\":").append(rs.getBigDecimal(3)).append('}');
                    first = false;
                }
            }
            return out.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Jetty's threads as virtual threads, one per task (what Javalin does with useVirtualThreads). */
    private static final class VirtualThreads implements org.eclipse.jetty.util.thread.ThreadPool {
        private final java.util.concurrent.ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

        @Override
        public void execute(Runnable task) {
            executor.execute(task);
        }

        @Override
        public void join() throws InterruptedException {
            executor.awaitTermination(1, java.util.concurrent.TimeUnit.DAYS);
        }

        @Override
        public int getThreads() {
            return 1;
        }

        @Override
        public int getIdleThreads() {
            return 1;
        }

        @Override
        public boolean isLowOnThreads() {
            return false;
        }
    }

    private static byte[] lookup(java.util.concurrent.BlockingQueue<Db> pool, long id) throws java.io.IOException {
        Db db = null;
        try {
            db = pool.take();
            return db.lookup(id);
        } catch (SQLException | InterruptedException e) {
            throw new java.io.IOException(e);
        } finally {
            if (db != null) {
                pool.add(db);
            }
        }
    }

    private static long id(String query) {
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("id=")) {
                    return Long.parseLong(pair.substring(3));
                }
            }
        }
        return 1;
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        // a pool of connections, one per thread serving (a virtual thread per request cannot keep its own)
        java.util.concurrent.BlockingQueue<Db> pool = new java.util.concurrent.ArrayBlockingQueue<>(threads);
        for (int i = 0; i < threads; i++) {
            pool.add(new Db(args[3], args[4], args[5]));
        }
        BigDecimal.ONE.toString(); // nothing lazily loaded on the first request's path
        if (mode.equals("jdk")) {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
            server.setExecutor(Executors.newFixedThreadPool(threads));
            server.createContext("/", exchange -> {
                byte[] body = lookup(pool, id(exchange.getRequestURI().getRawQuery()));
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        } else {
            // plain Jetty (srg's HTTP container), platform threads: the handler blocks on JDBC in the pool's thread;
            // jetty-vt: every thread of Jetty's a virtual thread, as srg's Javalin has them (useVirtualThreads)
            // jetty-mixed: Jetty's own threads (selectors) platform threads, the handlers on virtual threads
            QueuedThreadPool qtp = new QueuedThreadPool(threads + 8, threads + 8);
            if (mode.equals("jetty-mixed")) {
                qtp.setVirtualThreadsExecutor(org.eclipse.jetty.util.VirtualThreads.getDefaultVirtualThreadsExecutor());
            }
            Server server = new Server(mode.equals("jetty-vt") ? new VirtualThreads() : qtp);
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(port);
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) throws Exception {
                    byte[] body = lookup(pool, id(request.getHttpURI().getQuery()));
                    response.setStatus(200);
                    response.getHeaders().put("Content-Type", "application/json");
                    response.write(true, ByteBuffer.wrap(body), callback);
                    return true;
                }
            });
            server.start();
        }
        System.out.println("floor (" + mode + ") listening on " + port);
        new java.util.concurrent.CountDownLatch(1).await(); // virtual threads are daemons: main keeps the JVM up
    }
}
