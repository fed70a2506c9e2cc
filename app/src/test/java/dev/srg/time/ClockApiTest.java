package dev.srg.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClockApiTest {
    @Test
    @DisplayName("without --simulated-clock the clock cannot be moved: /clock and /clock/advance do not exist")
    void absentOnARealClock() {
        try (TestServer server = TestServer.start()) {
            var r = server.admin().post("clock/advance", Map.of("seconds", 60));
            assertThat(r.status()).isEqualTo(404);
            assertThat(server.admin().get("clock").status()).isEqualTo(404);
            assertThat(server.admin().get("openapi.json").json().get("paths").has("/api/v1/clock/advance")).isFalse();
        }
    }

    @Test
    @DisplayName("with --simulated-clock an administrator moves time forward, and the offset is saved for a restart")
    void advancesAndPersists() {
        try (TestServer server = TestServer.start(cfg -> cfg.withSimulatedClock(true))) {
            Instant before = Instant.now();
            var r = server.admin().post("clock/advance", Map.of("seconds", 40L * 24 * 3600));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            Instant moved = Instant.parse(r.json().get("now").asString());
            assertThat(Duration.between(before, moved).toDays()).isEqualTo(40);
            assertThat(r.json().get("offsetSeconds").asLong()).isEqualTo(40L * 24 * 3600);
            assertThat(server.admin().get("openapi.json").json().get("paths").has("/api/v1/clock/advance")).isTrue();
            assertThat(server.sqlLong("SELECT offset_millis FROM simulated_clock WHERE id = 1")).isEqualTo(40L * 24 * 3600 * 1000);
        }
    }
}
