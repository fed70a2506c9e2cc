package dev.srg.benchmarks;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One admission decision in a group with a few running tasks and quotas set.
 * {@link #enqueueAdmitRelease}: a task arrives, fits and starts, and is released again (so the
 * state is the same before every call). {@link #admitNothingFits}: a full group with one queued
 * task that does not fit — the decision alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AdmissionDecisionBenchmark {
    private static final int TASKS = 1 << 12;

    private GroupLedger ledger;
    private GroupLedger fullLedger;
    private QueuedTask[] tasks;
    private int next;

    @Setup
    public void setUp() {
        GroupLimits limits = GroupLimits.of(32_000)
                .withQuota(UsageType.DATA_SERVICE, Quota.minimum(4_000))
                .withQuota(UsageType.DATA_INTEGRATION, Quota.of(2_000, 16_000));
        ledger = new GroupLedger(limits);
        ledger.restoreRunning("r1", UsageType.SCHEDULING, 4_000);
        ledger.restoreRunning("r2", UsageType.SCHEDULING, 2_000);
        ledger.restoreRunning("r3", UsageType.DATA_INTEGRATION, 8_000);
        ledger.restoreRunning("r4", UsageType.DATA_SERVICE, 1_000);
        // Tasks made up front, so the loop measures the ledger, not the allocation of records.
        // Sequences restart after TASKS calls; the ledger accepts that (out-of-order arrival).
        tasks = new QueuedTask[TASKS];
        for (int i = 0; i < TASKS; i++) {
            tasks[i] = new QueuedTask("task-" + i, UsageType.SCHEDULING, 2_000, 0, i, 0);
        }

        fullLedger = new GroupLedger(limits);
        fullLedger.restoreRunning("r1", UsageType.SCHEDULING, 27_000);
        fullLedger.restoreRunning("r2", UsageType.DATA_SERVICE, 1_000);
        fullLedger.enqueue(new QueuedTask("waiting", UsageType.SCHEDULING, 2_000, 0, 1, 0));
    }

    @Benchmark
    public boolean enqueueAdmitRelease() {
        QueuedTask task = tasks[next++ & (TASKS - 1)];
        ledger.enqueue(task);
        List<QueuedTask> started = ledger.admit(1_000);
        return ledger.release(started.getFirst().id());
    }

    @Benchmark
    public List<QueuedTask> admitNothingFits() {
        return fullLedger.admit(1_000);
    }
}
