package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded default, for real: a separate srg JVM with its own PostgreSQL in its data dir. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EmbeddedDatabaseRecoveryTest {

    @Test
    @DisplayName("a server killed with SIGKILL leaves its PostgreSQL behind; the next start takes it over as it runs, keeps the data,"
            + " and starts it again when it dies")
    void recoversAfterKill() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-recovery");
        String vpcId;
        try (ServerProcess first = ServerProcess.start(dir)) {
            assertThat(first.output()).contains("bootstrap administrator 'admin' created");
            // the secret stays in the 0600 file: stdout (a journal) says where it is, not what it is
            String token = Files.readString(dir.resolve("admin.token")).strip();
            assertThat(first.output()).doesNotContain(token).contains(dir.resolve("admin.token").toString());
            var http = first.http(dir);
            vpcId = http.post("vpcs", Map.of("name", "kept", "regionId", "local", "cidr", "10.0.0.0/16")).id();
            assertThat(vpcId).isNotNull();
            first.kill();
        }
        long leftover = Long.parseLong(Files.readAllLines(dir.resolve("postgres/postmaster.pid")).get(0).strip());
        assertThat(ProcessHandle.of(leftover).map(ProcessHandle::isAlive)).contains(true);

        try (ServerProcess second = ServerProcess.start(dir)) {
            var http = second.http(dir);
            assertThat(http.get("/healthz").status()).isEqualTo(200);
            assertThat(http.get("vpcs/" + vpcId).json().get("name").asString()).isEqualTo("kept");
            assertThat(second.output()).doesNotContain("bootstrap administrator 'admin' created");
            // issue 17: the healthy postmaster of this directory is taken over, not stopped and started again
            assertThat(ProcessHandle.of(leftover).map(ProcessHandle::isAlive)).contains(true);
            assertThat(Files.readAllLines(dir.resolve("postgres/postmaster.pid")).get(0).strip()).isEqualTo(Long.toString(leftover));
            assertThat(http.post("vpcs", Map.of("name", "written", "regionId", "local", "cidr", "10.1.0.0/16")).status()).isEqualTo(201);

            // the taken-over postmaster is not this JVM's child, and is supervised all the same
            assertThat(ProcessHandle.of(leftover).map(ProcessHandle::destroyForcibly)).contains(true);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(200))
                    .until(() -> second.output().contains("is gone; starting it again") && http.get("vpcs/" + vpcId).status() == 200);
            assertThat(Files.readAllLines(dir.resolve("postgres/postmaster.pid")).get(0).strip()).isNotEqualTo(Long.toString(leftover));
        }
        // stopped with the server (taken over or not); an exited postmaster may linger a moment as a zombie until reaped
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> !ProcessHandle.of(leftover).map(ProcessHandle::isAlive).orElse(false) || isZombie(leftover));
        assertThat(dir.resolve("postgres/postmaster.pid")).doesNotExist();
    }

    @Test
    @DisplayName("the embedded postmaster killed with SIGKILL under a running srg: srg starts it again, fast 503s meanwhile, nothing lost")
    void supervisedAfterPostmasterKill() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-supervise");
        try (ServerProcess server = ServerProcess.start(dir)) {
            var http = server.http(dir);
            String vpcId = http.post("vpcs", Map.of("name", "kept", "regionId", "local", "cidr", "10.0.0.0/16")).id();
            long pid = Long.parseLong(Files.readAllLines(dir.resolve("postgres/postmaster.pid")).get(0).strip());
            // its children stopped first cannot notice the loss and exit by themselves: they hold the shared
            // memory a new postmaster refuses to share until srg finds and kills them
            List<ProcessHandle> children = ProcessHandle.of(pid).orElseThrow().children().toList();
            assertThat(children).isNotEmpty();
            for (ProcessHandle child : children) {
                assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(child.pid())).start().waitFor()).isZero();
            }
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly)).contains(true);

            // until it is back every answer is a quick 503 (or already a 200)
            long killedAt = System.nanoTime();
            long deadline = killedAt + TimeUnit.SECONDS.toNanos(60);
            int unavailable = 0;
            while (true) {
                long t0 = System.nanoTime();
                var r = http.get("vpcs/" + vpcId);
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                if (r.status() == 200 && http.get("/readyz").status() == 200) {
                    System.out.println("the database was back " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt)
                            + " ms after the kill");
                    break;
                }
                assertThat(r.status()).as(r.toString()).isEqualTo(503);
                assertThat(r.header("Retry-After")).isNotNull();
                assertThat(millis).as("a 503 took %d ms", millis).isLessThan(1000);
                unavailable++;
                assertThat(System.nanoTime()).as("srg did not get its database back").isLessThan(deadline);
                Thread.sleep(20);
            }
            long restarted = Long.parseLong(Files.readAllLines(dir.resolve("postgres/postmaster.pid")).get(0).strip());
            assertThat(restarted).isNotEqualTo(pid);
            assertThat(server.output()).contains("starting it again").contains("processes the dead postmaster left");
            // killed (a zombie until whoever they were re-parented to reaps them)
            assertThat(children).allMatch(child -> !child.isAlive() || isZombie(child.pid()));
            // committed before the kill: kept; writes work again
            assertThat(http.get("vpcs/" + vpcId).json().get("name").asString()).isEqualTo("kept");
            assertThat(http.post("vpcs", Map.of("name", "after", "regionId", "local", "cidr", "10.1.0.0/16")).status()).isEqualTo(201);
            assertThat(http.get("/livez").status()).isEqualTo(200);
            System.out.println("postmaster restarted; " + unavailable + " calls answered 503 meanwhile\n"
                    + server.output().lines().filter(l -> l.contains("PostgreSQL") || l.contains("database")).collect(java.util.stream.Collectors.joining("\n")));
        }
    }

    @Test
    @DisplayName("a second server on the same data directory refuses to start")
    void oneServerPerDataDir() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-lock");
        try (ServerProcess first = ServerProcess.start(dir)) {
            var second = ServerProcess.runExpectingFailure(dir);
            assertThat(second.exitCode()).isNotZero();
            assertThat(second.output()).contains("another srg server is using the data directory");
            assertThat(first.http(dir).get("/healthz").status()).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("configuration errors are all reported at once and the server does not start")
    void configErrors() throws Exception {
        Path dir = Files.createTempDirectory("srg-config");
        var r = ServerProcess.runExpectingFailure(dir, "--provisioning-delay-ms", "soon", "--database-url", "mysql://x", "--regions", "/no/such/file");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.output()).contains("provisioning-delay-ms must be a number").contains("database-url must be a PostgreSQL JDBC URL")
                .contains("regions file /no/such/file cannot be read");
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
