package dev.srg.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Drives a {@link GroupLedger} the way the server will, keeps its own plain account of every
 * task, and after every admission checks the ledger against the SPEC rules written out again
 * here, naively: each start must satisfy ADM-4, ADM-2 and ADM-6 on the state just before it, the
 * starts must equal what a straightforward re-implementation of the documented order and holds
 * decides, and no task may be lost or duplicated.
 */
final class LedgerSimulation {
    /**
     * A deliberately broken ledger, to show that the properties catch a wrong one: the simulation
     * drives the real {@link GroupLedger} wrongly in one place, as a bug in it would.
     */
    enum Fault {
        NONE,
        /** SPEC RG-4 broken: the ledger is never told that its group stopped admitting. */
        ADMITS_WHILE_NOT_ADMITTING,
        /** SPEC ADM-5 broken: a finished task's CUs are never given back, so the queue stalls. */
        KEEPS_FINISHED_CU,
        /** SPEC ADM-5 broken: no starvation bound (a day instead of the simulation's), so a big head starves. */
        NO_STARVATION_BOUND,
        /** FAIR_SHARE's weights broken: the ledger is never told a workspace's weight. */
        IGNORES_WEIGHTS,
        /**
         * FAIR_SHARE's idle guarantee broken: the ledger is told that every workspace weighs 0, which
         * orders them by share alone, as fair23's ledger did before the guarantee.
         */
        NO_IDLE_GUARANTEE
    }

    static final Comparator<QueuedTask> QUEUE_ORDER =
            Comparator.comparingInt(QueuedTask::priority).reversed().thenComparingLong(QueuedTask::sequence);

    /** The half-life of the workspaces' shares here: short, so that ticks decay them visibly. */
    static final Duration HALF_LIFE = Duration.ofSeconds(30);

    private final long boundMillis;
    final GroupLedger ledger;
    GroupLimits limits;
    long now;
    private long sequence;
    private int nextId;

    final TreeMap<Long, QueuedTask> queued = new TreeMap<>(); // by sequence
    final LinkedHashMap<String, QueuedTask> running = new LinkedHashMap<>(); // oldest start first
    final Map<String, Long> restored = new HashMap<>();
    final Set<String> finished = new HashSet<>();
    final Set<String> cancelled = new HashSet<>();
    final Map<String, QueuedTask> submitted = new HashMap<>();
    final List<QueuedTask> startOrder = new ArrayList<>();
    /** Per running task, when it started; per finished run, its workspace, CU, start and end: the shares' reference. */
    private final Map<String, Long> startedAt = new HashMap<>();
    private final Map<String, String> workspaceOf = new HashMap<>();
    private final List<Run> runs = new ArrayList<>();
    /** Per workspace, when its last running task ended (the idle guarantee's reference). */
    private final Map<String, Long> lastEnd = new HashMap<>();

    private record Run(String workspaceId, long milliCu, long start, long end) {}

    /** Past use told to the ledger as a restart does: decayed CU-seconds as of a time. */
    private record Past(String workspaceId, double cuSeconds, long at) {}

    private final List<Past> past = new ArrayList<>();

    /** A workspace's past use of the group, as a restart rebuilds it from the store. */
    void restoreUsage(String workspaceId, double cuSeconds) {
        ledger.restoreUsage(workspaceId, cuSeconds, now);
        past.add(new Past(workspaceId, cuSeconds, now));
    }

    private final Fault fault;

    LedgerSimulation(GroupLimits limits, Duration bound) {
        this(limits, bound, Fault.NONE);
    }

    LedgerSimulation(GroupLimits limits, Duration bound, Fault fault) {
        this.boundMillis = bound.toMillis();
        this.limits = limits.withFairShare(limits.fairShare().withShareHalfLife(HALF_LIFE));
        this.fault = fault;
        this.ledger = new GroupLedger(told(this.limits), fault == Fault.NO_STARVATION_BOUND ? Duration.ofDays(1) : bound);
    }

    /** The limits as the ledger is told them: as they are, or wrongly, as the fault says. */
    private GroupLimits told(GroupLimits l) {
        return switch (fault) {
            case ADMITS_WHILE_NOT_ADMITTING -> l.withAdmitting(true);
            case IGNORES_WEIGHTS -> l.withFairShare(l.fairShare().withWeights(Map.of()));
            case NO_IDLE_GUARANTEE -> {
                Map<String, Integer> zero = new HashMap<>();
                submitted.values().forEach(t -> zero.put(t.workspaceId(), 0));
                yield l.withFairShare(l.fairShare().withWeights(zero));
            }
            default -> l;
        };
    }

    /**
     * Whether the starts and the queue are compared with the reference's order. A test of a
     * long-run outcome may turn it off: where every run lasts the same whole seconds, shares settle
     * on exact binary fractions of a micro-CU, and the ledger's running sum and the reference's
     * sum over every run round such a half differently (the order's reference is checked by the
     * properties with random events).
     */
    boolean comparesOrder = true;

    /** A faulty ledger's order differs from the documented one on purpose: the properties must catch it themselves. */
    private boolean comparesWithReference() {
        return comparesOrder && fault != Fault.IGNORES_WEIGHTS && fault != Fault.NO_IDLE_GUARANTEE;
    }

    /** A workspace's weight in the group (FAIR_SHARE), told to the ledger as a server does. */
    void setWeight(String workspaceId, int weight) {
        limits = limits.withFairShare(limits.fairShare().withWeight(workspaceId, weight));
        ledger.setLimits(told(limits));
    }

    QueuedTask submit(UsageType type, long milliCu, int priority) {
        return submit(type, milliCu, priority, null);
    }

    QueuedTask submit(UsageType type, long milliCu, int priority, String workspaceId) {
        QueuedTask task = new QueuedTask("t" + nextId++, type, milliCu, priority, ++sequence, now, workspaceId);
        boolean newWorkspace = submitted.values().stream().noneMatch(t -> java.util.Objects.equals(t.workspaceId(), workspaceId));
        submitted.put(task.id(), task);
        if (newWorkspace && fault == Fault.NO_IDLE_GUARANTEE && workspaceId != null) {
            ledger.setLimits(told(limits));
        }
        ledger.enqueue(task);
        queued.put(task.sequence(), task);
        return task;
    }

    void restoreRunning(UsageType type, long milliCu) {
        String id = "r" + nextId++;
        ledger.restoreRunning(id, type, milliCu);
        restored.put(id, milliCu);
        running.put(id, new QueuedTask(id, type, milliCu, 0, -1, now));
        startedAt.put(id, now);
    }

    void finishRunning(int index) {
        if (running.isEmpty()) {
            return;
        }
        String id = new ArrayList<>(running.keySet()).get(Math.floorMod(index, running.size()));
        if (fault != Fault.KEEPS_FINISHED_CU) {
            assertThat(ledger.release(id, now)).isTrue();
            assertThat(ledger.release(id, now)).isFalse();
        }
        ended(running.remove(id));
        finished.add(id);
    }

    void finishOldest() {
        finishRunning(0);
    }

    /** The start could not be persisted (transient error): released and queued again in its place. */
    void failStart(int index) {
        List<QueuedTask> candidates = running.values().stream().filter(t -> t.sequence() >= 0).toList();
        if (candidates.isEmpty()) {
            return;
        }
        QueuedTask task = candidates.get(Math.floorMod(index, candidates.size()));
        assertThat(ledger.release(task.id(), now)).isTrue();
        ended(running.remove(task.id()));
        ledger.enqueue(task);
        queued.put(task.sequence(), task);
    }

    void cancel(int index) {
        if (queued.isEmpty()) {
            return;
        }
        QueuedTask task = new ArrayList<>(queued.values()).get(Math.floorMod(index, queued.size()));
        assertThat(ledger.cancelQueued(task.id())).isTrue();
        assertThat(ledger.cancelQueued(task.id())).isFalse();
        queued.remove(task.sequence());
        cancelled.add(task.id());
    }

    /** A run ended (finished, or its start not persisted): it counts in its workspace's share from now on. */
    private void ended(QueuedTask task) {
        Long start = startedAt.remove(task.id());
        if (fault != Fault.KEEPS_FINISHED_CU) {
            runs.add(new Run(task.workspaceId(), task.milliCu(), start, now));
            if (runningCu(task.workspaceId(), List.of()) == 0) {
                lastEnd.put(task.workspaceId(), now);
            }
        }
    }

    /** The CU a workspace runs: its running tasks and {@code alsoStarted}. */
    private long runningCu(String workspaceId, List<QueuedTask> alsoStarted) {
        long cu = 0;
        for (QueuedTask t : running.values()) {
            if (java.util.Objects.equals(t.workspaceId(), workspaceId)) {
                cu += t.milliCu();
            }
        }
        for (QueuedTask t : alsoStarted) {
            if (java.util.Objects.equals(t.workspaceId(), workspaceId)) {
                cu += t.milliCu();
            }
        }
        return cu;
    }

    /** Applies new limits when they are valid (invalid ones are the API's to refuse); the policy stays. */
    boolean setLimits(boolean admitting, long capacity, int schedulingMaxRunning, Map<UsageType, Quota> quotas) {
        if (!GroupLimits.validate(capacity, schedulingMaxRunning, quotas).isEmpty()) {
            return false;
        }
        limits = new GroupLimits(admitting, capacity, schedulingMaxRunning, quotas, BudgetHold.NONE, limits.queuePolicy(),
                limits.fairShare());
        ledger.setLimits(told(limits));
        return true;
    }

    void setPolicy(QueuePolicy policy) {
        limits = limits.withQueuePolicy(policy);
        ledger.setLimits(told(limits));
    }

    /**
     * The reference share of a workspace, in micro-CU as the ledger rounds it, from the plain record
     * of every run: the CU it runs now plus, per run, {@code cu * (e^(-λ(now-end)) - e^(-λ(now-start)))},
     * which is {@code λ ∫ cu e^(-λ(now-t)) dt} over the run.
     */
    long referenceShareMicroCu(String workspaceId) {
        double lambda = Math.log(2) / HALF_LIFE.toMillis();
        double share = 0;
        for (Past p : past) {
            if (java.util.Objects.equals(p.workspaceId(), workspaceId)) {
                share += p.cuSeconds() * Math.exp(-lambda * (now - p.at())) * lambda * 1000;
            }
        }
        for (Run r : runs) {
            if (java.util.Objects.equals(r.workspaceId(), workspaceId)) {
                share += r.milliCu() / 1000.0 * (Math.exp(-lambda * (now - r.end())) - Math.exp(-lambda * (now - r.start())));
            }
        }
        for (QueuedTask t : running.values()) {
            if (java.util.Objects.equals(t.workspaceId(), workspaceId)) {
                long start = startedAt.get(t.id());
                share += t.milliCu() / 1000.0 * (1 - Math.exp(-lambda * (now - start))) + t.milliCu() / 1000.0;
            }
        }
        return Math.round(share * 1_000_000);
    }

    void tick(long millis) {
        now += millis;
    }

    /** Runs admission, checks every start and the whole state. */
    List<QueuedTask> admit() {
        List<String> expected = new ArrayList<>();
        referenceAdmission(expected, Set.of());
        if (limits.queuePolicy() == QueuePolicy.FAIR_SHARE) {
            // starts raise shares: passes repeat until one starts nothing (as the ledger documents)
            List<String> more;
            do {
                more = new ArrayList<>();
                referenceAdmission(more, Set.copyOf(expected));
                expected.addAll(more);
            } while (!more.isEmpty());
        }
        List<QueuedTask> started = ledger.admit(now);
        if (comparesWithReference()) {
            assertThat(started).extracting(QueuedTask::id).as("starts compared with the reference admission").isEqualTo(expected);
        }
        if (limits.queuePolicy() == QueuePolicy.ARRIVAL) {
            assertThat(started).as("starts are in queue order").isSortedAccordingTo(QUEUE_ORDER);
        }
        for (QueuedTask task : started) {
            checkStartAllowed(task);
            assertThat(queued.remove(task.sequence())).as("started task %s was queued", task.id()).isSameAs(task);
            assertThat(running.put(task.id(), task)).as("started task %s twice", task.id()).isNull();
            startedAt.put(task.id(), now);
            startOrder.add(task);
        }
        checkConsistency();
        return started;
    }

    /** SPEC RG-4, ADM-4, ADM-2, ADM-6 on the state just before this start. */
    private void checkStartAllowed(QueuedTask task) {
        Map<UsageType, Long> used = usedByType();
        long usedTotal = used.values().stream().mapToLong(Long::longValue).sum();
        UsageType u = task.type();
        long c = task.milliCu();
        assertThat(limits.admitting()).as("SPEC RG-4: started %s in a group that does not admit", task.id()).isTrue();
        if (u == UsageType.SCHEDULING) {
            long scheduling = running.values().stream().filter(t -> t.type() == UsageType.SCHEDULING).count();
            assertThat(scheduling).as("SPEC ADM-4: concurrency when starting %s", task.id()).isLessThan(limits.schedulingMaxRunning());
        }
        assertThat(used.get(u) + c).as("SPEC ADM-2/ADM-6: maximum of %s when starting %s", u, task.id())
                .isLessThanOrEqualTo(limits.quota(u).maxMilliCu());
        assertThat(usedTotal + c).as("SPEC ADM-6: capacity when starting %s", task.id()).isLessThanOrEqualTo(limits.capacityMilliCu());
        long othersUnusedMinimums = 0;
        for (UsageType v : UsageType.values()) {
            if (v != u) {
                othersUnusedMinimums += Math.max(0, limits.quota(v).minMilliCu() - used.get(v));
            }
        }
        assertThat(usedTotal + c + othersUnusedMinimums).as("SPEC ADM-6: %s eats another type's unused minimum", task.id())
                .isLessThanOrEqualTo(limits.capacityMilliCu());
    }

    Map<UsageType, Long> usedByType() {
        Map<UsageType, Long> used = new EnumMap<>(UsageType.class);
        for (UsageType type : UsageType.values()) {
            used.put(type, 0L);
        }
        running.values().forEach(t -> used.merge(t.type(), t.milliCu(), Long::sum));
        return used;
    }

    /** Nothing lost or duplicated; the ledger's read model agrees with the plain account. */
    void checkConsistency() {
        Set<String> all = new HashSet<>();
        queued.values().forEach(t -> assertThat(all.add(t.id())).isTrue());
        running.keySet().forEach(id -> assertThat(all.add(id)).as("%s twice", id).isTrue());
        finished.forEach(id -> assertThat(all.add(id)).as("%s twice", id).isTrue());
        cancelled.forEach(id -> assertThat(all.add(id)).as("%s twice", id).isTrue());
        Set<String> expectedIds = new HashSet<>(submitted.keySet());
        expectedIds.addAll(restored.keySet());
        assertThat(all).as("every task is exactly once queued, running, finished or cancelled").isEqualTo(expectedIds);

        Map<UsageType, Long> used = usedByType();
        assertThat(ledger.usedMilliCu()).isEqualTo(used.values().stream().mapToLong(Long::longValue).sum());
        assertThat(ledger.runningCount()).isEqualTo(running.size());
        assertThat(ledger.queuedCount()).isEqualTo(queued.size());
        for (UsageType type : UsageType.values()) {
            assertThat(ledger.usedMilliCu(type)).isEqualTo(used.get(type));
            assertThat(ledger.runningCount(type)).isEqualTo((int) running.values().stream().filter(t -> t.type() == type).count());
            assertThat(ledger.queuedCount(type)).as("SPEC ADM-5: queued per type")
                    .isEqualTo((int) queued.values().stream().filter(t -> t.type() == type).count());
        }
        running.keySet().forEach(id -> assertThat(ledger.isRunning(id)).isTrue());
        queued.values().forEach(t -> assertThat(ledger.isQueued(t.id())).isTrue());

        LedgerInfo info = ledger.snapshot(now);
        List<QueuedTask> order = referenceAdmission(new ArrayList<>(), Set.of());
        if (comparesWithReference()) {
            assertThat(info.queue()).extracting(QueuedTaskInfo::task).as("SPEC ADM-5: the queue, in order").isEqualTo(order);
        }
        for (int i = 0; i < info.queue().size(); i++) {
            QueuedTaskInfo item = info.queue().get(i);
            assertThat(item.position()).isEqualTo(i + 1);
            assertThat(item.reason()).as("after admission nothing queued could start: %s", item).isNotEqualTo(WaitReason.READY);
            if (!limits.admitting()) {
                assertThat(item.reason()).isEqualTo(WaitReason.GROUP_NOT_ADMITTING);
            }
        }
    }

    /**
     * The documented order, backfill and holds, written plainly: O(n) per task, no shortcuts. Adds
     * the ids it starts to {@code starts} and returns the order it visited the queue in: priority,
     * then arrival (ARRIVAL), or, within a priority (FAIR_SHARE), repeatedly the next task of: first
     * the workspaces the idle guarantee lifts (a positive weight, running nothing, and the starvation
     * bound passed since both its last task ended and its first task of the priority arrived: the
     * longest idle first; lifted when the pass reaches the priority, dropped once it starts a task),
     * then the smallest share (as {@link #referenceShareMicroCu}, plus what it started in this pass)
     * times 1000 divided by the weight, then weight 0 by share; ties to the earliest task.
     */
    private List<QueuedTask> referenceAdmission(List<String> starts, Set<String> startedEarlierInThisAdmission) {
        List<QueuedTask> order = new ArrayList<>();
        boolean admitting = limits.admitting();
        List<QueuedTask> pretend = queued.values().stream().filter(t -> startedEarlierInThisAdmission.contains(t.id())).toList();
        Map<UsageType, Long> used = usedByType();
        Map<UsageType, Integer> count = new EnumMap<>(UsageType.class);
        for (UsageType type : UsageType.values()) {
            count.put(type, 0);
        }
        running.values().forEach(t -> count.merge(t.type(), 1, Integer::sum));
        pretend.forEach(t -> {
            used.merge(t.type(), t.milliCu(), Long::sum);
            count.merge(t.type(), 1, Integer::sum);
        });
        Set<UsageType> headroomHeld = EnumSet.noneOf(UsageType.class);
        Set<UsageType> maximumHeld = EnumSet.noneOf(UsageType.class);
        boolean concurrencyHeld = false;
        long capacity = limits.capacityMilliCu();
        List<QueuedTask> remaining = new ArrayList<>(queued.values().stream()
                .filter(t -> !startedEarlierInThisAdmission.contains(t.id())).sorted(QUEUE_ORDER).toList());
        Map<String, Long> shares = new HashMap<>();
        for (QueuedTask t : pretend) {
            shares.put(t.workspaceId(), shares.computeIfAbsent(t.workspaceId(), this::referenceShareMicroCu) + t.milliCu() * 1_000);
        }
        List<QueuedTask> startedNow = new ArrayList<>(pretend);
        Map<String, Long> idleSince = new HashMap<>(); // the lifted workspaces of the priority under way
        Integer liftedAt = null;
        while (!remaining.isEmpty()) {
            QueuedTask task = remaining.get(0);
            if (limits.queuePolicy() == QueuePolicy.FAIR_SHARE) {
                if (liftedAt == null || liftedAt != task.priority()) {
                    int priority = task.priority();
                    liftedAt = priority;
                    idleSince.clear();
                    Map<String, QueuedTask> heads = new LinkedHashMap<>();
                    remaining.stream().filter(t -> t.priority() == priority).forEach(t -> heads.putIfAbsent(t.workspaceId(), t));
                    heads.forEach((ws, head) -> {
                        long since = Math.max(head.enqueuedAtMillis(), lastEnd.getOrDefault(ws, Long.MIN_VALUE));
                        if (limits.fairShare().weight(ws) > 0 && runningCu(ws, startedNow) == 0 && now - since >= boundMillis) {
                            idleSince.put(ws, since);
                        }
                    });
                }
                for (QueuedTask t : remaining) {
                    if (t.priority() != task.priority()) {
                        break;
                    }
                    if (compareFair(t, task, shares, idleSince) < 0) {
                        task = t;
                    }
                }
            }
            remaining.remove(task);
            order.add(task);
            if (!admitting) {
                continue;
            }
            UsageType u = task.type();
            long c = task.milliCu();
            long usedTotal = used.values().stream().mapToLong(Long::longValue).sum();
            long othersUnused = 0;
            long othersMinimums = 0;
            for (UsageType v : UsageType.values()) {
                if (v != u) {
                    othersUnused += Math.max(0, limits.quota(v).minMilliCu() - used.get(v));
                    othersMinimums += limits.quota(v).minMilliCu();
                }
            }
            boolean waitsConcurrency = u == UsageType.SCHEDULING && count.get(u) >= limits.schedulingMaxRunning();
            boolean waitsMaximum = used.get(u) + c > limits.quota(u).maxMilliCu();
            boolean waitsHeadroom = usedTotal + c + othersUnused > capacity;
            boolean starving = now - task.enqueuedAtMillis() >= boundMillis;
            boolean everFits = c <= limits.quota(u).maxMilliCu() && c <= capacity - othersMinimums;
            if (waitsConcurrency || waitsMaximum || waitsHeadroom) {
                if (starving && everFits) {
                    concurrencyHeld |= waitsConcurrency;
                    if (waitsMaximum) {
                        maximumHeld.add(u);
                    }
                    if (waitsHeadroom) {
                        headroomHeld.add(u);
                    }
                }
                continue;
            }
            long ownUnused = Math.max(0, limits.quota(u).minMilliCu() - used.get(u));
            boolean heldHeadroom = !headroomHeld.isEmpty() && (headroomHeld.contains(u) || c > ownUnused);
            if ((concurrencyHeld && u == UsageType.SCHEDULING) || maximumHeld.contains(u) || heldHeadroom) {
                if (starving && heldHeadroom) {
                    headroomHeld.add(u);
                }
                continue;
            }
            starts.add(task.id());
            startedNow.add(task);
            idleSince.remove(task.workspaceId());
            used.merge(u, c, Long::sum);
            count.merge(u, 1, Integer::sum);
            shares.put(task.workspaceId(), shares.computeIfAbsent(task.workspaceId(), this::referenceShareMicroCu) + c * 1_000);
        }
        return order;
    }

    /** FAIR_SHARE's order of two tasks of one priority (negative: {@code a} first), as documented, plainly. */
    private int compareFair(QueuedTask a, QueuedTask b, Map<String, Long> shares, Map<String, Long> idleSince) {
        int tierA = tier(a.workspaceId(), idleSince);
        int tierB = tier(b.workspaceId(), idleSince);
        if (tierA != tierB) {
            return Integer.compare(tierA, tierB);
        }
        long keyA = fairKey(a.workspaceId(), tierA, shares, idleSince);
        long keyB = fairKey(b.workspaceId(), tierB, shares, idleSince);
        return keyA != keyB ? Long.compare(keyA, keyB) : Long.compare(a.sequence(), b.sequence());
    }

    private int tier(String workspaceId, Map<String, Long> idleSince) {
        return idleSince.containsKey(workspaceId) ? 0 : limits.fairShare().weight(workspaceId) > 0 ? 1 : 2;
    }

    private long fairKey(String workspaceId, int tier, Map<String, Long> shares, Map<String, Long> idleSince) {
        long share = shares.computeIfAbsent(workspaceId, this::referenceShareMicroCu);
        return switch (tier) {
            case 0 -> idleSince.get(workspaceId);
            case 1 -> share * 1_000 / limits.fairShare().weight(workspaceId);
            default -> share;
        };
    }
}
