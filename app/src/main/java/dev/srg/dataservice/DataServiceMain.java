package dev.srg.dataservice;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.math.BigInteger;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.core.JsonGenerator;
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
    /** How often running statements are checked against their deadline. */
    private static final long SWEEP_MILLIS = 20;
    /** The statements running now: one sweep cancels those over their deadline (not a timer per query). */
    private static final Set<Running> RUNNING = ConcurrentHashMap.newKeySet();

    /** A statement in flight and when it is cancelled (System.nanoTime()). */
    private record Running(Statement statement, long deadline, AtomicBoolean timedOut) {}

    private DataServiceMain() {}

    /**
     * {@code DataServiceMain <socket>}: listens on the Unix socket (the local backend). {@code
     * DataServiceMain <socket> --tcp <port>}: listens on TCP instead (a Pod on Kubernetes, which
     * shares no file system with srg); each connection must first prove it knows this instance's
     * secret ({@link WorkerProtocol#KEY_FILE}, from the launch's files: the Pod's Secret).
     */
    public static void main(String[] args) throws IOException {
        int tcp = args.length >= 3 && args[1].equals("--tcp") ? Integer.parseInt(args[2]) : -1;
        AtomicInteger connections = new AtomicInteger();
        Thread.ofPlatform().name("ds-cancel").daemon().start(DataServiceMain::cancelLoop);
        if (tcp >= 0) {
            byte[] key = WorkerProtocol.readKey(Path.of(WorkerProtocol.KEY_FILE));
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET);
            server.bind(new InetSocketAddress(tcp));
            System.out.println("srg dataservice worker: listening on TCP port " + tcp + " (pid " + ProcessHandle.current().pid() + ")");
            // no thread for a connection until it answered the challenge
            new ChallengeGate(server, key, channel -> start(connections, () -> serve(channel))).run();
            return;
        }
        // bound by its name relative to the home (the working directory): its absolute path may be longer than a
        // socket's 107 bytes under a long data directory; srg reaches it through a shorter link then (SocketLinks)
        Path socket = Path.of(args.length > 0 ? args[0] : WorkerProtocol.SOCKET);
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        System.out.println("srg dataservice worker: listening on " + socket.getFileName() + " (pid " + ProcessHandle.current().pid()
                + ")");
        while (true) {
            SocketChannel channel = server.accept();
            start(connections, () -> serve(channel));
        }
    }

    private static void start(AtomicInteger connections, Runnable serve) {
        Thread t = new Thread(serve, "ds-conn-" + connections.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    /** Cancels statements over their deadline on the database (PostgreSQL's cancel request, MariaDB's KILL QUERY). */
    private static void cancelLoop() {
        while (true) {
            try {
                Thread.sleep(SWEEP_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Running r : RUNNING) {
                if (now - r.deadline() > 0 && RUNNING.remove(r)) {
                    r.timedOut().set(true);
                    try {
                        r.statement().cancel();
                    } catch (SQLException e) {
                        System.err.println("cancel failed: " + e.getMessage());
                    }
                }
            }
        }
    }

    /** One srg connection: requests in turn until srg closes it. */
    private static void serve(SocketChannel channel) {
        Sources sources = new Sources();
        ByteArrayOutputStream rows = new ByteArrayOutputStream(4096);
        // the head and the rows go out together, in one write from an array kept for the connection's life
        WorkerProtocol.Frame answer = new WorkerProtocol.Frame(4096);
        try (channel;
             DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024))) {
            OutputStream out = Channels.newOutputStream(channel);
            for (byte[] frame = WorkerProtocol.read(in); frame != null; frame = WorkerProtocol.read(in)) {
                rows.reset();
                WorkerProtocol.Head head;
                try {
                    head = run(WorkerProtocol.Request.decode(frame), sources, rows);
                } catch (IOException | RuntimeException e) {
                    head = WorkerProtocol.Head.failed("BAD_REQUEST", String.valueOf(e.getMessage()), null);
                }
                answer.reset();
                head.writeTo(answer);
                if (head.ok()) {
                    int start = answer.begin();
                    rows.writeTo(answer);
                    answer.end(start);
                }
                answer.sendTo(out);
            }
        } catch (IOException e) {
            // srg went away (or gave up on a slow answer): nothing to answer
        } finally {
            sources.closeAll();
        }
    }

    /**
     * The data sources of one srg connection: the details srg sent once per source key (in memory
     * only), and the database connection opened with them. A new key of the same data source (its
     * credentials changed) closes the old key's connection.
     */
    static final class Sources {
        /** Statements kept open per database connection (an API's SQL, its count query). */
        static final int KEPT_STATEMENTS = 32;
        private final Map<String, Map<String, Object>> details = new HashMap<>();
        private final Map<String, Connection> databases = new HashMap<>();
        /**
         * The prepared statements of each database connection, by SQL, kept from call to call: the
         * worker's profile had preparing and closing one per call (the driver's cache looked up,
         * its entry taken out and put back) at about 5 % of its samples.
         */
        private final Map<Connection, Map<String, PreparedStatement>> statements = new HashMap<>();

        PreparedStatement statement(Connection c, String sql) throws SQLException {
            Map<String, PreparedStatement> kept = statements.computeIfAbsent(c, k -> new LinkedHashMap<>(16, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
                    if (size() <= KEPT_STATEMENTS) {
                        return false;
                    }
                    closeQuietly(eldest.getValue());
                    return true;
                }
            });
            PreparedStatement st = kept.get(sql);
            if (st == null) {
                st = c.prepareStatement(sql);
                kept.put(sql, st);
            }
            return st;
        }

        /** A statement that failed is not used again (the next call prepares it anew). */
        void discard(Connection c, String sql) {
            Map<String, PreparedStatement> kept = statements.get(c);
            PreparedStatement st = kept == null ? null : kept.remove(sql);
            if (st != null) {
                closeQuietly(st);
            }
        }

        @SuppressWarnings("unchecked")
        Connection connection(String key, Object conn) throws SQLException {
            if (conn instanceof Map<?, ?> given && !details.containsKey(key)) {
                String id = WorkerSource.idOf(key);
                for (String old : List.copyOf(details.keySet())) {
                    if (WorkerSource.idOf(old).equals(id)) {
                        details.remove(old);
                        Connection c = databases.remove(old);
                        if (c != null) {
                            statements.remove(c);
                            closeQuietly(c);
                        }
                    }
                }
                details.put(key, (Map<String, Object>) given);
            }
            Map<String, Object> d = details.get(key);
            if (d == null) {
                throw new IllegalArgumentException("no connection details for " + key + " on this connection");
            }
            Connection c = databases.get(key);
            if (c == null || c.isClosed()) {
                if (c != null) {
                    statements.remove(c);
                }
                c = open(d);
                databases.put(key, c);
            }
            return c;
        }

        /** The IPv4 address the source's host resolves to here, if it does. */
        Optional<String> address(String key) {
            Map<String, Object> d = details.get(key);
            if (d == null || !(d.get("host") instanceof String host)) {
                return Optional.empty();
            }
            try {
                return Optional.of(InetAddress.getByName(host).getHostAddress());
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        /** The connection broke: the next call opens a new one. */
        void broken(String key) {
            Connection c = databases.remove(key);
            if (c != null) {
                statements.remove(c);
                closeQuietly(c);
            }
        }

        void closeAll() {
            databases.values().forEach(DataServiceMain::closeQuietly);
            databases.clear();
            statements.clear();
        }
    }

    /** Runs one request; its rows go to {@code rows} as a JSON array. @return the answer's head */
    static WorkerProtocol.Head run(WorkerProtocol.Request request, Sources sources, OutputStream rows) {
        String key = request.ds();
        Connection c;
        try {
            c = sources.connection(key, request.conn());
        } catch (SQLException e) {
            // the address this network resolved the host to: srg says whether the group's network reaches it (NET-6)
            return failure("CONNECT", e).at(sources.address(key).orElse(null));
        }
        int timeoutMillis = request.timeoutMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        AtomicBoolean timedOut = new AtomicBoolean();
        try {
            int maxRows = request.maxRows();
            int n;
            CappedRows capped = new CappedRows(rows);
            try (JsonGenerator g = JSON.createGenerator(capped)) {
                n = query(sources, c, request.sql(), request.binds(), maxRows, deadline, timedOut, rs -> writeRows(rs, maxRows, g));
            } catch (RuntimeException e) {
                if (capped.over()) {
                    // the caller's answer would be larger than srg keeps for one call: refused whole, the worker's
                    // memory and the server's bounded (a 500-row SELECT of 10 MB rows is 5 GB of JSON)
                    return WorkerProtocol.Head.failed("TOO_LARGE", "the rows' JSON passed " + WorkerProtocol.MAX_ANSWER_BYTES
                            + " bytes", null);
                }
                throw e;
            }
            long total = -1;
            if (request.countSql() != null) {
                total = query(sources, c, request.countSql(), request.countBinds(), 1, deadline, timedOut,
                        rs -> rs.next() ? rs.getLong(1) : 0L);
            }
            return WorkerProtocol.Head.ok(n, total);
        } catch (SQLException e) {
            if (timedOut.get()) {
                return WorkerProtocol.Head.failed("TIMEOUT", "cancelled on the database after " + timeoutMillis + " ms", "57014");
            }
            String state = e.getSQLState();
            if (state != null && state.startsWith("08")) {
                sources.broken(key);
                return failure("CONNECT", e);
            }
            return failure("QUERY", e);
        }
    }

    /**
     * The rows' stream, refusing to grow past {@link WorkerProtocol#MAX_ANSWER_BYTES}: the write that
     * would pass it fails (Jackson wraps the failure; {@link #over} tells it apart from others).
     */
    private static final class CappedRows extends OutputStream {
        private final OutputStream out;
        private long written;
        private boolean over;

        CappedRows(OutputStream out) {
            this.out = out;
        }

        boolean over() {
            return over;
        }

        private void count(int n) throws IOException {
            if (written + n > WorkerProtocol.MAX_ANSWER_BYTES) {
                over = true;
                throw new IOException("the rows' JSON passed " + WorkerProtocol.MAX_ANSWER_BYTES + " bytes");
            }
            written += n;
        }

        @Override
        public void write(int b) throws IOException {
            count(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            count(len);
            out.write(b, off, len);
        }
    }

    /** What is read from a result set. */
    @FunctionalInterface
    interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private static <T> T query(Sources sources, Connection c, String sql, List<List<String>> binds, int maxRows, long deadline,
                               AtomicBoolean timedOut, Reader<T> reader) throws SQLException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            timedOut.set(true);
            throw new SQLException("timed out before the query started", "57014");
        }
        PreparedStatement st = sources.statement(c, sql);
        try {
            for (int i = 0; i < binds.size(); i++) {
                bind(st, i + 1, binds.get(i).get(0), binds.get(i).get(1));
            }
            st.setMaxRows(maxRows);
            st.setFetchSize(Math.min(maxRows, 500));
            Running running = new Running(st, deadline, timedOut);
            RUNNING.add(running);
            try (ResultSet rs = st.executeQuery()) {
                return reader.read(rs);
            } finally {
                RUNNING.remove(running);
            }
        } catch (SQLException | RuntimeException e) {
            sources.discard(c, sql);
            throw e;
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

    /** The rows as a JSON array of objects; @return how many. */
    private static int writeRows(ResultSet rs, int maxRows, JsonGenerator g) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int columns = md.getColumnCount();
        String[] labels = new String[columns];
        for (int i = 0; i < columns; i++) {
            labels[i] = md.getColumnLabel(i + 1);
        }
        int n = 0;
        g.writeStartArray();
        while (n < maxRows && rs.next()) {
            g.writeStartObject();
            for (int i = 0; i < columns; i++) {
                g.writeName(labels[i]);
                writeValue(g, rs.getObject(i + 1));
            }
            g.writeEndObject();
            n++;
        }
        g.writeEndArray();
        return n;
    }

    /** JSON values: numbers, text, booleans; dates and times as ISO text; bytes as base64; anything else as its text. */
    private static void writeValue(JsonGenerator g, Object v) {
        switch (v) {
            case null -> g.writeNull();
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case Short s -> g.writeNumber(s);
            case Byte b -> g.writeNumber(b);
            case BigDecimal d -> g.writeNumber(d);
            case BigInteger i -> g.writeNumber(i);
            case Double d -> g.writeNumber(d);
            case Float f -> g.writeNumber(f);
            case Number n -> g.writeNumber(n.toString());
            case Boolean b -> g.writeBoolean(b);
            case String s -> g.writeString(s);
            case java.sql.Date d -> g.writeString(d.toLocalDate().toString());
            case Timestamp t -> g.writeString(t.toLocalDateTime().toString());
            case java.sql.Time t -> g.writeString(t.toLocalTime().toString());
            case java.time.temporal.TemporalAccessor t -> g.writeString(t.toString());
            case byte[] b -> g.writeString(Base64.getEncoder().encodeToString(b));
            default -> g.writeString(v.toString());
        }
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

    private static WorkerProtocol.Head failure(String error, SQLException e) {
        return WorkerProtocol.Head.failed(error, String.valueOf(e.getMessage()), String.valueOf(e.getSQLState()));
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing a broken connection or statement: nothing left to do
        }
    }
}
