package dev.srg.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The tests that kill servers leave nothing running behind them (a PostgreSQL with its gigabytes in /tmp, once for an hour). */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ServerProcessTest {

    @Test
    @DisplayName("the embedded PostgreSQL a killed server left behind is stopped by stopLeftBehind")
    void whatAKilledServerLeftIsStopped() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-leftover");
        ServerProcess server = ServerProcess.start(dir, Duration.ofMinutes(4));
        long postgres = Long.parseLong(Files.readAllLines(dir.resolve("postgres").resolve("postmaster.pid")).getFirst().strip());
        server.kill();
        // on purpose: the next start on the directory finds it (EmbeddedPostgres stops a leftover)
        assertThat(ProcessHandle.of(postgres).map(ProcessHandle::isAlive)).as("left behind by kill -9").contains(true);
        ServerProcess.stopLeftBehind();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(postgres).map(h -> !h.isAlive()).orElse(true));
    }
}
