package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's HTTP client over TLS (plain http, chunked streams and problem+json answers are what every
 * other CLI test runs against the real server): a server whose certificate names the host is
 * spoken to, one whose certificate does not is refused, and the bearer token and body arrive.
 * And {@code srg load}'s keeping of connections: an answer read to its end leaves its connection for
 * the next request; one not read to its end, one the server closes, and one idle too long are not
 * used again; threads at once each get a connection of their own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Http1Test {
    @TempDir
    Path dir;

    @Test
    void speaksTlsAndChecksTheCertificatesHost() throws Exception {
        Path keys = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "srg", "-keyalg", "EC", "-dname", "CN=localhost", "-ext", "san=dns:localhost",
                "-validity", "2", "-keystore", keys.toString(), "-storepass", "secret", "-storetype", "PKCS12")
                .redirectErrorStream(true).start();
        keytool.getInputStream().readAllBytes();
        assertThat(keytool.waitFor()).isZero();
        KeyStore store = KeyStore.getInstance(keys.toFile(), "secret".toCharArray());
        KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        km.init(store, "secret".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(km.getKeyManagers(), null, null);
        TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tm.init(store);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tm.getTrustManagers(), null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        server.createContext("/", exchange -> {
            String seen = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            byte[] body = seen.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(201, 0);   // 0: chunked
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            Http1 http = new Http1(clientTls::getSocketFactory);
            ApiClient.Response r = http.send("PATCH", "https://localhost:" + port + "/api/v1/x?a=b%20c", "tok", "{\"a\":1}", false);
            try (InputStream in = r.body()) {
                assertThat(r.status()).isEqualTo(201);
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("PATCH /api/v1/x?a=b%20c Bearer tok {\"a\":1}");
            }
            // the certificate names localhost, not 127.0.0.1: refused, as a browser would
            assertThatThrownBy(() -> http.send("GET", "https://127.0.0.1:" + port + "/", "tok", null, false))
                    .isInstanceOf(SSLHandshakeException.class);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void keepsConnectionsOnlyWhenTheAnswerWasReadToItsEnd() throws Exception {
        try (Canned server = new Canned()) {
            Http1 http = Http1.keepingConnections();
            String url = "http://127.0.0.1:" + server.port();
            // three requests in a row, each answer read: one connection (Content-Length, chunked, and an empty 204)
            assertThat(body(http.send("POST", url + "/sized", "tok", "{\"a\":1}", false))).isEqualTo("sized:{\"a\":1}");
            assertThat(body(http.send("GET", url + "/chunked", "tok", null, false))).isEqualTo("chunked-answer");
            assertThat(body(http.send("DELETE", url + "/empty", "tok", null, false))).isEmpty();
            assertThat(body(http.send("GET", url + "/sized", "tok", null, false))).isEqualTo("sized:");
            assertThat(server.connections.get()).isEqualTo(1);
            // an answer closed before its end: its connection is closed, the next request opens another
            ApiClient.Response unread = http.send("GET", url + "/chunked", "tok", null, false);
            unread.body().close();
            assertThat(body(http.send("GET", url + "/sized", "tok", null, false))).isEqualTo("sized:");
            assertThat(server.connections.get()).isEqualTo(2);
            // the server says Connection: close: not used again
            assertThat(body(http.send("GET", url + "/close", "tok", null, false))).isEqualTo("bye");
            assertThat(body(http.send("GET", url + "/sized", "tok", null, false))).isEqualTo("sized:");
            assertThat(server.connections.get()).isEqualTo(3);
            // idle longer than a kept connection may be: a new one (the server could be closing the old)
            Thread.sleep(Http1.KEEP_IDLE_MS + 200);
            assertThat(body(http.send("GET", url + "/sized", "tok", null, false))).isEqualTo("sized:");
            assertThat(server.connections.get()).isEqualTo(4);
            // a connection-per-request client (the CLI's) asks the server to close, and opens one per request
            Http1 once = new Http1();
            assertThat(body(once.send("GET", url + "/sized", "tok", null, false))).isEqualTo("sized:");
            assertThat(body(once.send("GET", url + "/sized", "tok", null, false))).isEqualTo("sized:");
            assertThat(server.connections.get()).isEqualTo(6);
            assertThat(server.closeAsked.get()).isEqualTo(2);
        }
    }

    @Test
    void threadsAtOnceEachGetAConnectionOfTheirOwnAndEveryAnswerIsItsOwn() throws Exception {
        try (Canned server = new Canned(); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Http1 http = Http1.keepingConnections();
            String url = "http://127.0.0.1:" + server.port();
            List<Future<Boolean>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        String mine = thread + "-" + i;
                        if (!body(http.send("POST", url + "/sized", "tok", mine, false)).equals("sized:" + mine)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : done) {
                assertThat(f.get()).isTrue();
            }
            // 400 requests over at most one connection per thread
            assertThat(server.requests.get()).isEqualTo(400);
            assertThat(server.connections.get()).isBetween(1, 8);
        }
    }

    private static String body(ApiClient.Response r) throws IOException {
        try (InputStream in = r.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An HTTP/1.1 server that keeps connections: /sized echoes the body, /chunked, /empty (204), /close (then closes). */
    private static final class Canned implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger closeAsked = new AtomicInteger();
        private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        private final java.util.Set<Socket> open = ConcurrentHashMap.newKeySet();

        Canned() throws IOException {
            threads.submit(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        connections.incrementAndGet();
                        open.add(s);
                        threads.submit(() -> serve(s));
                    } catch (IOException e) {
                        return null;
                    }
                }
                return null;
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        private Void serve(Socket s) {
            try (s) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                for (String request = in.readLine(); request != null; request = in.readLine()) {
                    requests.incrementAndGet();
                    int length = 0;
                    for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                        if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                            length = Integer.parseInt(h.substring(15).strip());
                        } else if (h.equalsIgnoreCase("Connection: close")) {
                            closeAsked.incrementAndGet();
                        }
                    }
                    char[] body = new char[length];
                    for (int n = 0; n < length; ) {
                        n += in.read(body, n, length - n);
                    }
                    String path = request.split(" ")[1];
                    String head = switch (path) {
                        case "/sized" -> {
                            byte[] b = ("sized:" + new String(body)).getBytes(StandardCharsets.ISO_8859_1);
                            yield "HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\n\r\n" + new String(b, StandardCharsets.ISO_8859_1);
                        }
                        case "/chunked" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nchunked\r\n7\r\n-answer\r\n0\r\n\r\n";
                        case "/empty" -> "HTTP/1.1 204 No Content\r\n\r\n";
                        default -> "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye";
                    };
                    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (path.equals("/close")) {
                        return null;
                    }
                }
            } catch (IOException e) {
                // the client went
            } finally {
                open.remove(s);
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : open) {
                s.close();
            }
            threads.shutdownNow();
        }
    }
}
