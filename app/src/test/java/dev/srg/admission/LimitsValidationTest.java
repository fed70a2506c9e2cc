package dev.srg.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LimitsValidationTest {
    @Test
    @DisplayName("SPEC ADM-4: scheduling concurrency defaults to 50")
    void concurrencyDefault() {
        assertThat(GroupLimits.of(10_000).schedulingMaxRunning()).isEqualTo(50);
    }

    @Test
    @DisplayName("SPEC ADM-4: scheduling concurrency is adjustable from 1 to 200, nothing else")
    void concurrencyRange() {
        assertThat(GroupLimits.validate(10_000, 1, Map.of())).isEmpty();
        assertThat(GroupLimits.validate(10_000, 200, Map.of())).isEmpty();
        assertThat(GroupLimits.validate(10_000, 0, Map.of()))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("schedulingMaxRunning");
                    assertThat(v.rule()).isEqualTo("ADM-4");
                });
        assertThat(GroupLimits.validate(10_000, 201, Map.of())).extracting(LimitViolation::field).containsExactly("schedulingMaxRunning");
        assertThatThrownBy(() -> GroupLimits.of(10_000).withSchedulingMaxRunning(201))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schedulingMaxRunning");
    }

    @Test
    @DisplayName("SPEC ADM-2: a minimum above its maximum is refused, naming the field")
    void minimumAboveMaximum() {
        assertThat(Quota.validate("quotas.SCHEDULING", 2_000, 1_000))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("quotas.SCHEDULING.minimum");
                    assertThat(v.rule()).isEqualTo("ADM-2");
                    assertThat(v.message()).contains("2 CU").contains("1 CU");
                });
        assertThatThrownBy(() -> Quota.of(2_000, 1_000)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Quota.validate("quotas.SCHEDULING", 1_000, 1_000)).isEmpty();
    }

    @Test
    @DisplayName("SPEC ADM-2: minimums of a group sum to at most its capacity")
    void minimumsSumToCapacity() {
        Map<UsageType, Quota> quotas = Map.of(UsageType.SCHEDULING, Quota.minimum(3_000), UsageType.DATA_INTEGRATION, Quota.minimum(2_000));
        assertThat(GroupLimits.validate(5_000, 50, quotas)).isEmpty();
        assertThat(GroupLimits.validate(4_750, 50, quotas))
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.field()).isEqualTo("quotas");
                    assertThat(v.rule()).isEqualTo("ADM-2");
                    assertThat(v.message()).contains("5 CU").contains("4.75 CU");
                });
        assertThatThrownBy(() -> new GroupLimits(true, 4_750, 50, quotas)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quotas");
    }

    @Test
    @DisplayName("SPEC ADM-2: a maximum above the capacity is allowed; capacity caps the type anyway")
    void maximumAboveCapacityAllowed() {
        assertThat(GroupLimits.validate(2_000, 50, Map.of(UsageType.DATA_SERVICE, Quota.maximum(500_000)))).isEmpty();
    }

    @Test
    @DisplayName("amounts are non-negative multiples of 0.25 CU; all violations are reported at once")
    void granularityAndSign() {
        assertThat(Quota.validate("q", -250, 100)).extracting(LimitViolation::field).containsExactly("q.minimum", "q.maximum");
        assertThat(GroupLimits.validate(1_100, 0, Map.of())).extracting(LimitViolation::field)
                .containsExactly("capacity", "schedulingMaxRunning");
        assertThatThrownBy(() -> new QueuedTask("t", UsageType.SCHEDULING, 100, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new QueuedTask("t", UsageType.SCHEDULING, 0, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("limits copy their quotas and answer NONE for a type without one")
    void quotasCopied() {
        var quotas = new java.util.HashMap<UsageType, Quota>();
        quotas.put(UsageType.SCHEDULING, Quota.maximum(1_000));
        GroupLimits limits = new GroupLimits(true, 4_000, 50, quotas);
        quotas.put(UsageType.SCHEDULING, Quota.maximum(2_000));
        assertThat(limits.quota(UsageType.SCHEDULING)).isEqualTo(Quota.maximum(1_000));
        assertThat(limits.quota(UsageType.MODEL_SERVICE)).isEqualTo(Quota.NONE);
        assertThat(Quota.NONE.hasMaximum()).isFalse();
    }
}
