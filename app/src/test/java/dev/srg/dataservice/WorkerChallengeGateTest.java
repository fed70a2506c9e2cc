package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DataService worker's TCP listener (a Pod on Kubernetes), as a real worker process: a
 * connection that does not answer the challenge costs it no thread, at most {@link
 * ChallengeGate#MAX_PENDING} are kept, each at most {@link ChallengeGate#PROVE_MILLIS}, and srg
 * is still admitted while they are open.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class WorkerChallengeGateTest {
    @TempDir
    Path home;
    private Process worker;
    private final List<SocketChannel> opened = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (SocketChannel c : opened) {
            c.close();
        }
        if (worker != null) {
            worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void connectionsThatDoNotAnswerTheChallengeCostNoThreadAndSrgIsStillAdmitted() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.writeString(home.resolve(WorkerProtocol.KEY_FILE), Base64.getEncoder().encodeToString(key));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        worker = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), DataServiceMain.class.getName(),
                WorkerProtocol.SOCKET, "--tcp", Integer.toString(port)).directory(home.toFile()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).contains("listening on TCP port " + port);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        // srg's connection before: admitted
        assertThat(admitted(address, key)).isTrue();
        int threadsBefore = threads();

        // anything that reaches the port: 300 connections that never answer, and some that answer wrongly
        for (int i = 0; i < 300; i++) {
            opened.add(SocketChannel.open(address));
        }
        byte[] wrong = key.clone();
        wrong[0] ^= 1;
        for (int i = 0; i < 5; i++) {
            assertThat(admitted(address, wrong)).as("a wrong key is refused").isFalse();
        }
        Thread.sleep(500);
        // a thread per pending connection would be 300 more; the JVM's own (JIT, GC) may come and go
        assertThat(threads()).isLessThan(threadsBefore + 10);
        // at most MAX_PENDING are kept: the oldest were closed as new ones came
        int closed = 0;
        for (SocketChannel c : opened.subList(0, 300 - ChallengeGate.MAX_PENDING)) {
            if (closedByWorker(c, 2000)) {
                closed++;
            }
        }
        assertThat(closed).isEqualTo(300 - ChallengeGate.MAX_PENDING);
        // srg is admitted while the others are still pending
        assertThat(admitted(address, key)).isTrue();
        // the pending ones are closed after PROVE_MILLIS
        assertThat(closedByWorker(opened.get(opened.size() - 1), ChallengeGate.PROVE_MILLIS + 5000)).isTrue();
    }

    /** Whether the worker admits a connection proving {@code key}, as srg does. */
    private static boolean admitted(InetSocketAddress address, byte[] key) throws IOException {
        try (SocketChannel c = SocketChannel.open(address)) {
            c.socket().setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(c.socket().getInputStream());
            DataOutputStream out = new DataOutputStream(c.socket().getOutputStream());
            try {
                WorkerProtocol.prove(in, out, key);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** Whether the worker closed {@code c} within {@code millis} (the challenge it sent is skipped). */
    private static boolean closedByWorker(SocketChannel c, long millis) throws IOException {
        c.socket().setSoTimeout((int) millis);
        try {
            byte[] buffer = new byte[64];
            while (true) {
                int n = c.socket().getInputStream().read(buffer);
                if (n < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    private int threads() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(worker.pid()), "status"))) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring(8).strip());
            }
        }
        throw new IllegalStateException("no thread count");
    }
}
