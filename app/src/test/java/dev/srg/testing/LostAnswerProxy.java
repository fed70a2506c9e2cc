package dev.srg.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of a PostgreSQL server that breaks one connection at a chosen moment of a
 * transaction, as a network or a crashed client would. Armed with a piece of SQL, it watches the
 * statements of every connection (the frontend/backend protocol, v3: Parse, Bind, Query), and for
 * the next transaction that ran one containing it either
 * <ul>
 * <li>{@link Moment#COMMIT_ANSWERED}: lets the COMMIT through and drops the connection when the
 *     server answers it — the server has committed, the client never hears it: the one failure
 *     after which a client cannot tell by itself what became of its transaction; or
 * <li>{@link Moment#STATEMENT_SENT}: drops the connection instead of passing that statement on —
 *     the server rolls the transaction back.
 * </ul>
 * The URL it gives turns off TLS and GSS encryption so that every byte it relays is readable.
 */
public final class LostAnswerProxy implements AutoCloseable {
    public enum Moment { COMMIT_ANSWERED, STATEMENT_SENT }

    private record Armed(String sql, Moment moment) {}

    private final ServerSocket listener;
    private final String targetHost;
    private final int targetPort;
    private final AtomicReference<Armed> armed = new AtomicReference<>();
    private final AtomicInteger broken = new AtomicInteger();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private LostAnswerProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(this::accept);
    }

    /** A proxy in front of the server of {@code jdbcUrl} ({@code jdbc:postgresql://host:port/db}). */
    public static LostAnswerProxy before(String jdbcUrl) throws IOException {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        return new LostAnswerProxy(uri.getHost(), uri.getPort());
    }

    /** The same database as {@code jdbcUrl}, through this proxy. */
    public String url(String jdbcUrl) {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        return "jdbc:postgresql://127.0.0.1:" + listener.getLocalPort() + uri.getPath() + "?sslmode=disable&gssEncMode=disable";
    }

    /** Breaks the next transaction that runs a statement containing {@code sql}, at {@code moment}. */
    public void breakNext(String sql, Moment moment) {
        armed.set(new Armed(sql, moment));
    }

    /** How many connections it broke so far. */
    public int broken() {
        return broken.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(targetHost, targetPort);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                Connection c = new Connection(client, server);
                threads.execute(c::fromClient);
                threads.execute(c::fromServer);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** One client connection and its connection to the server. */
    private final class Connection {
        private final Socket client;
        private final Socket server;
        /** Prepared statements by name: a Bind names one parsed earlier. */
        private final Map<String, String> statements = new ConcurrentHashMap<>();
        /** The armed transaction runs on this connection: cut at its COMMIT's answer. */
        private volatile Armed marked;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void fromClient() {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(client.getInputStream()));
                 OutputStream out = new BufferedOutputStream(server.getOutputStream())) {
                int length = in.readInt(); // the startup message has no type byte
                byte[] startup = new byte[length - 4];
                in.readFully(startup);
                writeInt(out, length);
                out.write(startup);
                out.flush();
                while (true) {
                    int type = in.read();
                    if (type < 0) {
                        return;
                    }
                    byte[] body = body(in);
                    String sql = switch (type) {
                        case 'P' -> parse(body);
                        case 'Q' -> cString(body, 0);
                        case 'B' -> statements.getOrDefault(cString(body, cStringEnd(body, 0) + 1), "");
                        default -> "";
                    };
                    Armed a = armed.get();
                    if (a != null && !sql.isEmpty() && sql.contains(a.sql()) && armed.compareAndSet(a, null)) {
                        if (a.moment() == Moment.STATEMENT_SENT) {
                            cut();
                            return;
                        }
                        marked = a;
                    }
                    relay(type, body, in, out);
                }
            } catch (IOException e) {
                closeQuietly();
            }
        }

        void fromServer() {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(server.getInputStream()));
                 OutputStream out = new BufferedOutputStream(client.getOutputStream())) {
                while (true) {
                    int type = in.read();
                    if (type < 0) {
                        return;
                    }
                    byte[] body = body(in);
                    if (type == 'C' && marked != null && cString(body, 0).equals("COMMIT")) {
                        cut(); // committed on the server; the client never hears it
                        return;
                    }
                    if (type == 'Z' && body.length == 1 && body[0] == 'I') {
                        marked = null; // the transaction ended some other way
                    }
                    relay(type, body, in, out);
                }
            } catch (IOException e) {
                closeQuietly();
            }
        }

        private String parse(byte[] body) {
            int nameEnd = cStringEnd(body, 0);
            String name = new String(body, 0, nameEnd, StandardCharsets.UTF_8);
            String sql = cString(body, nameEnd + 1);
            if (!name.isEmpty()) {
                statements.put(name, sql);
            }
            return sql;
        }

        private void cut() {
            broken.incrementAndGet();
            closeQuietly();
        }

        private void closeQuietly() {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing
            }
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** Passes one message on, flushing when nothing more is waiting to be read. */
    private static void relay(int type, byte[] body, InputStream in, OutputStream out) throws IOException {
        out.write(type);
        writeInt(out, body.length + 4);
        out.write(body);
        if (in.available() == 0) {
            out.flush();
        }
    }

    private static byte[] body(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 4) {
            throw new EOFException("bad message length " + length);
        }
        byte[] body = new byte[length - 4];
        in.readFully(body);
        return body;
    }

    private static int cStringEnd(byte[] b, int from) {
        int i = from;
        while (i < b.length && b[i] != 0) {
            i++;
        }
        return i;
    }

    private static String cString(byte[] b, int from) {
        return from >= b.length ? "" : new String(b, from, cStringEnd(b, from) - from, StandardCharsets.UTF_8);
    }

    private static void writeInt(OutputStream out, int v) throws IOException {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    @Override
    public void close() throws IOException {
        listener.close();
        threads.shutdownNow();
    }
}
