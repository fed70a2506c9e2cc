package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class LifecycleRulesTest {
    static final Instant T0 = Instant.parse("2026-01-31T10:00:00Z");

    @Test
    @DisplayName("SPEC RG-7: frozen exactly 7 days after the last activity, not a minute before")
    void freezeEdge() {
        Instant activity = T0.plus(Duration.ofDays(2));
        assertThat(LifecycleRules.freezeAt(activity.plus(Duration.ofDays(7)).minusSeconds(60), T0, List.of(activity))).isEmpty();
        assertThat(LifecycleRules.freezeAt(activity.plus(Duration.ofDays(7)), T0, List.of(activity)))
                .contains(activity.plus(Duration.ofDays(7)));
        // without activity, the idle window starts when the group started running (or was enabled)
        assertThat(LifecycleRules.freezeAt(T0.plus(Duration.ofDays(7)).minusMillis(1), T0, List.of())).isEmpty();
        assertThat(LifecycleRules.freezeAt(T0.plus(Duration.ofDays(7)), T0, List.of())).isPresent();
        // activity before the window started does not extend it
        assertThat(LifecycleRules.freezeAt(T0.plus(Duration.ofDays(7)), T0, List.of(T0.minus(Duration.ofDays(1))))).isPresent();
    }

    @Test
    @DisplayName("SPEC RG-7: any one source's activity keeps a group awake (the latest counts)")
    void anySourceCounts() {
        Instant now = T0.plus(Duration.ofDays(8));
        assertThat(LifecycleRules.freezeAt(now, T0, List.of(T0.plus(Duration.ofDays(1)), now))).isEmpty();
        assertThat(LifecycleRules.freezeAt(now, T0, List.of(T0.plus(Duration.ofDays(1)), T0.plus(Duration.ofDays(1))))).isPresent();
    }

    @Test
    @DisplayName("SPEC RG-3: auto-renewal is due a day before expiry, monthly, and catches up every missed month")
    void autoRenewals() {
        Instant expires = Instant.parse("2026-03-01T00:00:00Z");
        Duration lead = Duration.ofDays(1);
        assertThat(LifecycleRules.autoRenewals(expires, expires.minus(lead).minusSeconds(60), lead)).isEmpty();
        List<LifecycleRules.Period> one = LifecycleRules.autoRenewals(expires, expires.minus(lead), lead);
        assertThat(one).containsExactly(new LifecycleRules.Period(expires, Instant.parse("2026-04-01T00:00:00Z")));
        // a clock that jumped three months renews three times, each period following the last
        List<LifecycleRules.Period> three = LifecycleRules.autoRenewals(expires, Instant.parse("2026-05-15T00:00:00Z"), lead);
        assertThat(three).extracting(LifecycleRules.Period::end).containsExactly(Instant.parse("2026-04-01T00:00:00Z"),
                Instant.parse("2026-05-01T00:00:00Z"), Instant.parse("2026-06-01T00:00:00Z"));
    }

    @Test
    @DisplayName("SPEC RG-8: renewing an expired group starts from now; a live one is extended from its expiry")
    void renewal() {
        BillingCycle month = new BillingCycle(BillingCycle.Unit.MONTH, 1);
        Instant expires = Instant.parse("2026-03-01T00:00:00Z");
        assertThat(LifecycleRules.renewal(expires, false, expires.minus(Duration.ofDays(3)), month).end())
                .isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
        Instant later = Instant.parse("2026-03-05T12:00:00Z");
        assertThat(LifecycleRules.renewal(expires, true, later, month))
                .isEqualTo(new LifecycleRules.Period(later, Instant.parse("2026-04-05T12:00:00Z")));
    }
}
