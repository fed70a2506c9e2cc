package dev.srg.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A PostgreSQL server of its own from Debian's packages (initdb and postgres of the newest
 * /usr/lib/postgresql/N), run as the {@code postgres} user inside a test host's network namespace
 * and listening on that host's addresses: a database where a user's would be, not on the
 * machine's loopback. Needs root (namespaces, runuser).
 */
public final class TestPostgresServer implements AutoCloseable {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private final Path dir;
    private final Process process;
    private final String address;
    private final String password = UUID.randomUUID().toString().replace("-", "");

    private TestPostgresServer(String netns, List<String> addresses) throws Exception {
        this.address = addresses.get(0);
        String bin = TestNetworkHosts.output("sh", "-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1").strip();
        this.dir = Files.createTempDirectory("srg-pg-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("pw"), password);
        TestNetworkHosts.must("chown", "-R", "postgres", dir.toString());
        String init = TestNetworkHosts.run("runuser", "-u", "postgres", "--", bin + "/initdb", "-D", dir.resolve("data").toString(),
                "-U", "srg", "-A", "scram-sha-256", "--pwfile=" + dir.resolve("pw"), "-E", "UTF8", "--locale=C", "--no-sync");
        if (init != null) {
            throw new IllegalStateException("initdb failed: " + init);
        }
        // the tasks come masqueraded from the host's side of their link, the test from the host: any IPv4 with a password
        Files.writeString(dir.resolve("data/pg_hba.conf"), "local all all scram-sha-256\nhost all all 0.0.0.0/0 scram-sha-256\n");
        // setpriv execs (no process in between): the process this test holds is postgres itself
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns, "setpriv", "--reuid=postgres", "--regid=postgres",
                "--init-groups", bin + "/postgres", "-D", dir.resolve("data").toString(), "-p", "5432", "-c", "listen_addresses=" + String.join(",", addresses),
                "-c", "unix_socket_directories=" + dir, "-c", "max_connections=300", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "shared_buffers=64MB"));
        this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("postgres exited: " + Files.readString(dir.resolve("log")));
                }
                return addresses.stream().allMatch(TestPostgresServer::listening);
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A server in {@code netns} listening on each of {@code addresses}, port 5432. */
    public static TestPostgresServer startIn(String netns, String... addresses) throws Exception {
        return new TestPostgresServer(netns, List.of(addresses));
    }

    public static boolean available() {
        try {
            return TestNetworkHosts.run("sh", "-c", "ls /usr/lib/postgresql/*/bin/initdb && id -u postgres && command -v runuser") == null;
        } catch (Exception e) {
            return false;
        }
    }

    /** A fresh database, reached at {@code address}. */
    public TestDatabases.Fresh fresh() throws SQLException {
        String name = "sync_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url(address, "postgres"), "srg", password); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return new TestDatabases.Fresh(url(address, name), "srg", password);
    }

    public static String url(String host, String database) {
        return "jdbc:postgresql://" + host + ":5432/" + database;
    }

    private static boolean listening(String address) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, 5432), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy(); // SIGTERM to postgres: a smart shutdown
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("log"), StandardCharsets.UTF_8);
    }
}
