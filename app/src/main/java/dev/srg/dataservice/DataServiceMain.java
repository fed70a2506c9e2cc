package dev.srg.dataservice;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.json.JsonMapper;

/**
 * The DataService worker (SPEC DS-5): {@code java -cp <srg> dev.srg.dataservice.DataServiceMain},
 * started by the supervisor as a DATA_SERVICE service instance — the group's CU in its cgroups,
 * its own uid, and, where networks are enforced, the group's network namespace, so its database
 * connections leave through the group's network (NET-6). It listens on a Unix socket in its home
 * ({@link WorkerProtocol#SOCKET}; a path in the file system, so srg reaches it across network
 * namespaces, and only root and the task's uid can enter the home). srg sends each call's bound
 * query with the data source's connection over that socket: no credential is ever on the worker's
 * command line, in its environment or in a file.
 *
 * <p>Each srg connection gets a thread that keeps its own database connections (one per data
 * source), opened in a read-only session. A query over its timeout is cancelled on the database
 * ({@link Statement#cancel()}: PostgreSQL's cancel request, MariaDB's KILL QUERY), not abandoned.
 */
public final class DataServiceMain {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final ScheduledExecutorService CANCELLER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ds-cancel");
        t.setDaemon(true);
        return t;
    });

    private DataServiceMain() {}

    public static void main(String[] args) throws IOException {
        Path socket = Path.of(args.length > 0 ? args[0] : WorkerProtocol.SOCKET).toAbsolutePath();
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        System.out.println("srg dataservice worker: listening on " + socket.getFileName() + " (pid " + ProcessHandle.current().pid()
                + ")");
        AtomicInteger connections = new AtomicInteger();
        while (true) {
            SocketChannel channel = server.accept();
            Thread t = new Thread(() -> serve(channel), "ds-conn-" + connections.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
    }

    /** One srg connection: requests in turn until srg closes it. */
    private static void serve(SocketChannel channel) {
        Map<String, Connection> databases = new HashMap<>();
        try (channel;
             DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 16 * 1024))) {
            for (byte[] frame = WorkerProtocol.read(in); frame != null; frame = WorkerProtocol.read(in)) {
                Map<String, Object> answer;
                try {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> request = JSON.readValue(frame, Map.class);
                    answer = run(request, databases);
                } catch (RuntimeException e) {
                    answer = Map.of("ok", false, "error", "BAD_REQUEST", "message", String.valueOf(e.getMessage()));
                }
                WorkerProtocol.write(out, JSON.writeValueAsBytes(answer));
            }
        } catch (IOException e) {
            // srg went away (or gave up on a slow answer): nothing to answer
        } finally {
            databases.values().forEach(DataServiceMain::closeQuietly);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> run(Map<String, Object> request, Map<String, Connection> databases) {
        long start = System.nanoTime();
        Map<String, Object> conn = (Map<String, Object>) request.get("conn");
        String key = key(conn);
        Connection c = databases.get(key);
        try {
            if (c == null || c.isClosed()) {
                c = open(conn);
                databases.put(key, c);
            }
        } catch (SQLException e) {
            return failure("CONNECT", e);
        }
        int timeoutMillis = ((Number) request.get("timeoutMillis")).intValue();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        AtomicBoolean timedOut = new AtomicBoolean();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ok", true);
        try {
            answer.put("data", query(c, (String) request.get("sql"), (List<List<Object>>) request.get("binds"),
                    ((Number) request.get("maxRows")).intValue(), deadline, timedOut));
            if (request.get("countSql") != null) {
                List<Map<String, Object>> count = query(c, (String) request.get("countSql"),
                        (List<List<Object>>) request.get("countBinds"), 1, deadline, timedOut);
                Object total = count.isEmpty() ? 0 : count.get(0).values().iterator().next();
                answer.put("total", total instanceof Number n ? n.longValue() : 0L);
            }
        } catch (SQLException e) {
            if (timedOut.get()) {
                return Map.of("ok", false, "error", "TIMEOUT", "message", "cancelled on the database after " + timeoutMillis + " ms");
            }
            String state = e.getSQLState();
            if (state != null && state.startsWith("08")) {
                // the connection broke: the next call opens a new one
                databases.remove(key);
                closeQuietly(c);
                return failure("CONNECT", e);
            }
            return failure("QUERY", e);
        }
        answer.put("millis", (System.nanoTime() - start) / 1e6);
        return answer;
    }

    private static List<Map<String, Object>> query(Connection c, String sql, List<List<Object>> binds, int maxRows, long deadline,
                                                   AtomicBoolean timedOut) throws SQLException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            timedOut.set(true);
            throw new SQLException("timed out before the query started", "57014");
        }
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < binds.size(); i++) {
                bind(st, i + 1, (String) binds.get(i).get(0), (String) binds.get(i).get(1));
            }
            st.setMaxRows(maxRows);
            st.setFetchSize(Math.min(maxRows, 500));
            ScheduledFuture<?> cancel = CANCELLER.schedule(() -> {
                timedOut.set(true);
                try {
                    st.cancel();
                } catch (SQLException e) {
                    System.err.println("cancel failed: " + e.getMessage());
                }
            }, left, TimeUnit.MILLISECONDS);
            try (ResultSet rs = st.executeQuery()) {
                return rows(rs, maxRows);
            } finally {
                cancel.cancel(false);
            }
        }
    }

    private static void bind(PreparedStatement st, int index, String type, String value) throws SQLException {
        ParamType t = ParamType.valueOf(type);
        if (value == null) {
            st.setNull(index, switch (t) {
                case STRING -> Types.VARCHAR;
                case INT -> Types.INTEGER;
                case LONG -> Types.BIGINT;
                case DOUBLE -> Types.DOUBLE;
                case BOOLEAN -> Types.BOOLEAN;
                case DATE -> Types.DATE;
                case DATETIME -> Types.TIMESTAMP;
            });
            return;
        }
        switch (t) {
            case STRING -> st.setString(index, value);
            case INT -> st.setInt(index, Integer.parseInt(value));
            case LONG -> st.setLong(index, Long.parseLong(value));
            case DOUBLE -> st.setDouble(index, Double.parseDouble(value));
            case BOOLEAN -> st.setBoolean(index, Boolean.parseBoolean(value));
            case DATE -> st.setObject(index, LocalDate.parse(value));
            case DATETIME -> st.setObject(index, LocalDateTime.parse(value));
        }
    }

    private static List<Map<String, Object>> rows(ResultSet rs, int maxRows) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int columns = md.getColumnCount();
        String[] labels = new String[columns];
        for (int i = 0; i < columns; i++) {
            labels[i] = md.getColumnLabel(i + 1);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        while (out.size() < maxRows && rs.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 0; i < columns; i++) {
                row.put(labels[i], value(rs.getObject(i + 1)));
            }
            out.add(row);
        }
        return out;
    }

    /** JSON values: numbers, text, booleans; dates and times as ISO text; bytes as base64; anything else as its text. */
    private static Object value(Object v) {
        return switch (v) {
            case null -> null;
            case Number n -> n;
            case Boolean b -> b;
            case String s -> s;
            case java.sql.Date d -> d.toLocalDate().toString();
            case Timestamp t -> t.toLocalDateTime().toString();
            case java.sql.Time t -> t.toLocalTime().toString();
            case java.time.temporal.TemporalAccessor t -> t.toString();
            case byte[] b -> Base64.getEncoder().encodeToString(b);
            default -> v.toString();
        };
    }

    private static Connection open(Map<String, Object> conn) throws SQLException {
        String type = (String) conn.get("type");
        String host = (String) conn.get("host");
        int port = ((Number) conn.get("port")).intValue();
        String database = (String) conn.get("database");
        Properties p = new Properties();
        p.setProperty("user", (String) conn.get("user"));
        if (conn.get("password") != null) {
            p.setProperty("password", (String) conn.get("password"));
        }
        boolean postgres = "POSTGRESQL".equals(type);
        String url = postgres ? "jdbc:postgresql://" + host + ":" + port + "/" + database
                : "jdbc:mariadb://" + host + ":" + port + "/" + database;
        if (postgres) {
            p.setProperty("ApplicationName", "srg-dataservice");
            p.setProperty("connectTimeout", "10");
        } else {
            p.setProperty("connectTimeout", "10000");
        }
        Connection c = DriverManager.getConnection(url, p);
        try (Statement st = c.createStatement()) {
            // defence in depth: the API's SQL was checked to be one query; the session cannot write either
            st.execute(postgres ? "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY" : "SET SESSION TRANSACTION READ ONLY");
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
        return c;
    }

    private static String key(Map<String, Object> conn) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String k : List.of("type", "host", "port", "database", "user", "password")) {
                d.update(String.valueOf(conn.get(k)).getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> failure(String error, SQLException e) {
        return Map.of("ok", false, "error", error, "message", String.valueOf(e.getMessage()),
                "sqlState", String.valueOf(e.getSQLState()));
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            // closing a broken connection: nothing left to do
        }
    }
}
