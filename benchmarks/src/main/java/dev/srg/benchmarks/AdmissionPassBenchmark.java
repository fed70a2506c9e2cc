package dev.srg.benchmarks;

import dev.srg.admission.FairShareSettings;
import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuePolicy;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A full re-admission pass over a queue of 10,000 tasks of mixed types, sizes and priorities, in
 * a busy 200 CU group with quotas.
 *
 * {@link #releaseEightThenAdmit}: the steady state of a busy group: the 8 oldest running tasks
 * finish, admission runs over the queue and starts what now fits, and 8 new tasks arrive so the
 * queue stays at 10,000. With {@code starving=true} every queued task is past the starvation
 * bound, so holds are in force. See {@link AdmissionScanBenchmark} for the longest pass.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AdmissionPassBenchmark {
    private static final int QUEUE = 10_000;
    private static final UsageType[] MIX = {
        UsageType.SCHEDULING, UsageType.SCHEDULING, UsageType.SCHEDULING, UsageType.SCHEDULING,
        UsageType.DATA_INTEGRATION, UsageType.DATA_INTEGRATION, UsageType.DATA_SERVICE,
        UsageType.DATA_ANALYSIS, UsageType.CONNECTIVITY_TEST, UsageType.METADATA_COLLECTION,
        UsageType.DEV_ENVIRONMENT, UsageType.MODEL_SERVICE,
    };

    @Param({"false", "true"})
    public boolean starving;

    /**
     * The group's queue policy; under FAIR_SHARE a pass merges the 8 workspaces' queues by share;
     * FAIR_SHARE_WEIGHTED is FAIR_SHARE with weights (ws-1..ws-3 weigh 2, ws-4 weighs 0, the others 1).
     */
    @Param({"ARRIVAL", "FAIR_SHARE", "FAIR_SHARE_WEIGHTED"})
    public String policy;

    private GroupLedger ledger;
    private final ArrayDeque<String> runningOldestFirst = new ArrayDeque<>();
    private final SplittableRandom random = new SplittableRandom(42);
    private long sequence;
    private long now;

    @Setup
    public void setUp() {
        GroupLimits limits = new GroupLimits(true, 200_000, 100, Map.of(
                UsageType.DATA_SERVICE, Quota.minimum(20_000),
                UsageType.DATA_INTEGRATION, Quota.of(10_000, 80_000),
                UsageType.MODEL_SERVICE, Quota.maximum(16_000)));
        if (policy.equals("FAIR_SHARE_WEIGHTED")) {
            limits = limits.withQueuePolicy(QueuePolicy.FAIR_SHARE).withFairShare(FairShareSettings.DEFAULT.withWeights(
                    Map.of("ws-1", 2, "ws-2", 2, "ws-3", 2, "ws-4", 0)));
        } else {
            limits = limits.withQueuePolicy(QueuePolicy.valueOf(policy));
        }
        ledger = new GroupLedger(limits);
        now = starving ? 3_600_000 : 0; // every task is enqueued at 0
        for (int i = 0; i < QUEUE; i++) {
            ledger.enqueue(randomTask());
        }
        ledger.admit(now).forEach(t -> runningOldestFirst.add(t.id()));
        while (ledger.queuedCount() < QUEUE) {
            ledger.enqueue(randomTask());
        }
    }

    private QueuedTask randomTask() {
        long seq = ++sequence;
        // mostly small tasks, some big ones (up to 16 CU)
        long milliCu = 250L * (random.nextInt(8) == 0 ? 1 + random.nextInt(64) : 1 + random.nextInt(8));
        // 8 workspaces, ws-0 with half the tasks (a flood); from the sequence, so the draws stay those of before
        int h = Long.hashCode(seq * 0x9E3779B97F4A7C15L) >>> 1;
        String workspace = "ws-" + ((h & 8) == 0 ? 0 : h & 7);
        return new QueuedTask("t" + seq, MIX[random.nextInt(MIX.length)], milliCu, random.nextInt(4), seq, 0, workspace);
    }

    @Benchmark
    public int releaseEightThenAdmit() {
        for (int i = 0; i < 8 && !runningOldestFirst.isEmpty(); i++) {
            ledger.release(runningOldestFirst.poll());
        }
        List<QueuedTask> started = ledger.admit(now);
        for (QueuedTask task : started) {
            runningOldestFirst.add(task.id());
        }
        while (ledger.queuedCount() < QUEUE) {
            ledger.enqueue(randomTask());
        }
        return started.size();
    }
}
