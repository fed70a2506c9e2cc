package dev.srg.dataservice;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real MariaDB from Debian's packages, in a temporary directory on a free loopback port, for one
 * test class: {@code mariadb-install-db}, then {@code mariadbd} as a child process, stopped by its
 * pid and removed at close.
 */
final class MariaDb implements AutoCloseable {
    final int port;
    private final Path dir;
    private final Process process;

    private MariaDb(int port, Path dir, Process process) {
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    static boolean installed() {
        return Files.isExecutable(Path.of("/usr/sbin/mariadbd")) && Files.isExecutable(Path.of("/usr/bin/mariadb-install-db"));
    }

    static MariaDb start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("srg-test-mariadb");
        Process install = new ProcessBuilder("mariadb-install-db", "--no-defaults", "--datadir=" + dir.resolve("data"),
                "--auth-root-authentication-method=normal", "--user=root", "--skip-test-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("install.log").toFile()).start();
        if (!install.waitFor(120, TimeUnit.SECONDS) || install.exitValue() != 0) {
            throw new IllegalStateException("mariadb-install-db failed: " + Files.readString(dir.resolve("install.log")));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder("mariadbd", "--no-defaults", "--datadir=" + dir.resolve("data"), "--port=" + port,
                "--bind-address=127.0.0.1", "--socket=" + dir.resolve("sock"), "--user=root", "--skip-log-bin",
                "--innodb-buffer-pool-size=32M").redirectErrorStream(true).redirectOutput(dir.resolve("mariadbd.log").toFile()).start();
        MariaDb db = new MariaDb(port, dir, p);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = db.root()) {
                if (c.isValid(5)) {
                    return db;
                }
            } catch (SQLException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    db.close();
                    throw new IllegalStateException("mariadbd did not start: " + e.getMessage());
                }
            }
            Thread.sleep(200);
        }
    }

    Connection root() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", "");
    }

    void sql(List<String> statements) throws SQLException {
        try (Connection c = root(); var st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: left for the system to clean
        }
    }
}
