package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Pay-as-you-go metering across a server that was down (SPEC RG-9): the time the server did not run
 * is never billed as usage. The simulated clock stands in for the week: while the server is stopped
 * its saved offset is moved on by 7 days, as a week of real time would have.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@SimulatedClock
class MeterDowntimeTest extends ServerTestBase {
    static Path instanceDirectory(String instanceId) throws IOException {
        Path pointer = server.dataDir().resolve("RUNTIME-DIRECTORY");
        return (Files.exists(pointer) ? Path.of(Files.readString(pointer).strip()) : server.dataDir()).resolve("instances")
                .resolve(instanceId);
    }

    @Test
    @DisplayName("SPEC RG-9: a task whose supervisor died with the machine while the server was down for a week is billed until it was last seen, not for the week")
    void aRunLostDuringAWeekDownIsNotBilledForTheWeek() throws Exception {
        String group = fx.payAsYouGoGroup(4).get("id").asString();
        Lost l = lostDuringAWeekDown(group);
        Instant started = l.started();
        Instant seen = l.seen();
        JsonNode lost = l.instance();
        advance(Duration.ZERO);

        JsonNode summary = admin.get("bills/summary?resourceGroupId=" + group).json();
        BigDecimal cuSeconds = summary.get("cuSeconds").decimalValue();
        // 2 CU from its start until the meter last saw it (a few seconds), not 2 CU x 7 days (1,209,600)
        BigDecimal lastSeen = BigDecimal.valueOf(2 * Duration.between(started, seen).toMillis()).movePointLeft(3);
        assertThat(cuSeconds).isLessThanOrEqualTo(lastSeen).isLessThan(new BigDecimal("3600"));
        assertThat(summary.get("amount").decimalValue()).isLessThan(new BigDecimal("0.24"));

        // its end is where the meter last saw it, not when the restarted server found it gone: its run time is what was
        // billed (before, finishedAt was the restart's time, a week on, and runMillis a week)
        Instant finished = Instant.parse(lost.get("finishedAt").asString());
        assertThat(finished).isBetween(started, seen);
        // the meter counts whole milliseconds from the start's millisecond; runMillis truncates the exact difference
        long billedMillis = finished.toEpochMilli() - started.toEpochMilli();
        assertThat(cuSeconds).as(lost.toString()).isEqualByComparingTo(BigDecimal.valueOf(2 * billedMillis).movePointLeft(3));
        assertThat(lost.get("runMillis").asLong()).isBetween(billedMillis - 1, billedMillis);
    }

    @Test
    @DisplayName("SPEC RG-9: a subscription group's task lost while the server was down for a week ends where the meter last saw it"
            + " running, as a pay-as-you-go one does: its runMillis is not the week")
    void aSubscriptionRunLostDuringAWeekDownEndsAtItsLastSighting() throws Exception {
        // SPEC RG-9
        String group = fx.subscriptionGroup(4).get("id").asString();
        Lost l = lostDuringAWeekDown(group); // the meter saw it running before (and billed nothing: a subscription)
        Instant started = l.started();
        Instant seen = l.seen();
        JsonNode lost = l.instance();
        // before: finishedAt was when the restarted server found it, a week on, and runMillis a week
        Instant finished = Instant.parse(lost.get("finishedAt").asString());
        assertThat(finished).as(lost.toString()).isAfter(started).isBefore(seen.plusMillis(1));
        assertThat(lost.get("runMillis").asLong()).isLessThan(Duration.ofHours(1).toMillis());
        assertThat(admin.get("bills/summary?resourceGroupId=" + group).json().get("cuSeconds").decimalValue())
                .isEqualByComparingTo(BigDecimal.ZERO);
    }

    /** A run of 2 CU, its start, when the meter last saw it, and the instance once found LOST. */
    private record Lost(Instant started, Instant seen, JsonNode instance) {}

    /** Starts a task in the group, lets the meter see it, then the machine goes down with it for a week. */
    private Lost lostDuringAWeekDown(String group) throws Exception {
        String ws = fx.workspace(group).get("id").asString();
        var r = admin.post("instances", Map.of("workspaceId", ws, "resourceGroupId", group, "type", "SHELL", "script", "sleep 600",
                "cu", 2));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String id = r.id();
        Instant started = Instant.parse(awaitInstance(id, "RUNNING").get("startedAt").asString());
        advance(Duration.ZERO); // the meter sees it running
        Instant seen = now();
        long supervisor = Long.parseLong(Files.readString(instanceDirectory(id).resolve("started")).strip().split("\\s+")[0]);
        assertThat(supervisor).isPositive();

        server.restart(() -> {
            // the machine goes down: the supervisor dies without recording an outcome; a week passes
            ProcessHandle.of(supervisor).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
            server.sql("UPDATE simulated_clock SET offset_millis = offset_millis + ?", Duration.ofDays(7).toMillis());
        });
        admin = server.admin();
        JsonNode lost = awaitInstance(id, "FAILED");
        assertThat(lost.get("failureReason").asString()).isEqualTo("LOST");
        assertThat(now()).isAfter(seen.plus(Duration.ofDays(7)));
        return new Lost(started, seen, lost);
    }
}
