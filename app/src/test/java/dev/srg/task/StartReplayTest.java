package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.UsageType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The replay behind start estimates and dry runs (SPEC BEY-1), without a database. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class StartReplayTest {
    private static final long NOW = 1_000_000_000L;
    private static final UsageType S = UsageType.SCHEDULING;

    private static StartReplay.Waiting waiting(String id, long milliCu, long seq, Long runMillis) {
        return new StartReplay.Waiting(new QueuedTask(id, S, milliCu, 5, seq, NOW), runMillis);
    }

    @Test
    @DisplayName("SPEC BEY-1: the issue's demo — 2+2 CU running 300 s on 4 CU: the 1-CU task starts when the first ends, not 'now + 3 s'")
    void demoGroup() {
        // started 60 s ago, expected to run 300 s: they end 240 s from now
        var running = List.of(new StartReplay.Running("a", S, 2000, NOW + 240_000),
                new StartReplay.Running("b", S, 2000, NOW + 250_000));
        var out = StartReplay.replay(GroupLimits.of(4000), running, List.of(waiting("c", 1000, 1, 300_000L)), NOW);
        assertThat(out.get("c").startAtMillis()).isEqualTo(NOW + 240_000);
        assertThat(out.get("c").why()).isEqualTo(StartReplay.Why.ESTIMATED);
    }

    @Test
    @DisplayName("SPEC BEY-1: the queue ahead is replayed: each queued task runs its expected time before the next fits")
    void queueAhead() {
        var running = List.of(new StartReplay.Running("a", S, 4000, NOW + 100_000));
        var out = StartReplay.replay(GroupLimits.of(4000), running, List.of(
                waiting("q1", 3000, 1, 50_000L), waiting("q2", 3000, 2, 70_000L), waiting("small", 1000, 3, 10_000L)), NOW);
        assertThat(out.get("q1").startAtMillis()).isEqualTo(NOW + 100_000);
        assertThat(out.get("q2").startAtMillis()).isEqualTo(NOW + 150_000);
        // the 1-CU task would fit beside q1, but by then q2 has waited past the starvation bound
        // (60 s) and holds the room it waits for: the replay keeps the ledger's holds
        assertThat(out.get("small").startAtMillis()).isEqualTo(NOW + 150_000);
        // before the bound, backfill: it starts beside q1
        out = StartReplay.replay(GroupLimits.of(4000), List.of(new StartReplay.Running("a", S, 4000, NOW + 10_000)), List.of(
                waiting("q1", 3000, 1, 50_000L), waiting("q2", 3000, 2, 70_000L), waiting("small", 1000, 3, 10_000L)), NOW);
        assertThat(out.get("small").startAtMillis()).isEqualTo(NOW + 10_000);
    }

    @Test
    @DisplayName("SPEC BEY-1: a task that fits starts now")
    void startsNow() {
        var out = StartReplay.replay(GroupLimits.of(4000), List.of(new StartReplay.Running("a", S, 2000, NOW + 5_000)),
                List.of(waiting("c", 2000, 1, 1_000L)), NOW);
        assertThat(out.get("c")).isEqualTo(new StartReplay.Outcome(NOW, StartReplay.Why.STARTS_NOW, List.of()));
    }

    @Test
    @DisplayName("SPEC BEY-1: behind a service (no expected end) the estimate is unknown and names what it waits for")
    void unknownEnd() {
        var running = List.of(new StartReplay.Running("svc", S, 4000, null));
        var out = StartReplay.replay(GroupLimits.of(4000), running, List.of(waiting("c", 1000, 1, 1_000L)), NOW);
        assertThat(out.get("c")).isEqualTo(new StartReplay.Outcome(null, StartReplay.Why.UNKNOWN_END, List.of("svc")));
    }

    @Test
    @DisplayName("SPEC BEY-1: a group that does not admit, or a task that never fits, has no start and says why")
    void noStart() {
        var out = StartReplay.replay(GroupLimits.of(4000).withAdmitting(false), List.of(), List.of(waiting("c", 1000, 1, 1L)), NOW);
        assertThat(out.get("c").why()).isEqualTo(StartReplay.Why.NOT_ADMITTING);
        out = StartReplay.replay(GroupLimits.of(4000), List.of(), List.of(waiting("big", 8000, 1, 1L)), NOW);
        assertThat(out.get("big").why()).isEqualTo(StartReplay.Why.NEVER_FITS);
    }

    @Test
    @DisplayName("SPEC BEY-1: an overdue end counts as now; a start past 30 days is not promised")
    void overdueAndHorizon() {
        var out = StartReplay.replay(GroupLimits.of(4000), List.of(new StartReplay.Running("a", S, 4000, NOW - 5_000)),
                List.of(waiting("c", 4000, 1, 40L * 24 * 3600 * 1000), waiting("d", 4000, 2, 1L)), NOW);
        assertThat(out.get("c").startAtMillis()).isEqualTo(NOW);
        assertThat(out.get("c").why()).isEqualTo(StartReplay.Why.ESTIMATED);
        assertThat(out.get("d").why()).isEqualTo(StartReplay.Why.BEYOND_HORIZON);
        assertThat(out).containsKeys("c", "d").hasSize(2);
        assertThat(Map.copyOf(out)).doesNotContainKey("a");
    }
}
