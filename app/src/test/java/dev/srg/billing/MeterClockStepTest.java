package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.billing.MeterDecider.Decision;
import dev.srg.billing.MeterDecider.InstanceRun;
import dev.srg.billing.MeterDecider.Pass;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A forward step of the machine's wall clock is not usage (SPEC RG-9, docs/lifecycle.md's clock
 * table): the meter's piece of a running task since its previous pass is the time that really
 * passed — the monotonic clock, plus what a simulated clock was moved on. Before, the hour's line
 * grew by the whole step.
 */
class MeterClockStepTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final long TWO_CU = 2_000;

    private static long billed(Decision d) {
        return d.lines().getOrDefault("rg-1", Map.of()).values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    @DisplayName("a running task across a one-hour step forward between two passes is billed the 30 s that passed, not the hour")
    void aStepForwardIsNotBilled() {
        // the first pass meters it 10 s after it started
        InstanceRun run = new InstanceRun("i-1", "rg-1", TWO_CU, T0, null, null, null);
        Instant first = T0.plusSeconds(10);
        Decision d1 = MeterDecider.decide(List.of(run), first, null);
        assertThat(billed(d1)).isEqualTo(TWO_CU * 10_000);
        // 30 s later the wall clock is an hour and 30 s on: it stepped
        Instant second = first.plus(Duration.ofHours(1)).plusSeconds(30);
        InstanceRun metered = new InstanceRun("i-1", "rg-1", TWO_CU, T0, null, first, null);
        Decision d2 = MeterDecider.decide(List.of(metered), second, new Pass(first, 30_000));
        assertThat(billed(d2)).as("30 s x 2 CU").isEqualTo(TWO_CU * 30_000);
        // in the hour the clock shows now, up to now: the next pass goes on from there
        assertThat(d2.lines().get("rg-1")).containsOnlyKeys(Instant.parse("2026-03-02T11:00:00Z"));
        assertThat(d2.watermarks().get(0).meteredUntil()).isEqualTo(second);
        // what the meter did before (no previous pass known): the whole step billed
        assertThat(billed(MeterDecider.decide(List.of(metered), second, null))).isEqualTo(TWO_CU * 3_630_000);
    }

    @Test
    @DisplayName("a task that ended after the step: its last piece is the time it really ran since the pass")
    void aRunEndingAfterTheStep() {
        Instant first = T0.plusSeconds(10);
        Instant finished = first.plus(Duration.ofHours(1)).plusSeconds(20);
        InstanceRun ended = new InstanceRun("i-1", "rg-1", TWO_CU, T0, finished, first, null);
        Decision d = MeterDecider.decide(List.of(ended), finished.plusSeconds(10), new Pass(first, 30_000));
        // it ended 20 s after the pass (its end is past the jump): 20 s. Before: the 30 s since the pass, 10 s too much
        assertThat(billed(d)).isEqualTo(TWO_CU * 20_000);
        assertThat(d.watermarks().get(0).complete()).isTrue();
    }

    @Test
    @DisplayName("no step: the wall clock and the time that passed agree, nothing changes; a simulated advance is usage")
    void noStepAndSimulatedAdvances() {
        Instant first = T0.plusSeconds(10);
        InstanceRun metered = new InstanceRun("i-1", "rg-1", TWO_CU, T0, null, first, null);
        Instant second = first.plusSeconds(30);
        assertThat(billed(MeterDecider.decide(List.of(metered), second, new Pass(first, 29_990)))).isEqualTo(TWO_CU * 30_000);
        // POST /clock/advance by an hour: the Meter counts the simulated clock's advance in the time that passed
        Instant advanced = second.plus(Duration.ofHours(1));
        assertThat(billed(MeterDecider.decide(List.of(metered), advanced, new Pass(first, 3_630_000))))
                .isEqualTo(TWO_CU * 3_630_000);
        // a run that started after the previous pass is metered from its start as before, when no step is in between
        InstanceRun late = new InstanceRun("i-2", "rg-1", TWO_CU, first.plusSeconds(20), null, null, null);
        assertThat(billed(MeterDecider.decide(List.of(late), second, new Pass(first, 30_000)))).isEqualTo(TWO_CU * 10_000);
    }

    @Test
    @DisplayName("SPEC RG-9: a task that began after the previous pass and spans a step is billed what it ran, to the millisecond")
    void aRunStartedBetweenPassesAcrossAStep() {
        // SPEC RG-9
        // previous pass at `first`; 30 s really pass to `second`; the wall clock shows an hour more (a one-hour step)
        Instant first = T0.plusSeconds(10);
        Instant second = first.plus(Duration.ofHours(1)).plusSeconds(30);
        Pass previous = new Pass(first, 30_000);
        // started 10 s after the pass, before the step (no wall time falls inside the jump): it ran 20 s.
        // Before: billed the 30 s since the pass (the cap), 10 s too much
        InstanceRun beforeTheStep = new InstanceRun("i-1", "rg-1", TWO_CU, first.plusSeconds(10), null, null, null);
        assertThat(billed(MeterDecider.decide(List.of(beforeTheStep), second, previous))).isEqualTo(TWO_CU * 20_000);
        // started 10 s before this pass, after the step: it ran 10 s
        InstanceRun afterTheStep = new InstanceRun("i-2", "rg-1", TWO_CU, second.minusSeconds(10), null, null, null);
        assertThat(billed(MeterDecider.decide(List.of(afterTheStep), second, previous))).isEqualTo(TWO_CU * 10_000);
        // started before the step and ended before it too, 5 s later: 5 s, nothing of the hour
        InstanceRun short_ = new InstanceRun("i-3", "rg-1", TWO_CU, first.plusSeconds(10), first.plusSeconds(15), null, null);
        assertThat(billed(MeterDecider.decide(List.of(short_), second, previous))).isEqualTo(TWO_CU * 5_000);
    }

    @Test
    @DisplayName("SPEC RG-9: a step shorter than the pass interval may leave a start on either side of it: billed at most the step"
            + " more than it ran, never less")
    void aShortStepIsBoundedByItself() {
        // SPEC RG-9
        // 30 s really pass, the wall clock shows 35 s: a 5 s step; a start 10 s after the pass may be before it (ran 25 s) or
        // after it (ran 20 s): the wall times are the same, so it is billed 25 s
        Instant first = T0.plusSeconds(10);
        Instant second = first.plusSeconds(35);
        InstanceRun run = new InstanceRun("i-1", "rg-1", TWO_CU, first.plusSeconds(10), null, null, null);
        long billed = billed(MeterDecider.decide(List.of(run), second, new Pass(first, 30_000)));
        assertThat(billed).isEqualTo(TWO_CU * 25_000);
        assertThat(billed - TWO_CU * 20_000).as("at most the step too much").isLessThanOrEqualTo(TWO_CU * 5_000);
    }
}
