package dev.srg.benchmarks;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.UsageType;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The two ends of one pass over 10,000 queued tasks in a full 200 CU group with 0.25 CU free.
 * <ul>
 *   <li>{@link #scanToTheLastTask}: the longest pass: 9,999 tasks of 0.5 to 16 CU and, last in
 *       the queue, one of 0.25 CU. The pass must look at every task to find the one that fits;
 *       it starts it, and the benchmark releases it and puts it back in its place.
 *   <li>{@link #nothingCanFit}: the same queue without the small task: no type has a queued
 *       task as small as its room, so the pass ends before looking at any task.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AdmissionScanBenchmark {
    private static final int QUEUE = 10_000;

    private GroupLedger lastFits;
    private GroupLedger noneFits;
    private QueuedTask small;

    @Setup
    public void setUp() {
        lastFits = busyGroup();
        noneFits = busyGroup();
        SplittableRandom random = new SplittableRandom(42);
        UsageType[] types = UsageType.values();
        for (int seq = 1; seq < QUEUE; seq++) {
            QueuedTask task = new QueuedTask("t" + seq, types[random.nextInt(types.length)], 250L * (2 + random.nextInt(63)),
                    1 + random.nextInt(4), seq, 0);
            lastFits.enqueue(task);
            noneFits.enqueue(task);
        }
        small = new QueuedTask("small", UsageType.DATA_ANALYSIS, 250, 0, QUEUE, 0);
        lastFits.enqueue(small);
        if (!scanToTheLastTask() || !nothingCanFit().isEmpty()) {
            throw new IllegalStateException("the set-up does not do what the benchmarks say");
        }
    }

    private static GroupLedger busyGroup() {
        GroupLedger ledger = new GroupLedger(GroupLimits.of(200_000).withSchedulingMaxRunning(200));
        ledger.restoreRunning("running", UsageType.SCHEDULING, 200_000 - 250);
        return ledger;
    }

    @Benchmark
    public boolean scanToTheLastTask() {
        List<QueuedTask> started = lastFits.admit(0);
        boolean released = lastFits.release(started.getFirst().id());
        lastFits.enqueue(small);
        return released;
    }

    @Benchmark
    public List<QueuedTask> nothingCanFit() {
        return noneFits.admit(0);
    }
}
