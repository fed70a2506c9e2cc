package dev.srg.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private final List<Path> roots = new ArrayList<>();
    private final List<String[]> starting = new ArrayList<>();

    /** A host {@code name} (at most 10 characters) with {@code addresses}, each listening on {@link #PORT}. */
    public void host(String name, String... addresses) throws Exception {
        hostInTable(name, "main", addresses);
    }

    /**
     * A host whose addresses are routed in the host's routing table {@code table} (a VPC's own,
     * see TaskNetwork.vpcTable) instead of the main one. Each listener serves {@code /who}: the
     * host's name. An address with a colon is IPv6 (a /64 shared with the host's side, ::1).
     */
    public void hostInTable(String name, String table, String... addresses) throws Exception {
        startHost(name, table, addresses);
        awaitListening();
    }

    /** Waits for the listeners of every host started with {@link #startHost} (they start in parallel). */
    public void awaitListening() {
        for (String[] pending : starting) {
            // asked from inside: an address in a VPC's table is not the host's to reach
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> run("ip", "netns", "exec", pending[0], "bash", "-c",
                            "exec 3<>/dev/tcp/" + pending[1] + "/" + PORT) == null);
        }
        starting.clear();
    }

    /** {@link #hostInTable} without waiting for the listeners: call {@link #awaitListening} before use. */
    public void startHost(String name, String table, String... addresses) throws Exception {
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
            if (address.contains(":")) {
                String prefix = address.substring(0, address.lastIndexOf(':') + 1);
                must("ip", "-n", ns, "addr", "add", address + "/64", "dev", "eth0", "nodad");
                must("ip", "addr", "add", prefix + "1/64", "dev", link, "nodad");
                continue;
            }
            must("ip", "-n", ns, "addr", "add", address + "/32", "dev", "eth0");
            must("ip", "route", "replace", address + "/32", "dev", link, "table", table);
        }
        must("ip", "-n", ns, "route", "add", HOST_SIDE + "/32", "dev", "eth0", "scope", "link");
        must("ip", "-n", ns, "route", "add", "default", "via", HOST_SIDE, "dev", "eth0");
        Path root = Files.createTempDirectory("srgx-" + name);
        Files.writeString(root.resolve("who"), name + "\n");
        roots.add(root);
        for (String address : addresses) {
            processes.add(new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-m", "http.server", Integer.toString(PORT),
                    "--bind", address, "--directory", root.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            starting.add(new String[] {ns, address});
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
        Process dnsmasq = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(dnsmasq);
        // dnsmasq binds its UDP and TCP sockets together before it serves: once its TCP port takes a
        // connection, a query is answered (a fixed 300 ms was a guess a loaded machine can outlast)
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!dnsmasq.isAlive()) {
                throw new IllegalStateException("dnsmasq in srgx-" + name + " exited with " + dnsmasq.exitValue());
            }
            return run("ip", "netns", "exec", "srgx-" + name, "bash", "-c", "exec 3<>/dev/tcp/" + listen + "/53") == null;
        });
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
            for (Path root : roots) {
                Files.deleteIfExists(root.resolve("who"));
                Files.deleteIfExists(root);
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
