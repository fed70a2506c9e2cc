package dev.srg.admission;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The in-memory ledger of one resource group: what runs, what waits, and which waiting tasks
 * start now (SPEC ADM-4..ADM-6, RG-4, RG-5). Pure: no I/O, no clock (times are passed in), no
 * threads. <b>Not thread-safe</b>: the caller serializes all calls for a group. The store is the
 * truth; the ledger is rebuilt from it at start-up with {@link #restoreRunning} and
 * {@link #enqueue}.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * GroupLedger ledger = new GroupLedger(limits);           // starvation bound 60 s by default
 * ledger.enqueue(task);                                   // on submit
 * for (QueuedTask t : ledger.admit(clock.millis())) {     // decide, then apply:
 *     if (!store.casQueuedToStarting(t.id())) {           //   persist each start with a CAS
 *         ledger.release(t.id());                         //   lost the race (cancelled meanwhile)
 *     }                                                   //   (for a transient error: release,
 * }                                                       //    then enqueue(t) again; it keeps its place)
 * ledger.release(id);                                     // on finish; then admit again
 * }</pre>
 * Call {@link #admit} after every event that can let a task start: enqueue, release, cancel,
 * {@link #setLimits} — and now and then on a timer, since passing the starvation bound changes
 * what is held (it never lets more start, it can only hold more).
 *
 * <h2>The admission rule</h2>
 * A task of type {@code u} asking {@code c} mCU fits when all hold (DESIGN "Admission"):
 * <ol>
 *   <li>the group admits ({@link GroupLimits#admitting()}, RG-4);
 *   <li>if {@code u} is SCHEDULING: running SCHEDULING tasks {@code <} the threshold (ADM-4);
 *   <li>{@code used[u] + c <= max[u]} (ADM-2);
 *   <li>{@code usedTotal + c + Σ_{v≠u} max(0, min[v] - used[v]) <= capacity}: never above the
 *       capacity, never into another type's unused minimum (ADM-6). When the capacity drops below
 *       what is used (scale-in, RG-5) nothing is stopped; nothing starts until usage fits again.
 * </ol>
 * Limits only guard starts: {@link #restoreRunning} and lowered limits may leave the group over
 * them, and then the rule simply lets nothing of the affected kind start.
 *
 * <p>A task a spent budget holds ({@link GroupLimits#budgetHold()}, SPEC BEY-3) is skipped by
 * every pass as if it were not queued: it starts nothing and holds nothing for itself, and keeps
 * its place for when the hold ends.
 *
 * <h2>Order, backfill, starvation</h2>
 * The queue is ordered by priority (higher first), then sequence (arrival). {@link #admit} walks
 * it once in that order and starts every task that fits and is not held, so a later task that fits
 * may start past an earlier one that does not (backfill), and an earlier task that fits always
 * starts before a later one of the same priority (FIFO whenever it fits).
 *
 * <p>Under {@link QueuePolicy#FAIR_SHARE} (an opt-in beyond DESIGN.md) the order within one
 * priority is not arrival: a pass merges the priority's per-workspace queues (each in sequence
 * order), always taking next, in three tiers (docs/rules.md#queue-policy): a workspace the idle
 * guarantee lifts (a positive weight, running nothing, the starvation bound passed since its last
 * end and its head's arrival; the longest idle first), then the smallest {@link #shareCu share}
 * divided by its weight ({@link FairShareSettings}), then weight 0 by share (ties: the earlier
 * head). A start adds its CU to its workspace's share at once, so the order can change
 * after a pass; passes repeat until one starts nothing, so that {@link #snapshot} shows the order
 * the last pass took. Everything below holds along that order: "after it" means later in it.
 * Shares are kept under either policy: per workspace, the CU running now and the decayed
 * CU-seconds, integrated exactly at each start and release (times from {@link #admit} and
 * {@link #release(String, long)}).
 *
 * <p>A waiting task <em>starves</em> once it has waited at least the starvation bound. A starving
 * task that does not fit holds what it waits for against every task after it in the queue
 * (a task before it, i.e. of higher priority or same priority and earlier, is unaffected):
 * <ul>
 *   <li>waiting for capacity (CAPACITY or RESERVED_FOR_OTHER_TYPES): no later task may start
 *       that would lower its headroom {@code capacity - usedTotal - Σ_{v≠u} max(0, min[v] - used[v])}.
 *       A task of another type that stays within its own type's unused minimum does not lower it,
 *       so guaranteed minimums keep working for other types; everything else waits;
 *   <li>waiting for its type's maximum: no later task of its type;
 *   <li>waiting for SCHEDULING concurrency: no later SCHEDULING task.
 * </ul>
 * A starving task that fits but is held by an earlier one in turn holds its own type's
 * headroom, so its own type cannot overtake it through the minimum guarantee either. With holds
 * in place, what the head waits for can only grow as running tasks finish, so within a priority
 * no task waits forever while capacity frees (the property tests drive this).
 *
 * <p>A task that can never fit under the current limits, even in an idle group (bigger than its
 * type's maximum, or than the capacity less the other types' minimums), stays queued — it is never
 * dropped (ADM-5), and starts if the limits grow — but holds nothing, so it never blocks others.
 * The API refuses such submissions up front ({@link GroupLimits#largestTaskMilliCu}, the same bound);
 * one queued before the limits changed stays, and {@link QueuedTaskInfo#fitsWhenIdle()} shows it.
 *
 * <h2>Cost</h2>
 * A decision is O(1) and allocation-free apart from the returned list and the running entry
 * (tens of nanoseconds, see docs/benchmarks.md). A pass walks the queue in order over primitive
 * arrays (type, size, arrival per slot, see {@code PriorityLevel}): per usage type it keeps the
 * room left, so a task that is not starving costs two comparisons, and it stops as soon as no
 * type can start anything more — room below the smallest task that type has queued,
 * concurrency, or holds. A pass over 10,000 queued tasks is some microseconds; it is never
 * O(n^2).
 */
public final class GroupLedger {
    /** CU amounts come in steps of 0.25 CU. */
    public static final long GRANULARITY_MILLI_CU = 250;
    public static final Duration DEFAULT_STARVATION_BOUND = Duration.ofSeconds(60);
    /** How fast past use stops counting against a workspace's share ({@link QueuePolicy#FAIR_SHARE}). */
    public static final Duration DEFAULT_SHARE_HALF_LIFE = FairShareSettings.DEFAULT_HALF_LIFE;
    /** FAIR_SHARE's merge keys: the idle guarantee's tier first, then weighted shares, then weight 0. */
    private static final long IDLE_TIER = Long.MIN_VALUE / 2;
    private static final long ZERO_WEIGHT_TIER = Long.MAX_VALUE / 2;
    /** No time known yet for a workspace's usage. */
    private static final long NEVER = Long.MIN_VALUE;

    private static final UsageType[] TYPES = UsageType.values();
    private static final int TYPE_COUNT = TYPES.length;
    private static final int SCHEDULING = UsageType.SCHEDULING.ordinal();
    private static final WaitReason[] REASONS = WaitReason.values();
    /** {@link #evaluate} verdicts are WaitReason ordinals. */
    private static final int READY = WaitReason.READY.ordinal();
    /**
     * Empty priority levels are kept (no allocation when a priority comes back) until this many
     * levels exist; then the empty ones are dropped.
     */
    private static final int KEPT_LEVELS = 16;
    private static final int SIZE_STEPS = (int) (64_000 / GRANULARITY_MILLI_CU);

    private final long starvationBoundMillis;
    private Duration shareHalfLife;
    /** ln 2 / half-life, per millisecond and per second. */
    private double decayPerMilli;
    private double decayPerSecond;
    /** The latest time the ledger was told (admit, release, snapshot); a release without a time uses it. */
    private long lastMillis = NEVER;

    private GroupLimits limits;
    /** Whether a spent budget holds some queued tasks (SPEC BEY-3); they are skipped as if not queued. */
    private boolean budgetHolding;
    private long capacity;
    private int schedulingMaxRunning;
    private long minimums;
    private final long[] min = new long[TYPE_COUNT];
    private final long[] max = new long[TYPE_COUNT];

    private final long[] used = new long[TYPE_COUNT];
    private final int[] running = new int[TYPE_COUNT];
    private long usedTotal;
    /** Σ_v max(0, min[v] - used[v]), kept up to date with every start and release. */
    private long unusedMinimums;
    private final Map<String, RunningTask> runningById = new HashMap<>();
    /** Per workspace (null for tasks of none): its decayed use of the group and what it runs now. */
    private final Map<String, Usage> usage = new HashMap<>();

    private final NavigableMap<Integer, PriorityLevel> levels = new TreeMap<>(Comparator.reverseOrder());
    /**
     * Under {@link QueuePolicy#FAIR_SHARE} only (null under ARRIVAL): the same queued tasks per
     * priority and workspace, each in sequence order; a pass merges a priority's workspaces by share.
     */
    private NavigableMap<Integer, Map<String, PriorityLevel>> fairLevels;
    // The merge of one priority's workspaces during a FAIR_SHARE pass or walk, reused.
    private PriorityLevel[] mergeLevels = new PriorityLevel[8];
    private int[] mergeCursor = new int[8];
    /** Each merged workspace's share in micro-CU (rounded, so that equal shares tie exactly). */
    private long[] mergeShare = new long[8];
    private String[] mergeWorkspace = new String[8];
    private int[] mergeWeight = new int[8];
    /** Whether the merged workspace is in the idle guarantee's tier, and since when it waits idle. */
    private boolean[] mergeIdle = new boolean[8];
    private long[] mergeIdleSince = new long[8];
    /** Each merged workspace's {@link #mergeKey}, kept up to date with its share and tier. */
    private long[] mergeKeys = new long[8];
    private final Map<String, QueuedTask> queuedById = new HashMap<>();
    private final int[] queuedCount = new int[TYPE_COUNT];
    private final long[] queuedMilliCu = new long[TYPE_COUNT];
    /**
     * Queued tasks per type and size step ({@code milliCu / 250}, sizes of 64 CU and more in
     * the last step), to know the smallest size each type still waits with: a type whose room
     * is below it cannot start anything.
     */
    private final int[][] queuedBySize = new int[TYPE_COUNT][SIZE_STEPS + 1];
    /** Per type the smallest non-empty size step, {@code SIZE_STEPS + 1} when none is queued. */
    private final int[] smallestStep = new int[TYPE_COUNT];
    /** Per type, during a pass: the largest task that could start now; -1 for none. */
    private final long[] room = new long[TYPE_COUNT];
    /** Per type, during a pass: capacity less what is used and the other types' unused minimums. */
    private final long[] headroom = new long[TYPE_COUNT];

    // Holds placed by starving tasks during one pass, as bit sets of type ordinals.
    private int heldHeadroom;
    private int heldMaximum;
    private boolean heldConcurrency;
    /** See {@link #setStorageShort}. */
    private volatile boolean storageShort;

    private record RunningTask(UsageType type, long milliCu, String workspaceId) {}

    /** One workspace's use of the group: {@code decayedCuSeconds} as of {@code atMillis}, and what runs now. */
    private static final class Usage {
        double decayedCuSeconds;
        long atMillis = NEVER;
        long runningMilliCu;
        /** When its last running task ended (it has run nothing since, if it runs nothing now). */
        long lastEndMillis = NEVER;
    }

    /** The tasks started by the pass under way; null until one starts. */
    private List<QueuedTask> startedInPass;
    /** During a pass: the bit set of the types that could still start one of their queued tasks. */
    private int open;

    public GroupLedger(GroupLimits limits) {
        this(limits, DEFAULT_STARVATION_BOUND);
    }

    /** The shares' half-life and the workspaces' weights are the limits' ({@link GroupLimits#fairShare()}). */
    public GroupLedger(GroupLimits limits, Duration starvationBound) {
        requireNonNull(starvationBound, "starvationBound is null");
        if (starvationBound.isNegative()) {
            throw new IllegalArgumentException("starvationBound is negative: " + starvationBound);
        }
        this.starvationBoundMillis = starvationBound.toMillis();
        Arrays.fill(smallestStep, SIZE_STEPS + 1);
        setLimits(limits);
    }

    // ---- events ----

    /**
     * Whether the disk the group's tasks run on is short of space: while it is, nothing starts and
     * every queued task waits with {@link WaitReason#INSUFFICIENT_STORAGE} (after the group's state
     * and its budget). Nothing running is touched.
     */
    public void setStorageShort(boolean storageShort) {
        this.storageShort = storageShort;
    }

    public boolean storageShort() {
        return storageShort;
    }

    /** New limits (quota change, scale, freeze, unfreeze); nothing running is touched (RG-5). */
    public void setLimits(GroupLimits newLimits) {
        requireNonNull(newLimits, "limits is null");
        setShareHalfLife(newLimits.fairShare().shareHalfLife());
        limits = newLimits;
        if (newLimits.queuePolicy() == QueuePolicy.ARRIVAL) {
            fairLevels = null;
        } else if (fairLevels == null) {
            fairLevels = new TreeMap<>(Comparator.reverseOrder());
            for (PriorityLevel level : levels.values()) {
                for (int i = level.start; i < level.end; i++) {
                    if (level.tasks[i] != null) {
                        addFair(level.tasks[i]);
                    }
                }
            }
        }
        budgetHolding = !newLimits.budgetHold().holdsNothing();
        capacity = newLimits.capacityMilliCu();
        schedulingMaxRunning = newLimits.schedulingMaxRunning();
        minimums = newLimits.minimumsMilliCu();
        unusedMinimums = 0;
        for (UsageType type : TYPES) {
            int u = type.ordinal();
            Quota quota = newLimits.quota(type);
            min[u] = quota.minMilliCu();
            max[u] = quota.maxMilliCu();
            unusedMinimums += unusedMinimum(u);
        }
    }

    /**
     * A new half-life keeps each workspace's share as it is now (its decayed CU-seconds scaled by
     * the ratio of the half-lives); the server then replaces them with the ones recomputed from the
     * store's runs ({@link #replaceUsage}).
     */
    private void setShareHalfLife(Duration halfLife) {
        if (halfLife.equals(shareHalfLife)) {
            return;
        }
        double perSecond = Math.log(2) / halfLife.toMillis() * 1000;
        if (shareHalfLife != null) {
            for (Usage w : usage.values()) {
                advance(w, lastMillis);
                w.decayedCuSeconds *= decayPerSecond / perSecond;
            }
        }
        shareHalfLife = halfLife;
        decayPerMilli = Math.log(2) / halfLife.toMillis();
        decayPerSecond = perSecond;
    }

    /**
     * Queues a task (SPEC ADM-5: it stays until it starts or is cancelled).
     *
     * @throws IllegalStateException if its id is already queued or running, or its sequence is
     *     already queued at its priority
     */
    public void enqueue(QueuedTask task) {
        requireNonNull(task, "task is null");
        checkUnknown(task.id());
        PriorityLevel level = levels.get(task.priority());
        if (level == null) {
            if (levels.size() >= KEPT_LEVELS) {
                levels.values().removeIf(PriorityLevel::isEmpty);
            }
            level = new PriorityLevel();
            levels.put(task.priority(), level);
        }
        level.add(task);
        if (fairLevels != null) {
            addFair(task);
        }
        queuedById.put(task.id(), task);
        int u = task.type().ordinal();
        queuedCount[u]++;
        queuedMilliCu[u] += task.milliCu();
        int step = sizeStep(task.milliCu());
        queuedBySize[u][step]++;
        smallestStep[u] = Math.min(smallestStep[u], step);
    }

    /**
     * Counts a task as running without any check: rebuilding after a restart (a task that was
     * STARTING or RUNNING in the store). It may leave the group over its limits; then nothing of
     * the kind starts until usage fits.
     */
    public void restoreRunning(String id, UsageType type, long milliCu) {
        restoreRunning(id, type, milliCu, null);
    }

    /** {@link #restoreRunning(String, UsageType, long)} of a task of {@code workspaceId} (null for none). */
    public void restoreRunning(String id, UsageType type, long milliCu, String workspaceId) {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        checkMilliCu(milliCu);
        checkUnknown(id);
        start(id, type.ordinal(), milliCu, workspaceId, lastMillis);
    }

    /**
     * Adds past use of the group to a workspace's share, rebuilding after a restart: its
     * CU-seconds on this group, each already weighed by {@code 2^(-age / halfLife)} as of
     * {@code atMillis} (see {@link #shareCu}).
     */
    public void restoreUsage(String workspaceId, double decayedCuSeconds, long atMillis) {
        if (!(decayedCuSeconds >= 0) || Double.isInfinite(decayedCuSeconds)) {
            throw new IllegalArgumentException("decayedCuSeconds must be a finite non-negative number, was " + decayedCuSeconds);
        }
        seen(atMillis);
        Usage w = usage.computeIfAbsent(workspaceId, k -> new Usage());
        advance(w, atMillis);
        w.decayedCuSeconds += decayedCuSeconds * Math.exp(-decayPerMilli * Math.max(0, w.atMillis - atMillis));
    }

    /**
     * {@link #restoreUsage(String, double, long)} with when the workspace's last task ended
     * ({@link Long#MIN_VALUE}: unknown), which the idle guarantee counts from: a restart tells it
     * from the store's runs, so that it does not take every workspace that runs nothing as idle since its head arrived.
     */
    public void restoreUsage(String workspaceId, double decayedCuSeconds, long atMillis, long lastEndMillis) {
        restoreUsage(workspaceId, decayedCuSeconds, atMillis);
        Usage w = usage.get(workspaceId);
        w.lastEndMillis = Math.max(w.lastEndMillis, lastEndMillis);
    }

    /** {@link #restoreUsage(String, double, long, long)} of a share another ledger showed (a copy for a dry run or an estimate). */
    public void restoreUsage(WorkspaceShare share, long atMillis) {
        restoreUsage(share.workspaceId(), share.decayedCuSeconds(), atMillis, share.lastEndMillis());
    }

    /**
     * Replaces every workspace's past use with {@code decayedCuSeconds} (CU-seconds weighed by the
     * current half-life as of {@code atMillis}, the running tasks' use up to then included; absent
     * workspaces: none): after a change of the half-life, the use recomputed from the store's runs.
     */
    public void replaceUsage(Map<String, Double> decayedCuSeconds, long atMillis) {
        decayedCuSeconds.values().forEach(v -> {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("decayedCuSeconds must be finite non-negative numbers, was " + v);
            }
        });
        seen(atMillis);
        for (Usage w : usage.values()) {
            w.decayedCuSeconds = 0;
            w.atMillis = atMillis;
        }
        decayedCuSeconds.forEach((ws, v) -> {
            Usage w = usage.computeIfAbsent(ws, k -> new Usage());
            w.decayedCuSeconds = v;
            w.atMillis = atMillis;
        });
    }

    /**
     * Stops counting a running task at the latest time the ledger was told (see
     * {@link #release(String, long)}, which a server should call).
     */
    public boolean release(String id) {
        return release(id, lastMillis);
    }

    /**
     * Stops counting a running task: it finished at {@code nowMillis}, or its start could not be
     * persisted. Idempotent: false when it was not running.
     */
    public boolean release(String id, long nowMillis) {
        RunningTask task = runningById.remove(requireNonNull(id, "id is null"));
        if (task == null) {
            return false;
        }
        seen(nowMillis);
        Usage w = usage.get(task.workspaceId());
        advance(w, nowMillis);
        w.runningMilliCu -= task.milliCu();
        if (w.runningMilliCu == 0) {
            w.lastEndMillis = Math.max(w.lastEndMillis, nowMillis);
        }
        int u = task.type().ordinal();
        long unusedBefore = unusedMinimum(u);
        used[u] -= task.milliCu();
        running[u]--;
        usedTotal -= task.milliCu();
        unusedMinimums += unusedMinimum(u) - unusedBefore;
        return true;
    }

    /** Takes a task out of the queue. Idempotent: false when it was not queued. */
    public boolean cancelQueued(String id) {
        QueuedTask task = queuedById.get(requireNonNull(id, "id is null"));
        if (task == null) {
            return false;
        }
        PriorityLevel level = levels.get(task.priority());
        level.remove(task);
        level.compactIfSparse();
        if (fairLevels != null) {
            Map<String, PriorityLevel> byWorkspace = fairLevels.get(task.priority());
            PriorityLevel own = byWorkspace.get(task.workspaceId());
            own.remove(task);
            own.compactIfSparse();
            dropIfEmpty(byWorkspace, task.workspaceId(), own);
            if (byWorkspace.isEmpty()) {
                fairLevels.remove(task.priority());
            }
        }
        dequeued(task);
        return true;
    }

    /**
     * Decides which queued tasks start now and moves them to running, in the order they were
     * decided (queue order). The caller persists each start and {@link #release}s the ones it
     * could not persist.
     *
     * @param nowMillis the current time on the clock of {@link QueuedTask#enqueuedAtMillis()}
     * @return the started tasks; an immutable empty list when none
     */
    public List<QueuedTask> admit(long nowMillis) {
        seen(nowMillis);
        if (!limits.admitting() || queuedById.isEmpty() || limits.budgetHold().wholeGroup() || storageShort) {
            return List.of();
        }
        clearHolds();
        startedInPass = null;
        open = updateRooms();
        if (fairLevels == null) {
            for (PriorityLevel level : levels.values()) {
                if (open == 0) {
                    break;
                }
                for (int i = level.start; i < level.end; i++) {
                    visit(level, i, nowMillis);
                    if (open == 0) {
                        break;
                    }
                }
                level.compactIfSparse();
            }
        } else {
            // A start raises its workspace's share, so the order after a pass may differ from the
            // order the pass took: a task a starving one held may now come before it. Passes repeat
            // until one starts nothing, so that what the queue shows (snapshot) is what admit did.
            int before;
            do {
                before = startedInPass == null ? 0 : startedInPass.size();
                clearHolds();
                open = updateRooms();
                for (Map<String, PriorityLevel> byWorkspace : fairLevels.values()) {
                    if (open == 0) {
                        break;
                    }
                    fairPass(byWorkspace, nowMillis);
                }
                fairLevels.values().removeIf(Map::isEmpty);
            } while (startedInPass != null && startedInPass.size() > before && !queuedById.isEmpty());
        }
        List<QueuedTask> started = startedInPass;
        startedInPass = null;
        return started == null ? List.of() : started;
    }

    /**
     * One priority of a FAIR_SHARE pass: the workspaces' queues merged by share (smallest first,
     * the earlier head on a tie), each visited as {@link #visit} decides; a start raises its
     * workspace's share by its CU at once.
     */
    private void fairPass(Map<String, PriorityLevel> byWorkspace, long nowMillis) {
        int k = prepareMerge(byWorkspace, nowMillis);
        while (open != 0) {
            int j = nextInMerge(k);
            if (j < 0) {
                break;
            }
            PriorityLevel level = mergeLevels[j];
            int i = mergeCursor[j];
            mergeCursor[j] = nextSlot(level, i + 1);
            long milliCu = level.milliCu[i];
            if (visit(level, i, nowMillis)) {
                startedInMerge(j, milliCu);
            }
        }
        for (int j = 0; j < k; j++) {
            mergeLevels[j].compactIfSparse();
            dropIfEmpty(byWorkspace, mergeWorkspace[j], mergeLevels[j]);
            mergeLevels[j] = null;
        }
    }

    /**
     * Decides the task in slot {@code i} of {@code level}: starts it (moves it to running, adds it
     * to {@link #startedInPass}, returns true) when it fits and nothing holds it, places its holds
     * when it starves, and keeps {@link #open} up to date.
     */
    private boolean visit(PriorityLevel level, int i, long nowMillis) {
        QueuedTask task = level.tasks[i];
        if (task == null || (budgetHolding && limits.budgetHold().holds(task))) {
            return false;
        }
        int u = level.types[i];
        long milliCu = level.milliCu[i];
        if (nowMillis - level.enqueuedAtMillis[i] < starvationBoundMillis) {
            // Not starving, so it holds nothing: it starts exactly when it fits its room.
            if (milliCu > room[u]) {
                return false;
            }
        } else {
            if ((open & (1 << u)) == 0 && (heldHeadroom != 0 || milliCu <= headroom[u])) {
                // Its type cannot start anything more in this pass. Holds on its type's
                // maximum or on concurrency bind only its own (closed) type; a headroom
                // hold binds the others only if it is the first one (after that every
                // other type is confined to its own unused minimum, whoever holds), and
                // it places one only if it does not fit the headroom.
                return false;
            }
            int heldBefore = holdsSignature();
            if (evaluate(u, milliCu, true) != READY) {
                if (holdsSignature() != heldBefore) {
                    open = updateRooms();
                }
                return false;
            }
        }
        level.removeAt(i);
        if (fairLevels != null) {
            // the pass walks the workspace's own level; the priority's level keeps the queue order
            PriorityLevel all = levels.get(task.priority());
            all.remove(task);
            all.compactIfSparse();
        }
        dequeued(task);
        start(task.id(), u, milliCu, task.workspaceId(), nowMillis);
        if (startedInPass == null) {
            startedInPass = new ArrayList<>();
        }
        startedInPass.add(task);
        open = updateRooms();
        return true;
    }

    /** Loads one priority's workspace queues into the merge, each with its share at {@code nowMillis}; returns how many. */
    private int prepareMerge(Map<String, PriorityLevel> byWorkspace, long nowMillis) {
        int k = byWorkspace.size();
        if (mergeLevels.length < k) {
            int size = Math.max(k, mergeLevels.length * 2);
            mergeLevels = new PriorityLevel[size];
            mergeCursor = new int[size];
            mergeShare = new long[size];
            mergeWorkspace = new String[size];
            mergeWeight = new int[size];
            mergeIdle = new boolean[size];
            mergeIdleSince = new long[size];
            mergeKeys = new long[size];
        }
        FairShareSettings fairShare = limits.fairShare();
        int j = 0;
        for (Map.Entry<String, PriorityLevel> e : byWorkspace.entrySet()) {
            PriorityLevel level = e.getValue();
            String workspaceId = e.getKey();
            mergeLevels[j] = level;
            mergeWorkspace[j] = workspaceId;
            int head = nextSlot(level, level.start);
            mergeCursor[j] = head;
            mergeShare[j] = Math.round(shareCu(workspaceId, nowMillis) * 1_000_000);
            mergeWeight[j] = fairShare.weight(workspaceId);
            // the idle guarantee: a workspace of a positive weight that runs nothing, and has waited
            // at least the starvation bound since its last task ended and since its head arrived
            Usage w = usage.get(workspaceId);
            long idleSince = head < level.end ? level.enqueuedAtMillis[head] : NEVER;
            if (w != null) {
                idleSince = Math.max(idleSince, w.lastEndMillis);
            }
            mergeIdleSince[j] = idleSince;
            mergeIdle[j] = mergeWeight[j] > 0 && (w == null || w.runningMilliCu == 0) && head < level.end
                    && nowMillis - idleSince >= starvationBoundMillis;
            mergeKeys[j] = mergeKey(j);
            j++;
        }
        return j;
    }

    /** A task of merged workspace {@code j} started (or a walk counts it so): its share grows, it is no longer idle. */
    private void startedInMerge(int j, long milliCu) {
        mergeShare[j] += milliCu * 1_000;
        mergeIdle[j] = false;
        mergeKeys[j] = mergeKey(j);
    }

    /**
     * What the merge orders workspace {@code j} by (smaller first): the idle guarantee's tier by how
     * long it has waited idle, then {@code share / weight}, then weight 0 by share.
     */
    private long mergeKey(int j) {
        if (mergeIdle[j]) {
            return IDLE_TIER + mergeIdleSince[j];
        }
        int weight = mergeWeight[j];
        return weight == 0 ? ZERO_WEIGHT_TIER + mergeShare[j] : mergeShare[j] * 1_000 / weight;
    }

    /** The merged workspace whose next task comes next: the smallest {@link #mergeKey}, then the earliest head; -1 when all are done. */
    private int nextInMerge(int k) {
        int best = -1;
        long bestKey = 0;
        long bestSequence = 0;
        for (int j = 0; j < k; j++) {
            PriorityLevel level = mergeLevels[j];
            int i = mergeCursor[j];
            if (i >= level.end) {
                continue;
            }
            long key = mergeKeys[j];
            long sequence = level.tasks[i].sequence();
            if (best < 0 || key < bestKey || (key == bestKey && sequence < bestSequence)) {
                best = j;
                bestKey = key;
                bestSequence = sequence;
            }
        }
        return best;
    }

    private static int nextSlot(PriorityLevel level, int from) {
        int i = from;
        while (i < level.end && level.tasks[i] == null) {
            i++;
        }
        return i;
    }

    private void addFair(QueuedTask task) {
        Map<String, PriorityLevel> byWorkspace = fairLevels.get(task.priority());
        if (byWorkspace == null) {
            byWorkspace = new HashMap<>();
            fairLevels.put(task.priority(), byWorkspace);
        }
        PriorityLevel level = byWorkspace.get(task.workspaceId());
        if (level == null) {
            level = new PriorityLevel();
            byWorkspace.put(task.workspaceId(), level);
        }
        level.add(task);
    }

    /** Forgets a workspace's emptied level (its priority's map, if emptied, is the caller's to drop). */
    private static void dropIfEmpty(Map<String, PriorityLevel> byWorkspace, String workspaceId, PriorityLevel level) {
        if (level.isEmpty() && byWorkspace.get(workspaceId) == level) {
            byWorkspace.remove(workspaceId);
        }
    }

    // ---- shares (QueuePolicy.FAIR_SHARE) ----

    /**
     * A workspace's share of this group at {@code nowMillis}, in CU: the CU its tasks run with now
     * plus its decayed average CU use, {@code λ ∫ cu(t) e^(-λ (now - t)) dt} with
     * {@code λ = ln 2 / halfLife} (an exponential moving average of the CU it ran, in CU).
     * {@link QueuePolicy#FAIR_SHARE} starts the smaller share's task first. Counted under either
     * policy, so a switch to FAIR_SHARE orders by the use so far.
     */
    public double shareCu(String workspaceId, long nowMillis) {
        Usage w = usage.get(workspaceId);
        if (w == null) {
            return 0;
        }
        return decayedAt(w, nowMillis) * decayPerSecond + w.runningMilliCu / 1000.0;
    }

    /** Every workspace's share at {@code nowMillis}, the smallest first (the order FAIR_SHARE favours). */
    public List<WorkspaceShare> shares(long nowMillis) {
        List<WorkspaceShare> out = new ArrayList<>(usage.size());
        FairShareSettings fairShare = limits.fairShare();
        usage.forEach((ws, w) -> {
            double decayed = decayedAt(w, nowMillis);
            out.add(new WorkspaceShare(ws, decayed, w.runningMilliCu, decayed * decayPerSecond + w.runningMilliCu / 1000.0,
                    fairShare.weight(ws), w.lastEndMillis));
        });
        out.sort(Comparator.comparing((WorkspaceShare s) -> s.weight() == 0)
                .thenComparingDouble(s -> s.weight() == 0 ? s.shareCu() : s.weightedShareCu())
                .thenComparing(WorkspaceShare::workspaceId, Comparator.nullsFirst(Comparator.naturalOrder())));
        return out;
    }

    public Duration shareHalfLife() {
        return shareHalfLife;
    }

    /** The decayed CU-seconds of {@code w} at {@code t} (no change for a time before its last one). */
    private double decayedAt(Usage w, long t) {
        if (w.atMillis == NEVER || t <= w.atMillis) {
            return w.decayedCuSeconds;
        }
        double keep = Math.exp(-decayPerMilli * (t - w.atMillis));
        return w.decayedCuSeconds * keep + w.runningMilliCu / 1000.0 * (1 - keep) / decayPerSecond;
    }

    /** Brings {@code w} to {@code t}: what ran since its last time is added, all of it decayed. */
    private void advance(Usage w, long t) {
        if (t == NEVER) {
            return;
        }
        w.decayedCuSeconds = decayedAt(w, t);
        w.atMillis = Math.max(w.atMillis, t);
    }

    private void seen(long t) {
        if (lastMillis == NEVER && t != NEVER) {
            // what was restored before any time was known counts from now
            usage.values().forEach(w -> w.atMillis = w.atMillis == NEVER ? t : w.atMillis);
        }
        lastMillis = Math.max(lastMillis, t);
    }

    // ---- read model ----

    public GroupLimits limits() {
        return limits;
    }

    public Duration starvationBound() {
        return Duration.ofMillis(starvationBoundMillis);
    }

    public long usedMilliCu() {
        return usedTotal;
    }

    public long usedMilliCu(UsageType type) {
        return used[type.ordinal()];
    }

    public int runningCount() {
        return runningById.size();
    }

    public int runningCount(UsageType type) {
        return running[type.ordinal()];
    }

    public int queuedCount() {
        return queuedById.size();
    }

    public int queuedCount(UsageType type) {
        return queuedCount[type.ordinal()];
    }

    public boolean isQueued(String id) {
        return queuedById.containsKey(id);
    }

    public boolean isRunning(String id) {
        return runningById.containsKey(id);
    }

    /**
     * Everything at once, with each queued task's position and the reason it waits at
     * {@code nowMillis}, found by the same walk {@link #admit} makes, without changing anything.
     * O(queue length); meant for the API and the console, not for the hot path.
     */
    public LedgerInfo snapshot(long nowMillis) {
        Map<UsageType, TypeUsage> byType = new EnumMap<>(UsageType.class);
        for (UsageType type : TYPES) {
            int u = type.ordinal();
            byType.put(type, new TypeUsage(used[u], running[u], queuedCount[u], queuedMilliCu[u]));
        }
        List<QueuedTaskInfo> queue = new ArrayList<>(queuedById.size());
        walkQueue(nowMillis, queue::add);
        return new LedgerInfo(limits, usedTotal, runningById.size(), queuedById.size(), byType, queue, shares(nowMillis));
    }

    /**
     * One queued task's place and reason at {@code nowMillis}, as {@link #snapshot} shows it;
     * empty when it is not queued. Walks the queue only as far as the task (a submission's
     * answer: the task is near the end of its priority, but nothing of the rest is copied).
     */
    public Optional<QueuedTaskInfo> queued(String id, long nowMillis) {
        if (!queuedById.containsKey(requireNonNull(id, "id is null"))) {
            return Optional.empty();
        }
        QueuedTaskInfo[] found = new QueuedTaskInfo[1];
        walkQueue(nowMillis, info -> {
            if (info.task().id().equals(id)) {
                found[0] = info;
                return false;
            }
            return true;
        });
        return Optional.ofNullable(found[0]);
    }

    /**
     * Hands each queued task, in queue order, with its position and the reason it waits to
     * {@code visitor} until it returns false; counts the READY ones as {@link #admit} would (so
     * later tasks see them taken) and restores every count afterwards.
     */
    private void walkQueue(long nowMillis, Predicate<QueuedTaskInfo> visitor) {
        long[] savedUsed = used.clone();
        int[] savedRunning = running.clone();
        long savedUsedTotal = usedTotal;
        long savedUnusedMinimums = unusedMinimums;
        clearHolds();
        Walk walk = new Walk();
        try {
            if (fairLevels == null) {
                for (PriorityLevel level : levels.values()) {
                    for (int i = level.start; i < level.end; i++) {
                        QueuedTask task = level.tasks[i];
                        if (task != null && !visitor.test(describe(walk, task, nowMillis, -1))) {
                            return;
                        }
                    }
                }
                return;
            }
            for (Map<String, PriorityLevel> byWorkspace : fairLevels.values()) {
                int k = prepareMerge(byWorkspace, nowMillis);
                try {
                    for (int j = nextInMerge(k); j >= 0; j = nextInMerge(k)) {
                        PriorityLevel level = mergeLevels[j];
                        QueuedTask task = level.tasks[mergeCursor[j]];
                        mergeCursor[j] = nextSlot(level, mergeCursor[j] + 1);
                        QueuedTaskInfo info = describe(walk, task, nowMillis, j);
                        if (info.reason() == WaitReason.READY) {
                            startedInMerge(j, task.milliCu()); // as admit would start it
                        }
                        if (!visitor.test(info)) {
                            return;
                        }
                    }
                } finally {
                    Arrays.fill(mergeLevels, 0, k, null);
                }
            }
        } finally {
            System.arraycopy(savedUsed, 0, used, 0, TYPE_COUNT);
            System.arraycopy(savedRunning, 0, running, 0, TYPE_COUNT);
            usedTotal = savedUsedTotal;
            unusedMinimums = savedUnusedMinimums;
        }
    }

    /** Where a walk of the queue is: the position so far, and the workspaces of the tasks behind which the next one waits. */
    private static final class Walk {
        int position;
        boolean any;
        String previousWorkspace;
        String behind;
    }

    /**
     * The next task of a walk: its position and reason (counted as started when READY, as admit
     * would, so later tasks see it taken); {@code j} is its workspace's place in the merge under
     * FAIR_SHARE, -1 under ARRIVAL.
     */
    private QueuedTaskInfo describe(Walk walk, QueuedTask task, long nowMillis, int j) {
        walk.position++;
        int u = task.type().ordinal();
        long waited = nowMillis - task.enqueuedAtMillis();
        WaitReason reason;
        if (!limits.admitting()) {
            reason = WaitReason.GROUP_NOT_ADMITTING;
        } else if (budgetHolding && limits.budgetHold().holds(task)) {
            reason = WaitReason.BUDGET;
        } else if (storageShort) {
            reason = WaitReason.INSUFFICIENT_STORAGE;
        } else {
            reason = REASONS[evaluate(u, task.milliCu(), waited >= starvationBoundMillis)];
            if (reason == WaitReason.READY) {
                count(u, task.milliCu()); // as admit would, so later tasks see it taken
            }
        }
        String behind = null;
        FairShareInfo fair = null;
        if (j >= 0) {
            int weight = mergeWeight[j];
            fair = new FairShareInfo(mergeShare[j] / 1_000_000.0, weight,
                    weight == 0 ? null : mergeShare[j] / (double) weight / 1_000_000.0, mergeIdle[j]);
            if (walk.any && !java.util.Objects.equals(walk.previousWorkspace, task.workspaceId())) {
                walk.behind = walk.previousWorkspace;
            } else if (!walk.any) {
                walk.behind = null;
            }
            behind = walk.behind;
            walk.any = true;
            walk.previousWorkspace = task.workspaceId();
        }
        return new QueuedTaskInfo(task, walk.position, reason, waited, fitsWhenIdle(u, task.milliCu()), fair, behind);
    }

    // ---- the rule ----

    /**
     * Whether a task of type {@code u} asking {@code c} starts now (READY) or why not, given the
     * holds placed so far in this pass; a starving task that cannot start places its holds.
     */
    private int evaluate(int u, long c, boolean starving) {
        boolean concurrency = u == SCHEDULING && running[SCHEDULING] >= schedulingMaxRunning;
        boolean overMaximum = c > max[u] - used[u];
        boolean overCapacity = c > capacity - usedTotal;
        boolean intoReserved = !overCapacity && c > capacity - usedTotal - (unusedMinimums - unusedMinimum(u));
        if (concurrency || overMaximum || overCapacity || intoReserved) {
            if (starving && fitsWhenIdle(u, c)) {
                heldConcurrency |= concurrency;
                if (overMaximum) {
                    heldMaximum |= 1 << u;
                }
                if (overCapacity || intoReserved) {
                    heldHeadroom |= 1 << u;
                }
            }
            return concurrency ? WaitReason.CONCURRENCY.ordinal()
                    : overMaximum ? WaitReason.MAX_QUOTA.ordinal()
                    : overCapacity ? WaitReason.CAPACITY.ordinal()
                    : WaitReason.RESERVED_FOR_OTHER_TYPES.ordinal();
        }
        boolean heldByConcurrency = heldConcurrency && u == SCHEDULING;
        boolean heldByMaximum = (heldMaximum & (1 << u)) != 0;
        // Only a task of another type that stays inside its own unused minimum leaves every
        // held headroom untouched.
        boolean heldByHeadroom = heldHeadroom != 0 && ((heldHeadroom & (1 << u)) != 0 || c > unusedMinimum(u));
        if (heldByConcurrency || heldByMaximum || heldByHeadroom) {
            if (starving && heldByHeadroom) {
                heldHeadroom |= 1 << u;
            }
            return WaitReason.HELD_FOR_HEAD.ordinal();
        }
        return READY;
    }

    /**
     * Sets {@link #room} for every type from the usage and the holds placed so far, exactly as
     * {@link #evaluate} decides: a task of type u asking c is READY iff {@code c <= room[u]}.
     * Returns the bit set of the types that could still start one of their queued tasks.
     */
    private int updateRooms() {
        int open = 0;
        for (int u = 0; u < TYPE_COUNT; u++) {
            int bit = 1 << u;
            headroom[u] = capacity - usedTotal - (unusedMinimums - unusedMinimum(u));
            long r;
            if ((u == SCHEDULING && (heldConcurrency || running[SCHEDULING] >= schedulingMaxRunning))
                    || ((heldMaximum | heldHeadroom) & bit) != 0) {
                r = -1;
            } else {
                r = Math.min(max[u] - used[u], headroom[u]);
                if (heldHeadroom != 0) {
                    r = Math.min(r, unusedMinimum(u));
                }
            }
            room[u] = r;
            int smallest = smallestStep[u];
            if (smallest <= SIZE_STEPS && r >= smallest * GRANULARITY_MILLI_CU) {
                open |= bit;
            }
        }
        return open;
    }

    /** Whether a task could start in an otherwise idle group under the current limits. */
    private boolean fitsWhenIdle(int u, long c) {
        return c <= max[u] && c <= capacity - (minimums - min[u]);
    }

    private int holdsSignature() {
        return heldHeadroom ^ (heldMaximum << TYPE_COUNT) ^ (heldConcurrency ? 1 << (2 * TYPE_COUNT) : 0);
    }

    private void clearHolds() {
        heldHeadroom = 0;
        heldMaximum = 0;
        heldConcurrency = false;
    }

    private long unusedMinimum(int u) {
        return Math.max(0, min[u] - used[u]);
    }

    // ---- bookkeeping ----

    private void start(String id, int u, long milliCu, String workspaceId, long nowMillis) {
        count(u, milliCu);
        runningById.put(id, new RunningTask(TYPES[u], milliCu, workspaceId));
        Usage w = usage.get(workspaceId);
        if (w == null) {
            w = new Usage();
            usage.put(workspaceId, w);
        }
        advance(w, nowMillis);
        w.runningMilliCu += milliCu;
    }

    private void count(int u, long milliCu) {
        long unusedBefore = unusedMinimum(u);
        used[u] += milliCu;
        running[u]++;
        usedTotal += milliCu;
        unusedMinimums += unusedMinimum(u) - unusedBefore;
    }

    private void dequeued(QueuedTask task) {
        queuedById.remove(task.id());
        int u = task.type().ordinal();
        queuedCount[u]--;
        queuedMilliCu[u] -= task.milliCu();
        int step = sizeStep(task.milliCu());
        int[] bySize = queuedBySize[u];
        if (--bySize[step] == 0 && step == smallestStep[u]) {
            while (step <= SIZE_STEPS && bySize[step] == 0) {
                step++;
            }
            smallestStep[u] = step;
        }
    }

    private static int sizeStep(long milliCu) {
        return (int) Math.min(milliCu / GRANULARITY_MILLI_CU, SIZE_STEPS);
    }

    private void checkUnknown(String id) {
        if (queuedById.containsKey(id)) {
            throw new IllegalStateException("task " + id + " is already queued");
        }
        if (runningById.containsKey(id)) {
            throw new IllegalStateException("task " + id + " is already running");
        }
    }

    static void checkMilliCu(long milliCu) {
        if (milliCu <= 0 || milliCu % GRANULARITY_MILLI_CU != 0) {
            throw new IllegalArgumentException("milliCu must be a positive multiple of " + GRANULARITY_MILLI_CU + ", was " + milliCu);
        }
    }
}
