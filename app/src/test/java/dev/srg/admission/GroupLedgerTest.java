package dev.srg.admission;

import static dev.srg.admission.UsageType.CONNECTIVITY_TEST;
import static dev.srg.admission.UsageType.DATA_INTEGRATION;
import static dev.srg.admission.UsageType.DATA_SERVICE;
import static dev.srg.admission.UsageType.SCHEDULING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupLedgerTest {
    private static final long CU = 1_000;
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final long STARVED = BOUND.toMillis();

    private long sequence;

    private QueuedTask task(String id, UsageType type, long milliCu) {
        return task(id, type, milliCu, 0, 0);
    }

    private QueuedTask task(String id, UsageType type, long milliCu, int priority, long enqueuedAt) {
        return new QueuedTask(id, type, milliCu, priority, ++sequence, enqueuedAt);
    }

    private static List<String> ids(List<QueuedTask> tasks) {
        return tasks.stream().map(QueuedTask::id).toList();
    }

    private static WaitReason reason(GroupLedger ledger, String id, long now) {
        return ledger.snapshot(now).queue().stream().filter(q -> q.task().id().equals(id)).findFirst().orElseThrow().reason();
    }

    @Test
    @DisplayName("SPEC ADM-6: used CU never exceeds the capacity; the task that does not fit queues")
    void capacity() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(4 * CU), BOUND);
        ledger.enqueue(task("a", SCHEDULING, 3 * CU));
        ledger.enqueue(task("b", DATA_INTEGRATION, 2 * CU));
        assertThat(ids(ledger.admit(0))).containsExactly("a");
        assertThat(ledger.usedMilliCu()).isEqualTo(3 * CU);
        assertThat(reason(ledger, "b", 0)).isEqualTo(WaitReason.CAPACITY);
        ledger.release("a");
        assertThat(ids(ledger.admit(1))).containsExactly("b");
    }

    @Test
    @DisplayName("SPEC ADM-4: at most the threshold of SCHEDULING tasks run at once; other types are not counted")
    void schedulingConcurrency() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(100 * CU).withSchedulingMaxRunning(2), BOUND);
        ledger.enqueue(task("s1", SCHEDULING, 250));
        ledger.enqueue(task("s2", SCHEDULING, 250));
        ledger.enqueue(task("s3", SCHEDULING, 250));
        ledger.enqueue(task("d1", DATA_INTEGRATION, 250));
        assertThat(ids(ledger.admit(0))).containsExactly("s1", "s2", "d1");
        assertThat(reason(ledger, "s3", 0)).isEqualTo(WaitReason.CONCURRENCY);
        ledger.setLimits(ledger.limits().withSchedulingMaxRunning(3));
        assertThat(ids(ledger.admit(0))).containsExactly("s3");
    }

    @Test
    @DisplayName("SPEC ADM-4: the default threshold of 50 admits 50 SCHEDULING tasks, the 51st waits")
    void schedulingConcurrencyDefault() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(1_000 * CU), BOUND);
        for (int i = 0; i < 51; i++) {
            ledger.enqueue(task("s" + i, SCHEDULING, 250));
        }
        assertThat(ledger.admit(0)).hasSize(50);
        assertThat(ledger.runningCount(SCHEDULING)).isEqualTo(50);
        assertThat(ledger.queuedCount(SCHEDULING)).isEqualTo(1);
    }

    @Test
    @DisplayName("SPEC ADM-2: a maximum quota caps its type, not the others")
    void maximumQuota() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(10 * CU).withQuota(DATA_INTEGRATION, Quota.maximum(2 * CU)), BOUND);
        ledger.enqueue(task("d1", DATA_INTEGRATION, 2 * CU));
        ledger.enqueue(task("d2", DATA_INTEGRATION, 1 * CU));
        ledger.enqueue(task("s1", SCHEDULING, 5 * CU));
        assertThat(ids(ledger.admit(0))).containsExactly("d1", "s1");
        assertThat(reason(ledger, "d2", 0)).isEqualTo(WaitReason.MAX_QUOTA);
        assertThat(ledger.usedMilliCu(DATA_INTEGRATION)).isEqualTo(2 * CU);
    }

    @Test
    @DisplayName("SPEC ADM-2, ADM-6: a minimum quota is guaranteed: other types cannot eat its unused part")
    void minimumQuotaGuaranteed() {
        GroupLimits limits = GroupLimits.of(10 * CU).withQuota(DATA_SERVICE, Quota.minimum(4 * CU));
        GroupLedger ledger = new GroupLedger(limits, BOUND);
        ledger.enqueue(task("s1", SCHEDULING, 6 * CU));
        ledger.enqueue(task("s2", SCHEDULING, 1 * CU));
        assertThat(ids(ledger.admit(0))).containsExactly("s1");
        assertThat(reason(ledger, "s2", 0)).isEqualTo(WaitReason.RESERVED_FOR_OTHER_TYPES);
        // the guaranteed type still gets its 4 CU at once
        ledger.enqueue(task("api", DATA_SERVICE, 4 * CU));
        assertThat(ids(ledger.admit(0))).containsExactly("api");
        assertThat(ledger.usedMilliCu()).isEqualTo(10 * CU);
    }

    @Test
    @DisplayName("SPEC ADM-6: a type may use more than its minimum when nobody else's guarantee is touched")
    void beyondOwnMinimum() {
        GroupLimits limits = GroupLimits.of(10 * CU).withQuota(DATA_SERVICE, Quota.minimum(4 * CU)).withQuota(SCHEDULING, Quota.minimum(2 * CU));
        GroupLedger ledger = new GroupLedger(limits, BOUND);
        ledger.enqueue(task("api", DATA_SERVICE, 8 * CU));
        ledger.enqueue(task("api2", DATA_SERVICE, 250));
        assertThat(ids(ledger.admit(0))).containsExactly("api"); // 8 + 2 reserved for SCHEDULING = 10
        assertThat(reason(ledger, "api2", 0)).isEqualTo(WaitReason.RESERVED_FOR_OTHER_TYPES);
    }

    @Test
    @DisplayName("SPEC RG-4: a group that does not admit (frozen, expired) starts nothing; re-enabled it does")
    void notAdmitting() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(10 * CU).withAdmitting(false), BOUND);
        ledger.enqueue(task("a", SCHEDULING, CU));
        assertThat(ledger.admit(0)).isEmpty();
        assertThat(reason(ledger, "a", 0)).isEqualTo(WaitReason.GROUP_NOT_ADMITTING);
        ledger.setLimits(ledger.limits().withAdmitting(true));
        assertThat(ids(ledger.admit(0))).containsExactly("a");
    }

    @Test
    @DisplayName("SPEC RG-5: after a scale-in below what is used, nothing runs is stopped and nothing starts until usage fits")
    void scaleInBelowUsed() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(8 * CU), BOUND);
        for (String id : List.of("a", "b", "c", "d")) {
            ledger.enqueue(task(id, SCHEDULING, 2 * CU));
        }
        assertThat(ledger.admit(0)).hasSize(4);
        ledger.setLimits(ledger.limits().withCapacity(4 * CU));
        assertThat(ledger.usedMilliCu()).isEqualTo(8 * CU);
        assertThat(ledger.runningCount(SCHEDULING)).isEqualTo(4);
        ledger.enqueue(task("e", CONNECTIVITY_TEST, 250));
        assertThat(ledger.admit(0)).isEmpty();
        assertThat(reason(ledger, "e", 0)).isEqualTo(WaitReason.CAPACITY);
        ledger.release("a");
        ledger.release("b");
        assertThat(ledger.admit(1)).isEmpty(); // 4 CU used of 4
        ledger.release("c");
        assertThat(ids(ledger.admit(2))).containsExactly("e");
    }

    @Test
    @DisplayName("SPEC ADM-5: a task that does not fit is never dropped; queued and running are visible per usage type")
    void neverDroppedVisiblePerType() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(2 * CU), BOUND);
        ledger.enqueue(task("s1", SCHEDULING, 2 * CU));
        ledger.enqueue(task("s2", SCHEDULING, 2 * CU));
        ledger.enqueue(task("d1", DATA_INTEGRATION, CU));
        ledger.admit(0);
        for (long now = 0; now < 10 * STARVED; now += STARVED) {
            assertThat(ledger.admit(now)).isEmpty();
        }
        LedgerInfo info = ledger.snapshot(10 * STARVED);
        assertThat(info.byType().get(SCHEDULING)).isEqualTo(new TypeUsage(2 * CU, 1, 1, 2 * CU));
        assertThat(info.byType().get(DATA_INTEGRATION)).isEqualTo(new TypeUsage(0, 0, 1, CU));
        assertThat(info.byType().get(DATA_SERVICE)).isEqualTo(new TypeUsage(0, 0, 0, 0));
        assertThat(info.queue()).extracting(q -> q.task().id(), QueuedTaskInfo::position).containsExactly(
                org.assertj.core.groups.Tuple.tuple("s2", 1), org.assertj.core.groups.Tuple.tuple("d1", 2));
        assertThat(ledger.queuedCount(SCHEDULING)).isEqualTo(1);
        ledger.release("s1");
        assertThat(ids(ledger.admit(10 * STARVED))).containsExactly("s2");
    }

    @Test
    @DisplayName("SPEC ADM-5: a task bigger than the group can ever give waits (never dropped), holds nothing, starts when the group grows")
    void neverFits() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(4 * CU), BOUND);
        ledger.enqueue(task("huge", SCHEDULING, 8 * CU, 0, 0));
        ledger.enqueue(task("small", SCHEDULING, CU, 0, 0));
        assertThat(ids(ledger.admit(10 * STARVED))).containsExactly("small");
        QueuedTaskInfo huge = ledger.snapshot(10 * STARVED).queue().getFirst();
        assertThat(huge.fitsWhenIdle()).isFalse();
        assertThat(huge.reason()).isEqualTo(WaitReason.CAPACITY);
        ledger.release("small");
        ledger.setLimits(ledger.limits().withCapacity(8 * CU));
        assertThat(ids(ledger.admit(10 * STARVED))).containsExactly("huge");
    }

    @Test
    @DisplayName("order: higher priority first, then arrival")
    void priorityThenArrival() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(100 * CU), BOUND);
        ledger.enqueue(task("low1", SCHEDULING, CU, 0, 0));
        ledger.enqueue(task("high1", SCHEDULING, CU, 5, 0));
        ledger.enqueue(task("low2", DATA_SERVICE, CU, 0, 0));
        ledger.enqueue(task("high2", DATA_SERVICE, CU, 5, 0));
        ledger.enqueue(task("mid", SCHEDULING, CU, 1, 0));
        assertThat(ids(ledger.admit(0))).containsExactly("high1", "high2", "mid", "low1", "low2");
    }

    @Test
    @DisplayName("backfill: a later task that fits starts past a head that does not, while the head is within the starvation bound")
    void backfill() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(4 * CU), BOUND);
        ledger.enqueue(task("running", SCHEDULING, 2 * CU, 0, 0));
        ledger.admit(0);
        ledger.enqueue(task("big", SCHEDULING, 4 * CU, 0, 0));
        ledger.enqueue(task("small", SCHEDULING, CU, 0, 1));
        assertThat(ids(ledger.admit(STARVED - 1))).containsExactly("small");
    }

    @Test
    @DisplayName("starvation: once the head waited past the bound, capacity is held for it and it starts when enough frees")
    void holdForStarvingHead() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(4 * CU), BOUND);
        ledger.enqueue(task("r1", SCHEDULING, 2 * CU, 0, 0));
        ledger.enqueue(task("r2", SCHEDULING, CU, 0, 0));
        ledger.admit(0);
        ledger.enqueue(task("big", DATA_INTEGRATION, 3 * CU, 0, 0));
        ledger.enqueue(task("small1", SCHEDULING, CU, 0, 1));
        assertThat(ids(ledger.admit(1))).containsExactly("small1"); // backfill: 4 CU used
        ledger.release("r1");
        ledger.enqueue(task("small2", SCHEDULING, CU, 0, STARVED));
        assertThat(ledger.admit(STARVED)).isEmpty(); // 2 CU free, but big starves: held
        assertThat(reason(ledger, "small2", STARVED)).isEqualTo(WaitReason.HELD_FOR_HEAD);
        assertThat(reason(ledger, "big", STARVED)).isEqualTo(WaitReason.CAPACITY);
        ledger.release("r2");
        assertThat(ids(ledger.admit(STARVED + 1))).containsExactly("big");
        ledger.release("small1");
        assertThat(ids(ledger.admit(STARVED + 2))).containsExactly("small2");
    }

    @Test
    @DisplayName("starvation: a held head does not block other types inside their own unused minimum (SPEC ADM-2)")
    void holdLeavesMinimumsAlone() {
        GroupLimits limits = GroupLimits.of(10 * CU).withQuota(DATA_SERVICE, Quota.minimum(2 * CU));
        GroupLedger ledger = new GroupLedger(limits, BOUND);
        ledger.enqueue(task("r", SCHEDULING, 7 * CU, 0, 0));
        ledger.admit(0);
        ledger.enqueue(task("big", SCHEDULING, 5 * CU, 0, 0));
        ledger.enqueue(task("api", DATA_SERVICE, 2 * CU, 0, 1));
        ledger.enqueue(task("conn", CONNECTIVITY_TEST, CU, 0, 1));
        assertThat(ids(ledger.admit(STARVED))).containsExactly("api");
        assertThat(reason(ledger, "conn", STARVED)).isEqualTo(WaitReason.HELD_FOR_HEAD);
    }

    @Test
    @DisplayName("starvation: a head waiting for its type's maximum holds only that type")
    void holdForMaximumOnlyBlocksItsType() {
        GroupLimits limits = GroupLimits.of(10 * CU).withQuota(DATA_INTEGRATION, Quota.maximum(4 * CU));
        GroupLedger ledger = new GroupLedger(limits, BOUND);
        ledger.enqueue(task("d0", DATA_INTEGRATION, 2 * CU, 0, 0));
        ledger.admit(0);
        ledger.enqueue(task("dbig", DATA_INTEGRATION, 3 * CU, 0, 0));
        ledger.enqueue(task("dsmall", DATA_INTEGRATION, CU, 0, 1));
        ledger.enqueue(task("s", SCHEDULING, 2 * CU, 0, 1));
        assertThat(ids(ledger.admit(STARVED))).containsExactly("s");
        assertThat(reason(ledger, "dsmall", STARVED)).isEqualTo(WaitReason.HELD_FOR_HEAD);
        ledger.release("d0");
        assertThat(ids(ledger.admit(STARVED))).containsExactly("dbig", "dsmall");
    }

    @Test
    @DisplayName("starvation: a SCHEDULING head waiting for concurrency holds SCHEDULING slots only (SPEC ADM-4)")
    void holdForConcurrency() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(100 * CU).withSchedulingMaxRunning(1), BOUND);
        ledger.enqueue(task("s0", SCHEDULING, CU, 0, 0));
        ledger.admit(0);
        ledger.enqueue(task("s1", SCHEDULING, 50 * CU, 0, 0));
        ledger.enqueue(task("d", DATA_INTEGRATION, 40 * CU, 0, 1));
        assertThat(ids(ledger.admit(STARVED))).containsExactly("d");
        ledger.release("s0");
        ledger.enqueue(task("s2", SCHEDULING, CU, 0, STARVED));
        assertThat(ids(ledger.admit(STARVED))).containsExactly("s1");
    }

    @Test
    @DisplayName("a task that never fits does not hold capacity for others, even when starving")
    void neverFitsHoldsNothing() {
        GroupLimits limits = GroupLimits.of(10 * CU).withQuota(DATA_SERVICE, Quota.minimum(4 * CU));
        GroupLedger ledger = new GroupLedger(limits, BOUND);
        ledger.enqueue(task("tooBig", SCHEDULING, 7 * CU, 0, 0)); // 10 - 4 reserved < 7
        ledger.enqueue(task("s", SCHEDULING, 6 * CU, 0, 1));
        assertThat(reason(ledger, "tooBig", 10 * STARVED)).isEqualTo(WaitReason.RESERVED_FOR_OTHER_TYPES);
        assertThat(ids(ledger.admit(10 * STARVED))).containsExactly("s");
        assertThat(ledger.snapshot(10 * STARVED).queue().getFirst().fitsWhenIdle()).isFalse();
    }

    @Test
    @DisplayName("decide, then apply: a start that could not be persisted is released and can be queued again in its place")
    void failedStartPutBack() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(2 * CU), BOUND);
        QueuedTask a = task("a", SCHEDULING, 2 * CU);
        ledger.enqueue(a);
        ledger.enqueue(task("b", SCHEDULING, 2 * CU));
        assertThat(ids(ledger.admit(0))).containsExactly("a");
        assertThat(ledger.release("a")).isTrue();
        assertThat(ledger.release("a")).isFalse(); // idempotent
        ledger.enqueue(a);
        assertThat(ledger.snapshot(0).queue()).extracting(q -> q.task().id()).containsExactly("a", "b");
        assertThat(ids(ledger.admit(0))).containsExactly("a");
    }

    @Test
    @DisplayName("cancel takes a queued task out, idempotently; unknown and duplicate ids are refused")
    void cancelAndDuplicates() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(CU), BOUND);
        ledger.enqueue(task("a", SCHEDULING, CU));
        ledger.enqueue(task("b", SCHEDULING, CU));
        assertThat(ledger.cancelQueued("b")).isTrue();
        assertThat(ledger.cancelQueued("b")).isFalse();
        assertThat(ledger.queuedCount()).isEqualTo(1);
        assertThatThrownBy(() -> ledger.enqueue(task("a", SCHEDULING, CU))).isInstanceOf(IllegalStateException.class);
        ledger.admit(0);
        assertThatThrownBy(() -> ledger.restoreRunning("a", SCHEDULING, CU)).isInstanceOf(IllegalStateException.class);
        assertThat(ledger.cancelQueued("a")).isFalse();
        assertThat(ledger.isRunning("a")).isTrue();
    }

    @Test
    @DisplayName("restart: running tasks are restored without checks, queued ones wait behind them")
    void restore() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(4 * CU).withSchedulingMaxRunning(1), BOUND);
        ledger.restoreRunning("r1", SCHEDULING, 3 * CU);
        ledger.restoreRunning("r2", SCHEDULING, 3 * CU); // over capacity and concurrency after a scale-in
        ledger.enqueue(task("q", DATA_SERVICE, CU));
        assertThat(ledger.admit(0)).isEmpty();
        assertThat(ledger.usedMilliCu()).isEqualTo(6 * CU);
        ledger.release("r1");
        ledger.release("r2");
        assertThat(ids(ledger.admit(0))).containsExactly("q");
    }

    @Test
    @DisplayName("snapshot: READY shows a task that the next admit starts, and nothing changes by looking")
    void snapshotReady() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(2 * CU), BOUND);
        ledger.enqueue(task("a", SCHEDULING, 2 * CU));
        ledger.enqueue(task("b", SCHEDULING, 2 * CU));
        LedgerInfo info = ledger.snapshot(0);
        assertThat(info.queue()).extracting(QueuedTaskInfo::reason).containsExactly(WaitReason.READY, WaitReason.CAPACITY);
        assertThat(ledger.usedMilliCu()).isZero();
        assertThat(ids(ledger.admit(0))).containsExactly("a");
        assertThat(ledger.snapshot(0).queue()).extracting(QueuedTaskInfo::reason).containsExactly(WaitReason.CAPACITY);
    }

    @Test
    @DisplayName("one queued task's place and reason are the snapshot's, and looking changes nothing")
    void queuedMatchesSnapshot() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(2 * CU), BOUND);
        ledger.enqueue(task("run", SCHEDULING, CU));
        ledger.admit(0);
        ledger.enqueue(task("a", SCHEDULING, CU, 0, 0));
        ledger.enqueue(task("b", DATA_INTEGRATION, 2 * CU, 0, 0));
        ledger.enqueue(task("c", SCHEDULING, CU, 3, 0)); // a higher priority: first in the queue
        ledger.enqueue(task("d", SCHEDULING, CU, 0, -STARVED)); // starving: it holds
        long now = 10;
        for (QueuedTaskInfo expected : ledger.snapshot(now).queue()) {
            assertThat(ledger.queued(expected.task().id(), now)).contains(expected);
        }
        assertThat(ledger.queued("c", now).orElseThrow().position()).isEqualTo(1);
        assertThat(ledger.queued("run", now)).isEmpty();
        assertThat(ledger.queued("unknown", now)).isEmpty();
        assertThat(ledger.usedMilliCu()).isEqualTo(CU);
        assertThat(ids(ledger.admit(now))).containsExactly("c");
    }

    @Test
    @DisplayName("tasks restored out of arrival order still start in arrival order")
    void outOfOrderEnqueue() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(100 * CU), BOUND);
        for (long seq : new long[] {5, 3, 9, 1, 7, 2}) {
            ledger.enqueue(new QueuedTask("t" + seq, SCHEDULING, CU, 0, seq, 0));
        }
        assertThatThrownBy(() -> ledger.enqueue(new QueuedTask("dup", SCHEDULING, CU, 0, 7, 0))).isInstanceOf(IllegalStateException.class);
        assertThat(ids(ledger.admit(0))).containsExactly("t1", "t2", "t3", "t5", "t7", "t9");
    }

    @Test
    @DisplayName("many removals in the middle of a long queue keep order and counts")
    void longQueueChurn() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(0), BOUND);
        for (int i = 0; i < 1_000; i++) {
            ledger.enqueue(task("t" + i, SCHEDULING, CU));
        }
        for (int i = 0; i < 1_000; i += 3) {
            ledger.cancelQueued("t" + i);
        }
        for (int i = 1_000; i < 1_100; i++) {
            ledger.enqueue(task("t" + i, SCHEDULING, CU));
        }
        List<String> queued = ledger.snapshot(0).queue().stream().map(q -> q.task().id()).toList();
        assertThat(queued).hasSize(ledger.queuedCount()).doesNotHaveDuplicates();
        assertThat(queued.getFirst()).isEqualTo("t1");
        assertThat(queued.getLast()).isEqualTo("t1099");
        ledger.setLimits(GroupLimits.of(10_000 * CU).withSchedulingMaxRunning(200));
        assertThat(ids(ledger.admit(0))).isEqualTo(queued.subList(0, 200));
    }

    @Test
    @DisplayName("limits are read back as given; a negative starvation bound is refused")
    void misc() {
        GroupLimits limits = GroupLimits.of(2 * CU);
        GroupLedger ledger = new GroupLedger(limits);
        assertThat(ledger.limits()).isEqualTo(limits);
        assertThat(ledger.starvationBound()).isEqualTo(GroupLedger.DEFAULT_STARVATION_BOUND);
        assertThatThrownBy(() -> new GroupLedger(limits, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(new LedgerInfo(limits, 0, 0, 0, Map.of(), List.of()).byType()).isEmpty();
    }

    @Test
    @DisplayName("a new half-life keeps every share as it is (the decayed CU-seconds scaled) until replaceUsage gives recomputed ones")
    void aNewHalfLifeKeepsTheSharesUntilReplaced() {
        GroupLimits limits = GroupLimits.of(4 * CU).withQueuePolicy(QueuePolicy.FAIR_SHARE);
        GroupLedger ledger = new GroupLedger(limits);
        ledger.enqueue(new QueuedTask("a1", DATA_INTEGRATION, 2 * CU, 0, 1, 0, "ws-a"));
        ledger.admit(0);
        assertThat(ledger.release("a1", 1_800_000)).isTrue(); // 2 CU for half an hour
        double before = ledger.shareCu("ws-a", 1_800_000);
        assertThat(before).isGreaterThan(0);
        ledger.setLimits(limits.withFairShare(limits.fairShare().withShareHalfLife(Duration.ofMinutes(1))));
        assertThat(ledger.shareHalfLife()).isEqualTo(Duration.ofMinutes(1));
        assertThat(ledger.shareCu("ws-a", 1_800_000)).isCloseTo(before, org.assertj.core.data.Offset.offset(1e-9));
        // a minute later it has halved: the new half-life applies from now on
        assertThat(ledger.shareCu("ws-a", 1_860_000)).isCloseTo(before / 2, org.assertj.core.data.Offset.offset(1e-9));
        ledger.replaceUsage(Map.of("ws-b", 60.0), 1_800_000);
        assertThat(ledger.shareCu("ws-a", 1_800_000)).isZero();
        assertThat(ledger.shareCu("ws-b", 1_800_000)).isCloseTo(60 * Math.log(2) / 60, org.assertj.core.data.Offset.offset(1e-9));
        assertThatThrownBy(() -> ledger.replaceUsage(Map.of("ws-b", -1.0), 1_800_000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("FAIR_SHARE's idle guarantee counts from a workspace's last end, also one restored after a restart")
    void theIdleGuaranteeCountsFromTheRestoredLastEnd() {
        GroupLimits limits = GroupLimits.of(2 * CU).withQueuePolicy(QueuePolicy.FAIR_SHARE);
        // ws-big ran much, ws-small little; ws-big's task waits since 0, and its last task ended at 100 s
        GroupLedger restored = new GroupLedger(limits, BOUND);
        GroupLedger unknown = new GroupLedger(limits, BOUND);
        for (GroupLedger l : List.of(restored, unknown)) {
            l.restoreRunning("small-running", DATA_INTEGRATION, 2 * CU, "ws-small");
            l.enqueue(new QueuedTask("big", DATA_INTEGRATION, 1 * CU, 0, 1, 0, "ws-big"));
            l.enqueue(new QueuedTask("small", DATA_INTEGRATION, 1 * CU, 0, 2, 0, "ws-small"));
        }
        restored.restoreUsage("ws-big", 100_000, 130_000, 100_000);
        unknown.restoreUsage("ws-big", 100_000, 130_000);
        // at 130 s ws-big has been idle 30 s (< 60 s) by the restored end, 130 s by its head's arrival alone
        QueuedTaskInfo byEnd = restored.snapshot(130_000).queue().get(0);
        assertThat(byEnd.task().id()).as("ordered by share: ws-small's is smaller").isEqualTo("small");
        assertThat(restored.snapshot(130_000).queue().get(1).fairShare().idleGuarantee()).isFalse();
        QueuedTaskInfo byHead = unknown.snapshot(130_000).queue().get(0);
        assertThat(byHead.task().id()).isEqualTo("big");
        assertThat(byHead.fairShare().idleGuarantee()).isTrue();
        // once the bound has passed since the restored end, ws-big is lifted there too
        QueuedTaskInfo later = restored.snapshot(160_000).queue().get(0);
        assertThat(later.task().id()).isEqualTo("big");
        assertThat(later.fairShare().idleGuarantee()).isTrue();
    }
}
