package dev.srg.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.admission.LedgerSimulation.Fault;
import dev.srg.testing.SeededProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random event sequences against the ledger, checked after every step by {@link LedgerSimulation}
 * (a plain re-implementation of the rules), as seeded JUnit tests ({@link SeededProperty}: re-run
 * one case with {@code -Dsrg.seed=N}). Each property is also run against a deliberately broken
 * ledger and must catch it, so that a property that checks nothing cannot pass unnoticed.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GroupLedgerPropertiesTest {
    private static final UsageType[] TYPES = UsageType.values();
    private static final Duration BOUND = Duration.ofSeconds(10);

    sealed interface Op {}

    record Submit(UsageType type, long milliCu, int priority, String workspaceId) implements Op {
        Submit(UsageType type, long milliCu, int priority) {
            this(type, milliCu, priority, null);
        }
    }

    record Finish(int index) implements Op {}

    record FailStart(int index) implements Op {}

    record Cancel(int index) implements Op {}

    record SetQuota(UsageType type, long min, long max) implements Op {}

    record SetConcurrency(int max) implements Op {}

    record SetCapacity(long milliCu) implements Op {}

    record SetAdmitting(boolean admitting) implements Op {}

    record Tick(long millis) implements Op {}

    /** One event, weighted as a busy group sees them: mostly submissions and finishes. */
    static Op operation(Random r) {
        int pick = r.nextInt(33);
        if (pick < 12) {
            return new Submit(TYPES[r.nextInt(TYPES.length)], taskSize(r), r.nextInt(3));
        } else if (pick < 20) {
            return new Finish(r.nextInt(1_001));
        } else if (pick < 21) {
            return new FailStart(r.nextInt(1_001));
        } else if (pick < 23) {
            return new Cancel(r.nextInt(1_001));
        } else if (pick < 25) {
            long max = r.nextInt(3) == 0 ? Quota.NO_MAXIMUM : r.nextInt(41) * 250L;
            return new SetQuota(TYPES[r.nextInt(TYPES.length)], r.nextInt(17) * 250L, max);
        } else if (pick < 26) {
            return new SetConcurrency(1 + r.nextInt(6));
        } else if (pick < 28) {
            return new SetCapacity(r.nextInt(81) * 250L);
        } else if (pick < 29) {
            return new SetAdmitting(r.nextBoolean());
        }
        return new Tick(r.nextInt(15_001));
    }

    /** Mostly small tasks (up to 2 CU), now and then a big one (up to 20 CU). */
    private static long taskSize(Random r) {
        return (r.nextInt(5) < 4 ? 1 + r.nextInt(8) : 9 + r.nextInt(72)) * 250L;
    }

    // ---- the properties, as cases that can run against a broken ledger ----

    // SPEC ADM-4, ADM-5, ADM-6, RG-4, RG-5
    static SeededProperty<Long, Op> admissionKeepsTheRules(Fault fault) {
        return SeededProperty.of("admission keeps the rules after every event", 400, 120, new SeededProperty.Cases<>() {
            @Override
            public Long parameters(Random r) {
                return r.nextInt(41) * 250L;
            }

            @Override
            public Op event(Random r, Long capacity) {
                return operation(r);
            }

            @Override
            public void check(Long capacity, List<Op> ops) {
                LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacity), BOUND, fault);
                for (Op op : ops) {
                    apply(sim, op);
                    sim.admit();
                }
            }
        });
    }

    // SPEC ADM-5: nothing waits forever while capacity frees: with no new arrivals and running
    // tasks finishing, every task that can fit under the limits eventually starts.
    static SeededProperty<Long, Op> everyTaskThatCanFitEventuallyStarts(Fault fault) {
        return SeededProperty.of("every task that can fit eventually starts", 300, 120, new SeededProperty.Cases<>() {
            @Override
            public Long parameters(Random r) {
                return (4 + r.nextInt(37)) * 250L;
            }

            @Override
            public Op event(Random r, Long capacity) {
                return operation(r);
            }

            @Override
            public void check(Long capacity, List<Op> ops) {
                LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacity), BOUND, fault);
                for (Op op : ops) {
                    apply(sim, op);
                    sim.admit();
                }
                assertDrainsLeavingOnlyWhatNeverFits(sim);
            }
        });
    }

    /**
     * The group admitting again, no new arrivals and the oldest running task finishing each second:
     * it drains in a bounded number of steps, and what is left queued could not fit even in the idle
     * group (its type's maximum, or the capacity less the other types' guarantees).
     */
    static void assertDrainsLeavingOnlyWhatNeverFits(LedgerSimulation sim) {
        GroupLimits last = sim.limits;
        sim.setLimits(true, last.capacityMilliCu(), last.schedulingMaxRunning(), last.quotas());
        int steps = 0;
        do {
            sim.tick(1_000);
            sim.finishOldest();
            sim.admit();
            assertThat(++steps).as("drained in a bounded number of steps").isLessThan(10_000);
        } while (!sim.running.isEmpty());
        sim.admit();
        for (QueuedTask left : sim.queued.values()) {
            Quota quota = last.quota(left.type());
            boolean fitsWhenIdle = left.milliCu() <= quota.maxMilliCu()
                    && left.milliCu() <= last.capacityMilliCu() - (last.minimumsMilliCu() - quota.minMilliCu());
            assertThat(fitsWhenIdle).as("%s is left queued in an idle group although it fits", left).isFalse();
        }
    }

    /** A busy group and a big task at its head; the events are the stream of small tasks that follows. */
    record StarvingHead(GroupLimits limits, UsageType headType, long headMilliCu, List<Submit> preload) {}

    // SPEC ADM-5 with holds: a big task at the head of a busy group, under a steady stream of small
    // tasks that would backfill past it forever, starts within a bounded time once it starves.
    static SeededProperty<StarvingHead, Submit> aStarvingHeadStarts(Fault fault) {
        return aStarvingHeadStarts(fault, QueuePolicy.ARRIVAL);
    }

    /**
     * The same under either policy. Under FAIR_SHARE the bound protects a starving task against
     * the later tasks of its own workspace and of workspaces with a larger share (a workspace with
     * a smaller share goes first: that is the policy, see docs/rules.md#queue-policy): the head is
     * of ws-0, the stream of ws-0 and of ws-heavy in turn, ws-heavy with a large past use.
     */
    static SeededProperty<StarvingHead, Submit> aStarvingHeadStarts(Fault fault, QueuePolicy policy) {
        return SeededProperty.of("a starving head starts despite a stream of small tasks (" + policy + ")", 300, 40,
                new SeededProperty.Cases<>() {
            @Override
            public StarvingHead parameters(Random r) {
                while (true) {
                    long capacity = (4 + r.nextInt(17)) * 1_000L;
                    Map<UsageType, Quota> quotas = quotaSet(r);
                    int concurrency = 1 + r.nextInt(6);
                    UsageType headType = TYPES[r.nextInt(TYPES.length)];
                    long head = (1 + r.nextInt(80)) * 250L;
                    List<Submit> preload = new ArrayList<>();
                    for (int i = 1 + r.nextInt(8); i > 0; i--) {
                        preload.add(smallTask(r));
                    }
                    if (!GroupLimits.validate(capacity, concurrency, quotas).isEmpty()) {
                        continue;
                    }
                    GroupLimits limits = new GroupLimits(true, capacity, concurrency, quotas);
                    Quota headQuota = limits.quota(headType);
                    // one that can never fit is covered by the example tests
                    if (head <= headQuota.maxMilliCu() && head <= capacity - (limits.minimumsMilliCu() - headQuota.minMilliCu())) {
                        return new StarvingHead(limits, headType, head, preload);
                    }
                }
            }

            @Override
            public Submit event(Random r, StarvingHead p) {
                return smallTask(r);
            }

            @Override
            public void check(StarvingHead p, List<Submit> stream) {
                if (stream.isEmpty()) {
                    return;
                }
                long capacity = p.limits().capacityMilliCu();
                LedgerSimulation sim = new LedgerSimulation(p.limits().withQueuePolicy(policy), BOUND, fault);
                boolean fair = policy == QueuePolicy.FAIR_SHARE;
                if (fair) {
                    sim.restoreUsage("ws-heavy", 1_000_000);
                }
                // a busy group: filled up to its capacity by tasks that were running before a restart
                int restored = 0;
                while (sim.ledger.usedMilliCu() + p.preload().get(restored % p.preload().size()).milliCu() <= capacity) {
                    Submit s = p.preload().get(restored++ % p.preload().size());
                    sim.restoreRunning(s.type(), s.milliCu());
                }
                QueuedTask big = sim.submit(p.headType(), p.headMilliCu(), 0, fair ? "ws-0" : null);
                sim.admit();
                // 1 s per step: the head starves after BOUND; at most capacity/250 tasks run at once, and
                // each must finish at most twice over (once for a maximum or concurrency hold, once for
                // the capacity hold), one per step.
                long limit = BOUND.toSeconds() + 2 * (capacity / 250) + 4;
                int step = 0;
                while (!sim.running.containsKey(big.id())) {
                    assertThat(step++).as("the starving head %s has not started", big).isLessThan((int) limit);
                    sim.tick(1_000);
                    for (int i = 0; i < 2; i++) {
                        Submit s = stream.get(Math.floorMod(step * 2 + i, stream.size()));
                        sim.submit(s.type(), s.milliCu(), 0, fair ? (i == 0 ? "ws-0" : "ws-heavy") : null);
                    }
                    sim.admit();
                    sim.finishOldest();
                    sim.admit();
                }
            }
        });
    }

    private static Submit smallTask(Random r) {
        return new Submit(TYPES[r.nextInt(TYPES.length)], (1 + r.nextInt(8)) * 250L, 0);
    }

    private static Map<UsageType, Quota> quotaSet(Random r) {
        Map<UsageType, Quota> quotas = new EnumMap<>(UsageType.class);
        for (int i = r.nextInt(5); i > 0; i--) {
            long min = r.nextInt(13);
            long max = min + r.nextInt(81 - (int) min);
            quotas.put(TYPES[r.nextInt(TYPES.length)], Quota.of(min * 250, max >= 60 ? Quota.NO_MAXIMUM : max * 250));
        }
        return quotas;
    }

    // ---- the tests ----

    @Test
    @DisplayName("SPEC ADM-4, ADM-5, ADM-6, RG-4, RG-5: admission keeps the rules after every event")
    void admissionKeepsTheRulesAfterEveryEvent() {
        admissionKeepsTheRules(Fault.NONE).check();
    }

    @Test
    @DisplayName("SPEC ADM-5: every task that can fit eventually starts")
    void everyTaskThatCanFitEventuallyStarts() {
        everyTaskThatCanFitEventuallyStarts(Fault.NONE).check();
    }

    @Test
    @DisplayName("SPEC ADM-5: a starving head starts despite a stream of small tasks")
    void aStarvingHeadStartsDespiteAStreamOfSmallTasks() {
        aStarvingHeadStarts(Fault.NONE).check();
    }

    @Test
    @DisplayName("SPEC ADM-5 under FAIR_SHARE: a starving head starts despite a stream of small tasks of its own workspace"
            + " and of one with a larger share")
    void aStarvingHeadStartsUnderFairShare() {
        aStarvingHeadStarts(Fault.NONE, QueuePolicy.FAIR_SHARE).check();
        assertThat(aStarvingHeadStarts(Fault.NO_STARVATION_BOUND, QueuePolicy.FAIR_SHARE).findFailure())
                .as("the property catches a FAIR_SHARE ledger without a starvation bound").isPresent();
    }

    @Test
    @DisplayName("SPEC ADM-2, ADM-6: the largest task a submission takes (GroupLimits.largestTaskMilliCu) is what fits an idle "
            + "group, as the reference model and the ledger's fitsWhenIdle say, under seeded random limits")
    void theSubmitCheckIsTheLedgersFitsWhenIdle() {
        Random r = new Random(20_261_202L);
        int checked = 0;
        for (int i = 0; i < 5_000; i++) {
            long capacity = (4 + r.nextInt(37)) * 250L;
            Map<UsageType, Quota> quotas = quotaSet(r);
            long minimums = quotas.values().stream().mapToLong(Quota::minMilliCu).sum();
            if (minimums > capacity) {
                continue; // not a group's limits (ADM-2): cannot be built
            }
            GroupLimits limits = new GroupLimits(true, capacity, GroupLimits.DEFAULT_SCHEDULING_MAX_RUNNING, quotas);
            UsageType type = TYPES[r.nextInt(TYPES.length)];
            long c = (1 + r.nextInt((int) (capacity / 250) + 4)) * 250L;
            Quota quota = limits.quota(type);
            // the reference model: within its maximum, and within the capacity less the other types' minimums
            boolean reference = c <= quota.maxMilliCu() && c <= capacity - (minimums - quota.minMilliCu());
            assertThat(c <= limits.largestTaskMilliCu(type)).as("case %d: %s asking %d under %s", i, type, c, limits)
                    .isEqualTo(reference);
            GroupLedger ledger = new GroupLedger(limits);
            ledger.enqueue(new QueuedTask("t", type, c, 5, 1, 0));
            boolean ledgerFits = ledger.queued("t", 0).orElseThrow().fitsWhenIdle();
            assertThat(ledgerFits).as("case %d: the ledger on %s asking %d under %s", i, type, c, limits).isEqualTo(reference);
            checked++;
        }
        assertThat(checked).as("cases with valid limits").isGreaterThan(1_000);
    }

    @Test
    @DisplayName("the properties catch a broken ledger: each fails against one, with a seed and a shrunk sequence")
    void eachPropertyCatchesABrokenLedger() {
        // SPEC RG-4: a ledger that starts tasks in a group that does not admit
        var rules = admissionKeepsTheRules(Fault.ADMITS_WHILE_NOT_ADMITTING).findFailure();
        assertThat(rules).as("the rules property catches a ledger that admits while not admitting").isPresent();
        assertThat(rules.get().events().size()).as("shrunk").isLessThanOrEqualTo(rules.get().originalLength());
        // SPEC ADM-5: a ledger that never gets a finished task's CUs back
        assertThat(everyTaskThatCanFitEventuallyStarts(Fault.KEEPS_FINISHED_CU).findFailure())
                .as("the liveness property catches a ledger that keeps finished tasks' CUs").isPresent();
        // SPEC ADM-5: a ledger without a (working) starvation bound
        assertThat(aStarvingHeadStarts(Fault.NO_STARVATION_BOUND).findFailure())
                .as("the starving-head property catches a ledger without a starvation bound").isPresent();
    }

    static void apply(LedgerSimulation sim, Op op) {
        GroupLimits l = sim.limits;
        switch (op) {
            case Submit s -> sim.submit(s.type(), s.milliCu(), s.priority(), s.workspaceId());
            case Finish f -> sim.finishRunning(f.index());
            case FailStart f -> sim.failStart(f.index());
            case Cancel c -> sim.cancel(c.index());
            case SetQuota q -> {
                if (q.min() <= q.max()) {
                    Map<UsageType, Quota> quotas = new EnumMap<>(UsageType.class);
                    quotas.putAll(l.quotas());
                    quotas.put(q.type(), Quota.of(q.min(), q.max()));
                    sim.setLimits(l.admitting(), l.capacityMilliCu(), l.schedulingMaxRunning(), quotas);
                }
            }
            case SetConcurrency c -> sim.setLimits(l.admitting(), l.capacityMilliCu(), c.max(), l.quotas());
            case SetCapacity c -> sim.setLimits(l.admitting(), c.milliCu(), l.schedulingMaxRunning(), l.quotas());
            case SetAdmitting a -> sim.setLimits(a.admitting(), l.capacityMilliCu(), l.schedulingMaxRunning(), l.quotas());
            case Tick t -> sim.tick(t.millis());
        }
    }
}
