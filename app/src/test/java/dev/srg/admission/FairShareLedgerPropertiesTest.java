package dev.srg.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.admission.GroupLedgerPropertiesTest.Op;
import dev.srg.admission.GroupLedgerPropertiesTest.Submit;
import dev.srg.admission.LedgerSimulation.Fault;
import dev.srg.testing.SeededProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link QueuePolicy#FAIR_SHARE} against the reference model of {@link LedgerSimulation}: the same
 * rules after every event as under ARRIVAL (its order written plainly there: within a priority the
 * smallest share, from the plain record of every run, then arrival), no task left waiting while
 * the group drains, a starving head still starting, and a quiet workspace's task going before a
 * flooding workspace's later ones — a property that fails under ARRIVAL, so it can fail.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FairShareLedgerPropertiesTest {
    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final UsageType[] TYPES = UsageType.values();
    private static final String[] WORKSPACES = {"ws-a", "ws-a", "ws-a", "ws-a", "ws-a", "ws-a", "ws-b", "ws-b", "ws-b", "ws-c", "ws-d"};

    /** Turns the group's policy to ARRIVAL or back to FAIR_SHARE. */
    record SetPolicy(QueuePolicy policy) {}

    /** Gives a workspace a weight (0 .. 3 here). */
    record SetWeight(String workspaceId, int weight) {}

    /** The events of {@link GroupLedgerPropertiesTest#operation}, each submission of a workspace (mostly ws-a, which floods), now and then a policy switch. */
    static Object fairOperation(Random r) {
        if (r.nextInt(60) == 0) {
            return new SetPolicy(r.nextInt(3) == 0 ? QueuePolicy.ARRIVAL : QueuePolicy.FAIR_SHARE);
        }
        if (r.nextInt(30) == 0) {
            return new SetWeight(WORKSPACES[r.nextInt(WORKSPACES.length)], r.nextInt(4));
        }
        Op op = GroupLedgerPropertiesTest.operation(r);
        if (op instanceof Submit s) {
            return new Submit(s.type(), s.milliCu(), s.priority(), WORKSPACES[r.nextInt(WORKSPACES.length)]);
        }
        return op;
    }

    private static void apply(LedgerSimulation sim, Object event) {
        if (event instanceof SetPolicy p) {
            sim.setPolicy(p.policy());
        } else if (event instanceof SetWeight w) {
            sim.setWeight(w.workspaceId(), w.weight());
        } else {
            GroupLedgerPropertiesTest.apply(sim, (Op) event);
        }
    }

    // SPEC ADM-2, ADM-4, ADM-5, ADM-6, RG-4, RG-5 under FAIR_SHARE: every start keeps the rules, the
    // starts and the queue's order are the reference's, nothing is lost or duplicated.
    static SeededProperty<Long, Object> fairShareKeepsTheRules(Fault fault) {
        return SeededProperty.of("FAIR_SHARE keeps the rules after every event", 300, 120, new SeededProperty.Cases<>() {
            @Override
            public Long parameters(Random r) {
                return r.nextInt(41) * 250L;
            }

            @Override
            public Object event(Random r, Long capacity) {
                return fairOperation(r);
            }

            @Override
            public void check(Long capacity, List<Object> events) {
                LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacity).withQueuePolicy(QueuePolicy.FAIR_SHARE), BOUND, fault);
                for (Object event : events) {
                    apply(sim, event);
                    sim.admit();
                }
            }
        });
    }

    // SPEC ADM-5 under FAIR_SHARE: with no new arrivals and running tasks finishing, every task that
    // can fit under the limits eventually starts (the group drains).
    static SeededProperty<Long, Object> everyTaskStarts(Fault fault) {
        return SeededProperty.of("FAIR_SHARE: every task that can fit eventually starts", 200, 120, new SeededProperty.Cases<>() {
            @Override
            public Long parameters(Random r) {
                return (4 + r.nextInt(37)) * 250L;
            }

            @Override
            public Object event(Random r, Long capacity) {
                return fairOperation(r);
            }

            @Override
            public void check(Long capacity, List<Object> events) {
                LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacity).withQueuePolicy(QueuePolicy.FAIR_SHARE), BOUND, fault);
                for (Object event : events) {
                    apply(sim, event);
                    sim.admit();
                }
                GroupLedgerPropertiesTest.assertDrainsLeavingOnlyWhatNeverFits(sim);
            }
        });
    }

    /** A flood: its limits, the one size and type of every task, how many the flooding workspace queues. */
    record Flood(GroupLimits limits, UsageType type, long milliCu, int tasks) {}

    /** One step of a busy group: some time passes and this many running tasks finish. */
    record Step(long millis, int finishes) {}

    // The point of FAIR_SHARE: a workspace floods the group; another workspace's task, submitted
    // later, starts before every task of the flood that has not started yet (same priority, type
    // and size, so whatever slot frees fits either). Under ARRIVAL it waits behind the whole flood.
    static SeededProperty<Flood, Step> aQuietWorkspaceGoesFirst(QueuePolicy policy) {
        return SeededProperty.of("a quiet workspace's task starts before the flood's later ones (" + policy + ")", 300, 40,
                new SeededProperty.Cases<>() {
            @Override
            public Flood parameters(Random r) {
                long size = (1 + r.nextInt(8)) * 250L;
                long capacity = size * (1 + r.nextInt(12));
                GroupLimits limits = new GroupLimits(true, capacity, 1 + r.nextInt(50), Map.of(), BudgetHold.NONE, policy);
                return new Flood(limits, TYPES[r.nextInt(TYPES.length)], size, 20 + r.nextInt(200));
            }

            @Override
            public Step event(Random r, Flood p) {
                return new Step(r.nextInt(15_001), r.nextInt(3));
            }

            @Override
            public void check(Flood p, List<Step> steps) {
                LedgerSimulation sim = new LedgerSimulation(p.limits(), BOUND);
                for (int i = 0; i < p.tasks(); i++) {
                    sim.submit(p.type(), p.milliCu(), 0, "ws-flood");
                }
                sim.admit();
                int half = steps.size() / 2;
                for (Step s : steps.subList(0, half)) {
                    step(sim, s);
                }
                if (sim.queued.isEmpty()) {
                    return; // the flood is over: nothing to go before
                }
                QueuedTask quiet = sim.submit(p.type(), p.milliCu(), 0, "ws-quiet");
                int startedBefore = sim.startOrder.size();
                sim.admit();
                for (Step s : steps.subList(half, steps.size())) {
                    step(sim, s);
                }
                while (!sim.running.containsKey(quiet.id()) && !sim.running.isEmpty()) {
                    step(sim, new Step(1_000, 1));
                }
                List<QueuedTask> after = sim.startOrder.subList(startedBefore, sim.startOrder.size());
                List<String> floodFirst = new ArrayList<>();
                for (QueuedTask t : after) {
                    if (t == quiet) {
                        break;
                    }
                    floodFirst.add(t.id());
                }
                assertThat(after).as("the quiet workspace's task started").contains(quiet);
                assertThat(floodFirst).as("flood tasks that started before the quiet workspace's task").isEmpty();
            }
        });
    }

    private static void step(LedgerSimulation sim, Step s) {
        sim.tick(s.millis());
        for (int i = 0; i < s.finishes(); i++) {
            sim.finishOldest();
        }
        sim.admit();
    }

    /** A task to submit at a step: its workspace, type, size and how long it runs once started. */
    record Job(String workspaceId, UsageType type, long milliCu, int runSeconds) {}

    /** Runs tasks for their time: one step is a second; each started task ends {@code runSeconds} after its start. */
    private static final class Clocked {
        final LedgerSimulation sim;
        final Map<String, Long> endsAt = new java.util.HashMap<>();
        final Map<String, Integer> runSeconds = new java.util.HashMap<>();
        final Map<String, Long> lastEnd = new java.util.HashMap<>();

        Clocked(LedgerSimulation sim) {
            this.sim = sim;
        }

        QueuedTask submit(Job j) {
            QueuedTask t = sim.submit(j.type(), j.milliCu(), 0, j.workspaceId());
            runSeconds.put(t.id(), j.runSeconds());
            return t;
        }

        /** A second passes: the tasks whose time is up end, then admission runs. */
        List<QueuedTask> step(List<Job> submissions) {
            sim.tick(1_000);
            for (String id : new ArrayList<>(sim.running.keySet())) {
                Long end = endsAt.get(id);
                if (end != null && end <= sim.now) {
                    String ws = sim.running.get(id).workspaceId();
                    sim.finishRunning(new ArrayList<>(sim.running.keySet()).indexOf(id));
                    endsAt.remove(id);
                    if (sim.running.values().stream().noneMatch(t -> java.util.Objects.equals(t.workspaceId(), ws))) {
                        lastEnd.put(ws, sim.now);
                    }
                }
            }
            submissions.forEach(this::submit);
            return admit();
        }

        List<QueuedTask> admit() {
            List<QueuedTask> started = sim.admit();
            started.forEach(t -> endsAt.put(t.id(), sim.now + runSeconds.get(t.id()) * 1_000L));
            return started;
        }

        long runningMilliCu(String workspaceId) {
            return sim.running.values().stream().filter(t -> java.util.Objects.equals(t.workspaceId(), workspaceId))
                    .mapToLong(QueuedTask::milliCu).sum();
        }
    }

    /** Two backlogged workspaces of different weights: their weights, the slots of the group, one task's size and type. */
    record Weighted(int weightA, int weightB, int slots, long milliCu, UsageType type) {}

    // FAIR_SHARE's weights (docs/rules.md#queue-policy): two workspaces that stay backlogged with
    // tasks of one size and similar run times hold the group's CU in the ratio of their weights
    // (within a quarter), once the shares have settled (the second half of 10 half-lives).
    static SeededProperty<Weighted, Integer> weightsDivideTheGroup(Fault fault) {
        return SeededProperty.of("backlogged workspaces hold the group in the ratio of their weights", 60, 40,
                new SeededProperty.Cases<>() {
            @Override
            public Weighted parameters(Random r) {
                int a = 1 + r.nextInt(3);
                int b = a;
                while (b == a) {
                    b = 1 + r.nextInt(3);
                }
                return new Weighted(a, b, (a + b) * (1 + r.nextInt(3)), (1 + r.nextInt(4)) * 250L,
                        TYPES[r.nextInt(TYPES.length)]);
            }

            @Override
            public Integer event(Random r, Weighted p) {
                return 2 + r.nextInt(5); // run times, seconds, handed out in turn
            }

            @Override
            public void check(Weighted p, List<Integer> runTimes) {
                GroupLimits limits = new GroupLimits(true, p.slots() * p.milliCu(), GroupLimits.MAX_SCHEDULING_MAX_RUNNING,
                        Map.of(), BudgetHold.NONE, QueuePolicy.FAIR_SHARE);
                Clocked c = new Clocked(new LedgerSimulation(limits, BOUND, fault));
                c.sim.comparesOrder = false; // the rules are still checked at every start
                c.sim.setWeight("ws-a", p.weightA());
                c.sim.setWeight("ws-b", p.weightB());
                List<Integer> times = runTimes.isEmpty() ? List.of(3) : runTimes;
                int n = 0;
                long steps = LedgerSimulation.HALF_LIFE.toSeconds() * 10;
                long heldA = 0;
                long heldB = 0;
                for (long t = 1; t <= steps; t++) {
                    List<Job> topUp = new ArrayList<>(); // each keeps more queued than the group can run
                    for (String ws : List.of("ws-a", "ws-b")) {
                        for (long q = c.sim.queued.values().stream().filter(x -> x.workspaceId().equals(ws)).count(); q <= p.slots(); q++) {
                            topUp.add(new Job(ws, p.type(), p.milliCu(), times.get(n++ % times.size())));
                        }
                    }
                    c.step(topUp);
                    if (t > steps / 2) {
                        heldA += c.runningMilliCu("ws-a");
                        heldB += c.runningMilliCu("ws-b");
                    }
                }
                assertThat(c.sim.queued.values()).as("both stayed backlogged")
                        .anyMatch(t -> t.workspaceId().equals("ws-a")).anyMatch(t -> t.workspaceId().equals("ws-b"));
                double ratio = (double) heldA / heldB;
                double expected = (double) p.weightA() / p.weightB();
                assertThat(ratio).as("CU-seconds of ws-a / ws-b with weights %d:%d", p.weightA(), p.weightB())
                        .isBetween(expected * 0.75, expected / 0.75);
            }
        });
    }

    // FAIR_SHARE's weight 0 (docs/rules.md#queue-policy): a workspace of weight 0 gets only what
    // nobody else wants. Whenever one of its tasks starts, no task of a positive weight of its
    // priority or a higher one stays queued that would have fitted in what the weight-0 starts took.
    static SeededProperty<Long, Object> weightZeroGetsOnlyTheRest(Fault fault) {
        String[] workspaces = {"ws-a", "ws-a", "ws-b", "ws-zero", "ws-zero"};
        UsageType[] types = {UsageType.DATA_INTEGRATION, UsageType.DATA_SERVICE};
        return SeededProperty.of("a workspace of weight 0 gets only what nobody else wants", 200, 120, new SeededProperty.Cases<>() {
            @Override
            public Long parameters(Random r) {
                return (4 + r.nextInt(37)) * 250L;
            }

            @Override
            public Object event(Random r, Long capacity) {
                int pick = r.nextInt(10);
                if (pick < 5) {
                    return new Submit(types[r.nextInt(types.length)], (1 + r.nextInt(12)) * 250L, r.nextInt(2),
                            workspaces[r.nextInt(workspaces.length)]);
                }
                return pick < 8 ? new GroupLedgerPropertiesTest.Finish(r.nextInt(1_001)) : new GroupLedgerPropertiesTest.Tick(r.nextInt(15_001));
            }

            @Override
            public void check(Long capacity, List<Object> events) {
                LedgerSimulation sim = new LedgerSimulation(GroupLimits.of(capacity).withQueuePolicy(QueuePolicy.FAIR_SHARE), BOUND, fault);
                sim.setWeight("ws-b", 2);
                sim.setWeight("ws-zero", 0);
                for (Object event : events) {
                    apply(sim, event);
                    List<QueuedTask> started = sim.admit();
                    for (QueuedTask waiting : sim.queued.values()) {
                        if (waiting.workspaceId().equals("ws-zero")) {
                            continue;
                        }
                        // the weight-0 starts it goes before: of its priority or a lower one
                        List<QueuedTask> after = started.stream()
                                .filter(t -> t.workspaceId().equals("ws-zero") && t.priority() <= waiting.priority()).toList();
                        if (!after.isEmpty()) {
                            long freeWithoutThem = capacity - sim.ledger.usedMilliCu() + after.stream().mapToLong(QueuedTask::milliCu).sum();
                            assertThat(waiting.milliCu()).as("%s of weight > 0 waits while %s of weight 0 started", waiting, after)
                                    .isGreaterThan(freeWithoutThem);
                        }
                    }
                }
            }
        });
    }

    /** A busy group shared by three workspaces, one of them with a large past use: limits, the longest run, the weights. */
    record Idle(GroupLimits limits, int longestRunSeconds, int heavyWeight, int weightA, int weightB) {}

    // FAIR_SHARE's idle guarantee (docs/rules.md#queue-policy): while no higher priority waits and
    // every task runs at most D, a workspace of a positive weight that has queued tasks and runs
    // nothing starts one within G + k·2·(D + 1 s) + 1 s of the later of its last end and its head's
    // arrival (G the starvation bound, k the workspaces of a positive weight; one step is 1 s). Under
    // the order by share alone (fair23's) a workspace with a large past use waits for its share to
    // decay (many half-lives) while the others keep the group busy: the property fails there.
    static SeededProperty<Idle, List<Job>> anIdleWorkspaceStartsWithinTheBound(Fault fault) {
        String[] workspaces = {"ws-heavy", "ws-a", "ws-a", "ws-b", "ws-b"};
        return SeededProperty.of("an idle backlogged workspace starts within G + k·2·(D + 1 s)", 200, 150, new SeededProperty.Cases<>() {
            @Override
            public Idle parameters(Random r) {
                GroupLimits limits = new GroupLimits(true, (4 + r.nextInt(17)) * 1_000L, 1 + r.nextInt(6), Map.of(), BudgetHold.NONE,
                        QueuePolicy.FAIR_SHARE);
                return new Idle(limits, 1 + r.nextInt(6), 1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(3));
            }

            @Override
            public List<Job> event(Random r, Idle p) {
                List<Job> jobs = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    long size = Math.min(p.limits().capacityMilliCu(), (1 + r.nextInt(r.nextInt(5) == 0 ? 64 : 8)) * 250L);
                    jobs.add(new Job(workspaces[r.nextInt(workspaces.length)], TYPES[r.nextInt(TYPES.length)], size,
                            1 + r.nextInt(p.longestRunSeconds())));
                }
                return jobs;
            }

            @Override
            public void check(Idle p, List<List<Job>> steps) {
                Clocked c = new Clocked(new LedgerSimulation(p.limits(), BOUND, fault));
                c.sim.restoreUsage("ws-heavy", 1_000_000);
                c.sim.setWeight("ws-heavy", p.heavyWeight());
                c.sim.setWeight("ws-a", p.weightA());
                c.sim.setWeight("ws-b", p.weightB());
                long bound = BOUND.toMillis() + 3 * 2 * (p.longestRunSeconds() + 1) * 1_000L + 1_000;
                int i = 0;
                // the steps' submissions, then as long again with none, so that every wait ends
                while (i < 2 * steps.size() || !c.sim.queued.isEmpty()) {
                    c.step(i < steps.size() ? steps.get(i) : List.of());
                    i++;
                    for (String ws : List.of("ws-heavy", "ws-a", "ws-b")) {
                        QueuedTask head = c.sim.queued.values().stream().filter(t -> t.workspaceId().equals(ws)).findFirst().orElse(null);
                        if (head == null || c.runningMilliCu(ws) > 0) {
                            continue;
                        }
                        long idleSince = Math.max(head.enqueuedAtMillis(), c.lastEnd.getOrDefault(ws, Long.MIN_VALUE));
                        assertThat(c.sim.now - idleSince).as("%s has queued tasks (head %s) and ran nothing since %d ms; now %d ms",
                                ws, head, idleSince, c.sim.now).isLessThanOrEqualTo(bound);
                    }
                }
            }
        });
    }

    @Test
    @DisplayName("SPEC ADM-2, ADM-4, ADM-5, ADM-6, RG-4, RG-5: FAIR_SHARE keeps the rules after every event, in the reference's order")
    void fairShareKeepsTheRulesAfterEveryEvent() {
        fairShareKeepsTheRules(Fault.NONE).check();
    }

    @Test
    @DisplayName("SPEC ADM-5: under FAIR_SHARE every task that can fit eventually starts")
    void everyTaskThatCanFitEventuallyStarts() {
        everyTaskStarts(Fault.NONE).check();
    }

    @Test
    @DisplayName("FAIR_SHARE: a quiet workspace's task starts before a flooding workspace's later ones; under ARRIVAL it does not")
    void aQuietWorkspacesTaskGoesBeforeTheFlood() {
        aQuietWorkspaceGoesFirst(QueuePolicy.FAIR_SHARE).check();
        assertThat(aQuietWorkspaceGoesFirst(QueuePolicy.ARRIVAL).findFailure())
                .as("the property fails under ARRIVAL (the flood goes first), so it can fail").isPresent();
    }

    @Test
    @DisplayName("the FAIR_SHARE properties catch a broken ledger")
    void thePropertiesCatchABrokenLedger() {
        // SPEC RG-4
        assertThat(fairShareKeepsTheRules(Fault.ADMITS_WHILE_NOT_ADMITTING).findFailure()).isPresent();
        // SPEC ADM-5
        assertThat(everyTaskStarts(Fault.KEEPS_FINISHED_CU).findFailure()).isPresent();
    }

    @Test
    @DisplayName("FAIR_SHARE weights: two backlogged workspaces hold the group in the ratio of their weights; a ledger that ignores them does not")
    void weightsDivideTheGroupBetweenBackloggedWorkspaces() {
        weightsDivideTheGroup(Fault.NONE).check();
        assertThat(weightsDivideTheGroup(Fault.IGNORES_WEIGHTS).findFailure())
                .as("the property catches a ledger that ignores the weights").isPresent();
    }

    @Test
    @DisplayName("FAIR_SHARE weight 0: such a workspace's task starts only with what no task of a positive weight could take")
    void aWorkspaceOfWeightZeroGetsOnlyTheRest() {
        weightZeroGetsOnlyTheRest(Fault.NONE).check();
        assertThat(weightZeroGetsOnlyTheRest(Fault.IGNORES_WEIGHTS).findFailure())
                .as("the property catches a ledger that gives weight 0 a share like the others").isPresent();
    }

    @Test
    @DisplayName("SPEC ADM-5 under FAIR_SHARE: a backlogged workspace that runs nothing starts within G + k·2·(D + 1 s);"
            + " ordering by share alone (fair23) breaks it")
    void anIdleBackloggedWorkspaceStartsWithinTheBound() {
        anIdleWorkspaceStartsWithinTheBound(Fault.NONE).check();
        assertThat(anIdleWorkspaceStartsWithinTheBound(Fault.NO_IDLE_GUARANTEE).findFailure())
                .as("the property catches a ledger without the idle guarantee (the order by share alone)").isPresent();
    }
}
