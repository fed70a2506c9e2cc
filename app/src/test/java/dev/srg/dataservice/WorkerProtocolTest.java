package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The binary frames between srg and its DataService worker (WorkerProtocol), and a worker of an older srg. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class WorkerProtocolTest {
    @TempDir
    Path dir;

    @Test
    void requestsAndHeadsComeBackAsSent() throws Exception {
        Map<String, Object> conn = new LinkedHashMap<>();
        conn.put("type", "POSTGRESQL");
        conn.put("host", "db.example");
        conn.put("database", "shop");
        conn.put("user", "reader");
        conn.put("password", null);
        conn.put("port", 5432);
        List<List<String>> binds = List.of(Arrays.asList("STRING", "naïve ' OR 1=1 --"), Arrays.asList("LONG", null));
        WorkerProtocol.Request r = new WorkerProtocol.Request("ds-1@ab", conn, "SELECT * FROM t WHERE a = ? AND b = ?", binds,
                "SELECT count(*) FROM t WHERE a = ?", List.of(Arrays.asList("STRING", "x")), 500, 5000);
        assertThat(WorkerProtocol.Request.decode(r.encode())).isEqualTo(r);
        WorkerProtocol.Request later = r.with("ds-1@ab", null);
        assertThat(WorkerProtocol.Request.decode(later.encode())).isEqualTo(later);

        WorkerProtocol.Head ok = WorkerProtocol.Head.ok(3, -1);
        assertThat(WorkerProtocol.Head.decode(ok.encode())).isEqualTo(ok);
        WorkerProtocol.Head failed = WorkerProtocol.Head.failed("CONNECT", "refused", "08001").at("10.1.2.3");
        assertThat(WorkerProtocol.Head.decode(failed.encode())).isEqualTo(failed);
        // a frame cut short is refused, not read past its end
        byte[] cut = Arrays.copyOf(r.encode(), 20);
        assertThatThrownBy(() -> WorkerProtocol.Request.decode(cut)).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void aWorkerOfAnOlderSrgThatAnswersJsonIsRecognised() throws Exception {
        Path socket = dir.resolve(WorkerProtocol.SOCKET);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             WorkerClient client = new WorkerClient()) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread old = Thread.ofPlatform().start(() -> {
                try (SocketChannel c = server.accept()) {
                    DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(c)));
                    WorkerProtocol.read(in);
                    WorkerProtocol.write(new DataOutputStream(Channels.newOutputStream(c)),
                            "{\"ok\":false,\"error\":\"BAD_REQUEST\"}".getBytes(StandardCharsets.UTF_8));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            WorkerProtocol.Request r = new WorkerProtocol.Request(null, null, "SELECT 1", List.of(), null, null, 1, 1000);
            WorkerSource source = new WorkerSource("ds-1@ab", Map.of("type", "POSTGRESQL", "host", "h", "port", 5432,
                    "database", "d", "user", "u", "password", "p"));
            assertThatThrownBy(() -> client.call("run-1", () -> WorkerEndpoint.unix(socket), null, 2, source, r, 5000))
                    .isInstanceOf(WorkerClient.Outdated.class);
            old.join(5000);
        }
    }

    @Test
    void aWorkerThatNeverAnswersIsGivenUpAtTheDeadlineAlsoAfterAnIdlePause() throws Exception {
        // the deadlines' sweep runs only while a call is in flight (issue 17: an idle server); a call after
        // a quiet spell must start it again, or it would wait for the worker for ever
        Path socket = dir.resolve(WorkerProtocol.SOCKET);
        List<SocketChannel> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        ServerSocketChannel worker = silentWorker(socket, held, null);
        try (worker; WorkerClient client = new WorkerClient()) {
            WorkerProtocol.Request r = new WorkerProtocol.Request(null, null, "SELECT 1", List.of(), null, null, 1, 1000);
            WorkerSource source = new WorkerSource("ds-1@ab", Map.of("type", "POSTGRESQL", "host", "h", "port", 5432,
                    "database", "d", "user", "u", "password", "p"));
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> client.call("run-1", () -> WorkerEndpoint.unix(socket), null, 2, source, r, 300))
                        .isInstanceOf(WorkerClient.NoAnswer.class);
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(millis).as("round %d: given up after (ms)", round).isBetween(290L, 300L + 1500L);
                Thread.sleep(4 * WorkerClient.SWEEP_MILLIS); // the sweep finds nothing in flight and stops
            }
        } finally {
            for (SocketChannel c : held) {
                c.close();
            }
        }
    }

    @Test
    void aCallWaitingForItsTurnIsGivenUpAtItsOwnTimeoutAndTheWorkerGetsWhatIsLeftOfIt() throws Exception {
        // issue 14: calls over the pool's limit wait in srg; one whose timeout passes there gets the timeout answer
        // (NoAnswer: 504 DataService.Timeout) at its timeout, not at the timeout and the 2 s given the worker's cancel.
        // Every bound below is taken from the clock around the calls, not from how fast a machine is: on a loaded
        // machine (CI) setting the calls up took longer than the 150 ms the waiting call had.
        Path socket = dir.resolve(WorkerProtocol.SOCKET);
        List<SocketChannel> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Integer> timeouts = new java.util.concurrent.CopyOnWriteArrayList<>();
        ServerSocketChannel worker = silentWorker(socket, held, timeouts);
        try (worker; WorkerClient client = new WorkerClient()) {
            WorkerProtocol.Request r = new WorkerProtocol.Request(null, null, "SELECT 1", List.of(), null, null, 1, 1000);
            WorkerSource source = new WorkerSource("ds-1@ab", Map.of("type", "POSTGRESQL", "host", "h", "port", 5432,
                    "database", "d", "user", "u", "password", "p"));
            // two connections (the pool's size at 2 CU / 8), both taken for 800 ms by calls the worker never answers
            List<Thread> busy = new java.util.ArrayList<>();
            long busySince = System.nanoTime(); // their connections are free again 800 ms after their calls began, not sooner
            for (int i = 0; i < 2; i++) {
                busy.add(Thread.ofVirtual().start(() -> assertThatThrownBy(() -> client.call("run-1",
                        () -> WorkerEndpoint.unix(socket), null, 2, source, r, 800)).isInstanceOf(WorkerClient.NoAnswer.class)));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (timeouts.size() < 2 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            // each was sent at once with its whole timeout, less only what its start took (opening its
            // connection): at most the time until the worker had both (a loaded machine took 1 ms of it)
            long sentWithin = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - busySince);
            assertThat(timeouts).hasSize(2).allSatisfy(t -> assertThat(t).isBetween((int) (1000 - sentWithin - 1), 1000));
            // then a call with a timeout of 2 s: it waits for its turn behind the one below, and is sent with what is left
            long[] laterSince = new long[1];
            Thread later = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                laterSince[0] = System.nanoTime();
                assertThatThrownBy(() -> client.call("run-1", () -> WorkerEndpoint.unix(socket), null, 2, source,
                        new WorkerProtocol.Request(null, null, "SELECT 1", List.of(), null, null, 1, 2000), 2300))
                        .isInstanceOf(WorkerClient.NoAnswer.class).hasMessageNotContaining("its turn");
            });
            // a call with a timeout of 150 ms waits for its turn as long, and gets the timeout answer then
            // (if this machine took so long that the connections are free before its 150 ms are up, it would be sent:
            // checked, so that a slow start fails as such and not as a wrong answer)
            long t0 = System.nanoTime();
            assertThat(TimeUnit.NANOSECONDS.toMillis(t0 - busySince)).as("set-up (ms) left the call its 150 ms of waiting").isLessThan(650);
            assertThatThrownBy(() -> client.call("run-1", () -> WorkerEndpoint.unix(socket), null, 2, source,
                    new WorkerProtocol.Request(null, null, "SELECT 1", List.of(), null, null, 1, 150), 2150))
                    .isInstanceOf(WorkerClient.NoAnswer.class).hasMessageContaining("its turn");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(millis).as("given up after (ms): at its timeout, not after the worker's 2 s").isBetween(140L, 1500L);
            for (Thread t : busy) {
                t.join(10_000);
            }
            later.join(10_000);
            long laterTook = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - laterSince[0]);
            // the later call went to the worker once a connection was free (800 ms after busySince): with its wait less
            assertThat(timeouts).hasSize(3);
            long waitedAtLeast = TimeUnit.NANOSECONDS.toMillis(busySince + TimeUnit.MILLISECONDS.toNanos(800) - laterSince[0]);
            assertThat(timeouts.get(2)).isBetween((int) (2000 - laterTook - 1), (int) (2000 - waitedAtLeast) + 5);
        } finally {
            for (SocketChannel c : held) {
                c.close();
            }
        }
    }

    /**
     * A worker on {@code socket} that answers nothing: it keeps every connection in {@code held} and,
     * unless {@code timeouts} is null, reads each request and records its timeout as sent.
     */
    private static ServerSocketChannel silentWorker(Path socket, List<SocketChannel> held, List<Integer> timeouts)
            throws java.io.IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    SocketChannel c = server.accept();
                    held.add(c);
                    if (timeouts != null) {
                        Thread.ofPlatform().daemon().start(() -> {
                            try {
                                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(c)));
                                for (byte[] f = WorkerProtocol.read(in); f != null; f = WorkerProtocol.read(in)) {
                                    timeouts.add(WorkerProtocol.Request.decode(f).timeoutMillis());
                                }
                            } catch (java.io.IOException e) {
                                // closed
                            }
                        });
                    }
                }
            } catch (java.io.IOException e) {
                // closed
            }
        });
        return server;
    }
}
