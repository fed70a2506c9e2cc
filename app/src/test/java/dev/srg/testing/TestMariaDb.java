package dev.srg.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A real MariaDB server from Debian's packages ({@code mariadb-server}: mariadb-install-db and
 * mariadbd), started by a test in a temporary directory and removed by {@link #close()}. As root
 * it runs as the {@code mysql} user the package creates (mariadbd refuses root without --user);
 * its data directory is that user's. It listens on {@code address} — 127.0.0.1, or an address of
 * a test host when started inside that host's network namespace ({@code netns}).
 */
public final class TestMariaDb implements AutoCloseable {
    private final Path dir;
    private final Process process;
    private final String address;
    private final int port;
    private final String password = UUID.randomUUID().toString().replace("-", "");

    private TestMariaDb(String netns, String address) throws Exception {
        this.address = address;
        this.port = netns == null ? freePort() : 3306;
        this.dir = Files.createTempDirectory("srg-mariadb-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        boolean root = "root".equals(System.getProperty("user.name"));
        String user = root && TestNetworkHosts.run("id", "-u", "mysql") == null ? "mysql" : System.getProperty("user.name");
        if (root) {
            TestNetworkHosts.must("chown", user, dir.toString());
        }
        String install = TestNetworkHosts.run("mariadb-install-db", "--no-defaults", "--datadir=" + dir.resolve("data"), "--user=" + user,
                "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve");
        if (install != null) {
            throw new IllegalStateException("mariadb-install-db failed: " + install);
        }
        List<String> command = new ArrayList<>();
        if (netns != null) {
            command.addAll(List.of("ip", "netns", "exec", netns));
        }
        command.addAll(List.of("mariadbd", "--no-defaults", "--datadir=" + dir.resolve("data"), "--socket=" + dir.resolve("sock"),
                "--pid-file=" + dir.resolve("pid"), "--port=" + port, "--bind-address=" + address, "--user=" + user,
                "--log-error=" + dir.resolve("error.log"), "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=2", "--innodb-log-file-size=64M", "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_bin", "--default-time-zone=+00:00", "--max-connections=200", "--performance-schema=OFF"));
        this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("mariadbd exited: " + Files.readString(dir.resolve("error.log")));
                }
                return Files.exists(dir.resolve("sock")) && listening();
            });
            // root@localhost authenticates by the socket's peer (unix_socket): this process's user is root
            String sql = "CREATE USER 'srg'@'%' IDENTIFIED BY '" + password + "'; GRANT ALL ON *.* TO 'srg'@'%';";
            String out = TestNetworkHosts.run("mariadb", "--no-defaults", "-S", dir.resolve("sock").toString(), "-u", "root", "-e", sql);
            if (out != null) {
                throw new IllegalStateException("cannot create the test user: " + out);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A server on 127.0.0.1 (a free port). */
    public static TestMariaDb start() throws Exception {
        return new TestMariaDb(null, "127.0.0.1");
    }

    /** A server inside network namespace {@code netns}, listening on {@code address}:3306. */
    public static TestMariaDb startIn(String netns, String address) throws Exception {
        return new TestMariaDb(netns, address);
    }

    public static boolean available() {
        try {
            return TestNetworkHosts.run("sh", "-c", "command -v mariadbd && command -v mariadb-install-db") == null;
        } catch (Exception e) {
            return false;
        }
    }

    public String host() {
        return address;
    }

    public int port() {
        return port;
    }

    public String user() {
        return "srg";
    }

    public String password() {
        return password;
    }

    public void createDatabase(String name) throws SQLException {
        try (Connection c = connect(""); var st = c.createStatement()) {
            st.execute("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        }
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://" + address + ":" + port + "/" + database, "srg", password);
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy(); // SIGTERM: a clean shutdown
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
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

    /** The server's error log (for a failing test's message). */
    public String errorLog() throws IOException {
        Path log = dir.resolve("error.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
