package dev.srg.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class AlertStateTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration FOR = Duration.ofSeconds(60);

    @Test
    @DisplayName("SPEC MON-4: OK -> PENDING while the condition holds for less than forSeconds, then FIRING, RESOLVED, OK")
    void lifecycle() {
        AlertState.Next pending = AlertState.OK.next(null, true, T0, FOR);
        assertThat(pending).isEqualTo(new AlertState.Next(AlertState.PENDING, T0));
        assertThat(AlertState.PENDING.next(T0, true, T0.plusSeconds(59), FOR).state()).isEqualTo(AlertState.PENDING);
        AlertState.Next firing = AlertState.PENDING.next(T0, true, T0.plusSeconds(60), FOR);
        assertThat(firing).isEqualTo(new AlertState.Next(AlertState.FIRING, T0));
        assertThat(AlertState.FIRING.next(T0, true, T0.plusSeconds(600), FOR).state()).isEqualTo(AlertState.FIRING);
        assertThat(AlertState.FIRING.next(T0, false, T0.plusSeconds(601), FOR).state()).isEqualTo(AlertState.RESOLVED);
        assertThat(AlertState.RESOLVED.next(null, false, T0.plusSeconds(602), FOR).state()).isEqualTo(AlertState.OK);
        assertThat(AlertState.RESOLVED.next(null, true, T0.plusSeconds(602), FOR))
                .isEqualTo(new AlertState.Next(AlertState.PENDING, T0.plusSeconds(602)));
    }

    @Test
    @DisplayName("SPEC MON-4: a condition that clears before forSeconds goes back to OK without firing; forSeconds 0 fires at once")
    void pendingClearsAndZeroDuration() {
        assertThat(AlertState.PENDING.next(T0, false, T0.plusSeconds(30), FOR).state()).isEqualTo(AlertState.OK);
        assertThat(AlertState.OK.next(null, true, T0, Duration.ZERO).state()).isEqualTo(AlertState.FIRING);
        assertThat(AlertState.OK.next(null, false, T0, FOR).state()).isEqualTo(AlertState.OK);
        assertThat(AlertState.FIRING.notifies()).isTrue();
        assertThat(AlertState.RESOLVED.notifies()).isTrue();
        assertThat(AlertState.PENDING.notifies()).isFalse();
        assertThat(AlertState.OK.notifies()).isFalse();
    }

    @Test
    @DisplayName("SPEC MON-4: comparators GT, GE, LT, LE")
    void comparators() {
        assertThat(AlertComparator.GT.test(0.8, 0.8)).isFalse();
        assertThat(AlertComparator.GE.test(0.8, 0.8)).isTrue();
        assertThat(AlertComparator.LT.test(0.7, 0.8)).isTrue();
        assertThat(AlertComparator.LE.test(0.9, 0.8)).isFalse();
    }
}
