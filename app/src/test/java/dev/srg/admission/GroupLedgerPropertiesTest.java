package dev.srg.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.From;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Random event sequences against the ledger, checked after every step by {@link LedgerSimulation}.
 * Bounded by the tries of each property (no JUnit timeout applies to jqwik).
 */
class GroupLedgerPropertiesTest {
    private static final UsageType[] TYPES = UsageType.values();
    private static final Duration BOUND = Duration.ofSeconds(10);

    sealed interface Op {}

    record Submit(UsageType type, long milliCu, int priority) implements Op {}

    record Finish(int index) implements Op {}

    record FailStart(int index) implements Op {}

    record Cancel(int index) implements Op {}

    record SetQuota(UsageType type, long min, long max) implements Op {}

    record SetConcurrency(int max) implements Op {}

    record SetCapacity(long milliCu) implements Op {}

    record SetAdmitting(boolean admitting) implements Op {}

    record Tick(long millis) implements Op {}

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<UsageType> types = Arbitraries.of(TYPES);
        Arbitrary<Long> taskSizes = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.longs().between(1, 8)),
                Tuple.of(1, Arbitraries.longs().between(9, 80))).map(steps -> steps * 250);
        Arbitrary<Integer> indexes = Arbitraries.integers().between(0, 1_000);
        Arbitrary<Op> submit = Combinators.combine(types, taskSizes, Arbitraries.integers().between(0, 2)).as(Submit::new);
        Arbitrary<Op> quota = Combinators.combine(types,
                Arbitraries.longs().between(0, 16).map(steps -> steps * 250),
                Arbitraries.frequencyOf(
                        Tuple.of(1, Arbitraries.just(Quota.NO_MAXIMUM)),
                        Tuple.of(2, Arbitraries.longs().between(0, 40).map(steps -> steps * 250))))
                .as(SetQuota::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(12, submit),
                Tuple.of(8, indexes.map(Finish::new)),
                Tuple.of(1, indexes.map(FailStart::new)),
                Tuple.of(2, indexes.map(Cancel::new)),
                Tuple.of(2, quota),
                Tuple.of(1, Arbitraries.integers().between(1, 6).map(SetConcurrency::new)),
                Tuple.of(2, Arbitraries.longs().between(0, 80).map(steps -> steps * 250).map(SetCapacity::new)),
                Tuple.of(1, Arbitraries.of(true, false).map(SetAdmitting::new)),
                Tuple.of(4, Arbitraries.longs().between(0, 15_000).map(Tick::new)));
        return op.list().ofMinSize(1).ofMaxSize(120);
    }

    // SPEC ADM-4, ADM-5, ADM-6, RG-4, RG-5
    @Property(tries = 400)
    void admissionKeepsTheRulesAfterEveryEvent(@ForAll("operations") List<Op> ops,
            @ForAll @LongRange(min = 0, max = 40) long capacitySteps) {
        LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacitySteps * 250), BOUND);
        for (Op op : ops) {
            apply(sim, op);
            sim.admit();
        }
    }

    // SPEC ADM-5: nothing waits forever while capacity frees: with no new arrivals and running
    // tasks finishing, every task that can fit under the limits eventually starts.
    @Property(tries = 300)
    void everyTaskThatCanFitEventuallyStarts(@ForAll("operations") List<Op> ops,
            @ForAll @LongRange(min = 4, max = 40) long capacitySteps) {
        LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacitySteps * 250), BOUND);
        for (Op op : ops) {
            apply(sim, op);
            sim.admit();
        }
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
        long othersMinimums = last.minimumsMilliCu();
        for (QueuedTask left : sim.queued.values()) {
            Quota quota = last.quota(left.type());
            boolean fitsWhenIdle = left.milliCu() <= quota.maxMilliCu()
                    && left.milliCu() <= last.capacityMilliCu() - (othersMinimums - quota.minMilliCu());
            assertThat(fitsWhenIdle).as("%s is left queued in an idle group although it fits", left).isFalse();
        }
    }

    // SPEC ADM-5 with holds: a big task at the head of a busy group, under a steady stream of small
    // tasks that would backfill past it forever, starts within a bounded time once it starves.
    @Property(tries = 300)
    void aStarvingHeadStartsDespiteAStreamOfSmallTasks(
            @ForAll @LongRange(min = 4, max = 20) long capacityCu,
            @ForAll("quotaSets") Map<UsageType, Quota> quotas,
            @ForAll @IntRange(min = 1, max = 6) int concurrency,
            @ForAll("types") UsageType headType,
            @ForAll @LongRange(min = 1, max = 80) long headSteps,
            @ForAll @Size(min = 1, max = 8) List<@From("smallTasks") Submit> preload,
            @ForAll @Size(min = 1, max = 40) List<@From("smallTasks") Submit> stream) {
        long capacity = capacityCu * 1_000;
        Assume.that(GroupLimits.validate(capacity, concurrency, quotas).isEmpty());
        GroupLimits limits = new GroupLimits(true, capacity, concurrency, quotas);
        long head = headSteps * 250;
        Quota headQuota = limits.quota(headType);
        // one that can never fit is covered by the example tests
        Assume.that(head <= headQuota.maxMilliCu() && head <= capacity - (limits.minimumsMilliCu() - headQuota.minMilliCu()));
        LedgerSimulation sim = new LedgerSimulation(limits, BOUND);
        // a busy group: filled up to its capacity by tasks that were running before a restart
        int restored = 0;
        while (sim.ledger.usedMilliCu() + preload.get(restored % preload.size()).milliCu() <= capacity) {
            Submit p = preload.get(restored++ % preload.size());
            sim.restoreRunning(p.type(), p.milliCu());
        }
        QueuedTask big = sim.submit(headType, head, 0);
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
                sim.submit(s.type(), s.milliCu(), 0);
            }
            sim.admit();
            sim.finishOldest();
            sim.admit();
        }
        Statistics.label("head started").collect(step == 0 ? "at once" : sim.now >= BOUND.toMillis() ? "after starving" : "before starving");
    }

    @Provide
    Arbitrary<UsageType> types() {
        return Arbitraries.of(TYPES);
    }

    @Provide
    Arbitrary<Submit> smallTasks() {
        return Combinators.combine(Arbitraries.of(TYPES), Arbitraries.longs().between(1, 8).map(s -> s * 250), Arbitraries.just(0))
                .as(Submit::new);
    }

    @Provide
    Arbitrary<Map<UsageType, Quota>> quotaSets() {
        Arbitrary<Quota> quota = Combinators.combine(Arbitraries.longs().between(0, 12), Arbitraries.longs().between(0, 80))
                .filter((min, max) -> min <= max)
                .as((min, max) -> Quota.of(min * 250, max >= 60 ? Quota.NO_MAXIMUM : max * 250));
        return Arbitraries.maps(Arbitraries.of(TYPES), quota).ofMaxSize(4).map(m -> {
            Map<UsageType, Quota> copy = new EnumMap<>(UsageType.class);
            copy.putAll(m);
            return copy;
        });
    }

    private static void apply(LedgerSimulation sim, Op op) {
        GroupLimits l = sim.limits;
        switch (op) {
            case Submit s -> sim.submit(s.type(), s.milliCu(), s.priority());
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
