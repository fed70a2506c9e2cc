package dev.srg.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Test hosts in network namespaces this test creates (never a real network): each has a veth to
 * the host, /32 addresses routed to it, a TCP listener on port 8080 per address, and optionally a
 * DNS server (dnsmasq). Names start with {@code srgx} so that nothing of srg's matches them.
 */
public final class TestNetworkHosts implements AutoCloseable {

    public static final int PORT = 8080;
    /** The host's side of every task link (TaskNetwork.HOST_SIDE): masqueraded task traffic comes from it. */
    public static final String HOST_SIDE = "100.64.0.1";
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /** A host {@code name} (at most 10 characters) with {@code addresses}, each listening on {@link #PORT}. */
    public void host(String name, String... addresses) throws Exception {
        String ns = "srgx-" + name;
        String link = "srgx" + name;
        run("ip", "netns", "del", ns);
        run("ip", "link", "del", link);
        must("ip", "netns", "add", ns);
        namespaces.add(ns);
        must("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns);
        must("ip", "link", "set", link, "up");
        // the same gateway address as on task links: masqueraded task traffic comes from it
        must("ip", "addr", "add", HOST_SIDE + "/32", "dev", link);
        must("ip", "-n", ns, "link", "set", "lo", "up");
        must("ip", "-n", ns, "link", "set", "eth0", "up");
        for (String address : addresses) {
            must("ip", "-n", ns, "addr", "add", address + "/32", "dev", "eth0");
            must("ip", "route", "replace", address + "/32", "dev", link);
        }
        must("ip", "-n", ns, "route", "add", HOST_SIDE + "/32", "dev", "eth0", "scope", "link");
        must("ip", "-n", ns, "route", "add", "default", "via", HOST_SIDE, "dev", "eth0");
        for (String address : addresses) {
            processes.add(new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-m", "http.server", Integer.toString(PORT),
                    "--bind", address).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> listening(address));
        }
    }

    /** A DNS server in host {@code name}'s namespace answering {@code name=address} pairs only. */
    public void dns(String name, String listen, String... records) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", "srgx-" + name, "dnsmasq", "--no-daemon",
                "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + listen, "--user=root",
                "--pid-file=", "--port=53"));
        for (String record : records) {
            String[] parts = record.split("=");
            command.add("--address=/" + parts[0] + "/" + parts[1]);
        }
        processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        Thread.sleep(300);
    }

    private static boolean listening(String address) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, PORT), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            for (String ns : namespaces) {
                run("ip", "netns", "del", ns);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    public static void must(String... command) throws Exception {
        String out = run(command);
        if (out != null) {
            throw new IllegalStateException(String.join(" ", command) + ": " + out);
        }
    }

    /** Runs it; null when it succeeded, else its output. */
    public static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return p.exitValue() == 0 ? null : out;
    }

    public static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
