package dev.srg.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 request on its own connection, over a plain socket or TLS for https: what a CLI call
 * needs. The JDK's HttpClient starts a selector thread and an executor and runs a few hundred
 * classes of its own, about 60 % of the CPU of a one-call CLI command (issue 17, docs/benchmarks.md);
 * this is a few dozen lines of the protocol. The demo keeps the JDK's client and its pooled
 * connections ({@link ApiClient.JdkTransport}).
 *
 * <p>{@link #keepingConnections()} (for {@code srg load}): an answer read to its end gives its
 * connection back for the next request (HTTP/1.1 keep-alive), which the calling thread then uses
 * itself: a blocking read on the caller's thread, no selector thread and no hand-off between
 * threads per request, the JDK client's cost that was as large as the server's submit path (issue 17,
 * ninth round). A connection idle for {@link #KEEP_IDLE_MS} is not reused, long before a server
 * would close it (Jetty's idle timeout is 30 s), so a request never goes out on a connection the
 * server is closing and nothing is ever sent twice.
 */
final class Http1 implements ApiClient.Transport {
    static final int CONNECT_TIMEOUT_MS = 10_000;
    /** Waiting for an answer; a stream's body (a followed log) may be quiet for as long as it likes. */
    static final int ANSWER_TIMEOUT_MS = 600_000;
    private static final int MAX_LINE = 65_536;
    /** How long a kept connection may have been idle and still be used. */
    static final long KEEP_IDLE_MS = 2_000;

    /** For https: the JDK's default (its trust store, javax.net.ssl.* properties), made only when an https URL is called. */
    private final java.util.function.Supplier<SSLSocketFactory> tls;
    /** Idle kept connections by scheme, host and port; null: a connection per request. */
    private final Map<String, ConcurrentLinkedDeque<Kept>> idle;

    Http1() {
        this(() -> (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    Http1(java.util.function.Supplier<SSLSocketFactory> tls) {
        this(tls, false);
    }

    Http1(java.util.function.Supplier<SSLSocketFactory> tls, boolean keepAlive) {
        this.tls = java.util.Objects.requireNonNull(tls);
        this.idle = keepAlive ? new ConcurrentHashMap<>() : null;
    }

    /** A client that keeps connections between requests (a long-lived caller's: {@code srg load}). */
    static Http1 keepingConnections() {
        return new Http1(() -> (SSLSocketFactory) SSLSocketFactory.getDefault(), true);
    }

    /** A connection between two requests: its socket, the buffered stream it answers on, since when it is idle. */
    private record Kept(Socket socket, InputStream in, long idleSinceNanos) {}

    @Override
    public ApiClient.Response send(String method, String url, String token, String json, boolean stream) throws IOException {
        URI uri = URI.create(url);
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost();
        if (host == null) {
            throw new java.net.UnknownHostException(uri.getRawAuthority());
        }
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        int port = uri.getPort() >= 0 ? uri.getPort() : tls ? 443 : 80;
        String key = (tls ? "https://" : "http://") + host + ":" + port;
        Kept kept = idle == null ? null : take(key);
        Socket socket;
        InputStream in;
        if (kept != null) {
            socket = kept.socket();
            in = kept.in();
        } else {
            socket = new Socket();
            in = null;
        }
        try {
            if (kept == null) {
                try {
                    socket.connect(new InetSocketAddress(bare, port), CONNECT_TIMEOUT_MS);
                } catch (SocketTimeoutException e) {
                    throw new SocketTimeoutException("connection timed out");
                }
                socket.setTcpNoDelay(true);
                if (tls) {
                    socket = tls(socket, bare, port);
                }
                in = new BufferedInputStream(socket.getInputStream());
            }
            socket.setSoTimeout(ANSWER_TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            out.write(request(method, uri, host, token, json, idle != null));
            out.flush();
            int status;
            do {
                status = status(line(in));
                long length = -1;
                boolean chunked = false;
                boolean close = false;
                String clock = null;
                for (String header = line(in); !header.isEmpty(); header = line(in)) {
                    int colon = header.indexOf(':');
                    String name = colon < 0 ? header : header.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                    String value = colon < 0 ? "" : header.substring(colon + 1).strip();
                    if (name.equals("content-length")) {
                        length = Long.parseLong(value);
                    } else if (name.equals("transfer-encoding")) {
                        chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
                    } else if (name.equals("connection")) {
                        close = value.toLowerCase(Locale.ROOT).contains("close");
                    } else if (name.equals("srg-clock")) {
                        clock = value;
                    }
                }
                if (status >= 200) {
                    if (stream) {
                        socket.setSoTimeout(0);
                    }
                    boolean empty = method.equals("HEAD") || status == 204 || status == 304;
                    Body body = empty ? new Sized(in, 0) : chunked ? new Chunked(in) : length >= 0 ? new Sized(in, length) : null;
                    if (body == null) {
                        return new ApiClient.Response(status, new Closing(in, socket), clock);   // the body ends with the connection
                    }
                    return new ApiClient.Response(status, idle == null || close ? new Closing(body, socket)
                            : new Returning(body, socket, in, key), clock);
                }
            } while (true);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** An idle kept connection to this server, young enough to use; those too old are closed. */
    private Kept take(String key) {
        ConcurrentLinkedDeque<Kept> q = idle.get(key);
        if (q == null) {
            return null;
        }
        long now = System.nanoTime();
        for (Kept k = q.pollFirst(); k != null; k = q.pollFirst()) {
            if (now - k.idleSinceNanos() < KEEP_IDLE_MS * 1_000_000) {
                return k;
            }
            try {
                k.socket().close();
            } catch (IOException e) {
                // closing an idle connection: nothing to do about it
            }
        }
        return null;
    }

    private Socket tls(Socket plain, String host, int port) throws IOException {
        SSLSocket s = (SSLSocket) tls.get().createSocket(plain, host, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");   // the certificate must name the host
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static byte[] request(String method, URI uri, String host, String token, String json, boolean keepAlive) {
        String target = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(uri.getPort() >= 0 ? ":" + uri.getPort() : "").append("\r\n")
                .append(keepAlive ? "User-Agent: srg\r\n" : "User-Agent: srg\r\nConnection: close\r\n");
        if (token != null) {
            if (token.indexOf('\r') >= 0 || token.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("the API token contains a line break");
            }
            head.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        if (json != null) {
            head.append("Content-Type: application/json\r\n");
        }
        if (json != null || !method.equals("GET")) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        byte[] h = head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private static int status(String line) throws IOException {
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw new IOException("not an HTTP/1.1 answer: " + (line.length() > 40 ? line.substring(0, 40) : line));
        }
        try {
            return Integer.parseInt(line.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status line: " + line);
        }
    }

    /** A header line without its CR LF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the server closed the connection before answering");
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("an HTTP header line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** An answer's body: a stream that reads through {@link #read(byte[], int, int)} only. */
    private abstract static class Body extends FilterInputStream {
        Body(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        /** Whether the body has been read to its end (the connection is then at the next answer). */
        abstract boolean finished();
    }

    /** A body of Content-Length bytes. */
    private static final class Sized extends Body {
        private long left;

        Sized(InputStream in, long length) {
            super(in);
            this.left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException("the answer ended " + left + " bytes early");
            }
            left -= n;
            return n;
        }

        @Override
        boolean finished() {
            return left == 0;
        }
    }

    /** A body in chunked transfer coding (how the server streams logs and large answers). */
    private static final class Chunked extends Body {
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                int ext = size.indexOf(';');
                try {
                    left = Long.parseLong((ext < 0 ? size : size.substring(0, ext)).strip(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("a bad chunk size: " + size);
                }
                if (left == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers: none are used
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException("the answer ended inside a chunk");
            }
            left -= n;
            if (left == 0 && !line(in).isEmpty()) {
                throw new IOException("a chunk not followed by CR LF");
            }
            return n;
        }

        @Override
        boolean finished() {
            return done;
        }
    }

    /** Closing the body closes the connection. */
    private static final class Closing extends FilterInputStream {
        private final Socket socket;

        Closing(InputStream in, Socket socket) {
            super(in);
            this.socket = socket;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Closing a body read to its end gives the connection back for the next request; else it closes it. */
    private final class Returning extends FilterInputStream {
        private final Body body;
        private final Socket socket;
        private final InputStream connection;
        private final String key;
        private boolean closed;

        Returning(Body body, Socket socket, InputStream connection, String key) {
            super(body);
            this.body = body;
            this.socket = socket;
            this.connection = connection;
            this.key = key;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (body.finished() && !socket.isClosed()) {
                idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addFirst(new Kept(socket, connection, System.nanoTime()));
            } else {
                socket.close();
            }
        }
    }
}
