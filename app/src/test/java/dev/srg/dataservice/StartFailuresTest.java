package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The memo of DataService services that did not fit their group (StartFailures), on a clock of its own. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class StartFailuresTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final StartFailures failures = new StartFailures(now::get);

    @Test
    void aFailureIsRememberedForAMomentOnly() {
        assertThat(failures.recentlyFailed("ws", "rg")).isFalse();
        failures.failed("ws", "rg", failures.mark());
        assertThat(failures.recentlyFailed("ws", "rg")).isTrue();
        assertThat(failures.recentlyFailed("ws2", "rg")).isFalse();
        now.addAndGet(StartFailures.TTL_NANOS - 1);
        assertThat(failures.recentlyFailed("ws", "rg")).isTrue();
        now.addAndGet(1);
        assertThat(failures.recentlyFailed("ws", "rg")).isFalse();
    }

    @Test
    void aChangeOfTheGroupsLimitsForgetsItsFailuresAtOnce() {
        failures.failed("ws", "rg", failures.mark());
        failures.failed("ws2", "rg", failures.mark());
        failures.failed("ws", "other", failures.mark());
        failures.limitsChanged("rg");
        assertThat(failures.recentlyFailed("ws", "rg")).isFalse();
        assertThat(failures.recentlyFailed("ws2", "rg")).isFalse();
        assertThat(failures.recentlyFailed("ws", "other")).isTrue();
        failures.forget("ws", "other");
        assertThat(failures.recentlyFailed("ws", "other")).isFalse();
    }

    @Test
    void anAttemptThatSawLimitsFromBeforeAChangeIsNotRemembered() {
        // the attempt read the group's limits, then the quota was raised, then the attempt's failure came back
        long mark = failures.mark();
        failures.limitsChanged("elsewhere");
        failures.failed("ws", "rg", mark);
        assertThat(failures.recentlyFailed("ws", "rg")).isFalse();
    }
}
