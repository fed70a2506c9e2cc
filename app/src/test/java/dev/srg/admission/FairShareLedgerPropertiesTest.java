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

    /** The events of {@link GroupLedgerPropertiesTest#operation}, each submission of a workspace (mostly ws-a, which floods), now and then a policy switch. */
    static Object fairOperation(Random r) {
        if (r.nextInt(60) == 0) {
            return new SetPolicy(r.nextInt(3) == 0 ? QueuePolicy.ARRIVAL : QueuePolicy.FAIR_SHARE);
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
}
