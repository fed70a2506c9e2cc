package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slowloris and descriptor exhaustion with real sockets (docs/architecture.md, "HTTP limits"):
 * a connection dripping its request head is closed at the head deadline while honest clients are
 * served, and the server never holds more connections than its limit.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SlowClientTest {
    private static final int LIMIT = 8;
    private static TestServer server;
    private static int port;

    @BeforeAll
    static void start() {
        server = TestServer.start(cfg -> cfg.withHttp(new HttpLimits(Duration.ofSeconds(2), LIMIT, 0)));
        port = Integer.parseInt(server.url().substring(server.url().lastIndexOf(':') + 1));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @DisplayName("a client sending its request head a byte at a time is closed at the head deadline; an honest client is served meanwhile")
    void slowHeadIsClosed() throws Exception {
        try (Socket slow = new Socket()) {
            slow.connect(new InetSocketAddress("127.0.0.1", port));
            OutputStream out = slow.getOutputStream();
            out.write("GET /livez HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            boolean closed = false;
            boolean honestServed = false;
            // one header byte every 200 ms, which restarts an idle timeout each time; stop at the first failed write
            // or after 60 s (the deadline is 2 s: without one, this drips for the whole minute)
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < end) {
                try {
                    out.write('X');
                    out.flush();
                } catch (IOException e) {
                    closed = true;
                    break;
                }
                if (!honestServed) {
                    assertThat(server.anonymous().get("/livez").status()).isEqualTo(200);
                    honestServed = true;
                }
                if (eof(slow, 200)) {
                    closed = true;
                    break;
                }
            }
            assertThat(honestServed).isTrue();
            assertThat(closed).as("the dripping connection was closed by the server").isTrue();
        }
    }

    @Test
    @DisplayName("connections beyond the limit wait in the kernel's backlog, never holding a descriptor of the server;"
            + " idle ones are closed at the head deadline and the waiting request is then served")
    void connectionLimit() throws Exception {
        List<Socket> idle = new ArrayList<>();
        AtomicBoolean answered = new AtomicBoolean();
        int most = 0;
        try {
            for (int i = 0; i < LIMIT + 12; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port));
                idle.add(s); // sends nothing: holds a connection as long as the server lets it
            }
            Socket honest = new Socket();
            idle.add(honest);
            honest.connect(new InetSocketAddress("127.0.0.1", port));
            honest.getOutputStream().write("GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            honest.getOutputStream().flush();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    String answer = new String(honest.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                    answered.set(answer.startsWith("HTTP/1.1 200"));
                } catch (IOException e) {
                    // not answered
                }
            });
            // watch the server's accepted connections until the honest request is answered (or a minute passes)
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (reader.isAlive() && System.nanoTime() < end) {
                most = Math.max(most, acceptedConnections(port));
                reader.join(Duration.ofMillis(20));
            }
            most = Math.max(most, acceptedConnections(port));
            assertThat(answered).as("the request that waited behind the limit was answered").isTrue();
            assertThat(most).as("connections the server held at once (limit " + LIMIT + ")").isBetween(1, LIMIT);
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    private static boolean eof(Socket socket, int waitMillis) throws IOException {
        socket.setSoTimeout(waitMillis);
        InputStream in = socket.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    /**
     * The server's side of its TCP connections: sockets this process (the server runs in it) has a
     * descriptor for whose local port is the server's and that are established. Connections waiting
     * in the listen backlog have no descriptor, so they are not counted.
     */
    static int acceptedConnections(int serverPort) throws IOException {
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.strip().split("\\s+");
                String local = f[1];
                int localPort = Integer.parseInt(local.substring(local.indexOf(':') + 1), 16);
                if (localPort == serverPort && f[3].equals("01")) {
                    inodes.add(f[9]);
                }
            }
        }
        int count = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                        count++;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return count;
    }
}
