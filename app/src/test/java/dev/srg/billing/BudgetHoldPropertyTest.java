package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.admission.BudgetHold;
import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.admission.UsageType;
import dev.srg.admission.WaitReason;
import dev.srg.testing.SeededProperty;
import java.time.Duration;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC BEY-3 (the optional hold): a budget that holds new tasks once spent, from its decider to
 * the admission ledger, over random spending, raises and cuts, the hold turned on and off, month
 * changes, the budgets' job, restarts (the ledger rebuilt from the "store"), submissions of two
 * workspaces and finishes, against a reference model:
 * <ul>
 *   <li>after a sync (the job, a change of the budget) the scope is held exactly when the hold is
 *       on and the month's spending reached the amount; a new month releases at once;
 *   <li>no held task starts, nothing running is ever stopped, no task starts twice or is lost;
 *   <li>the held tasks are invisible to admission: the ledger starts exactly what a ledger without
 *       them starts, and shows them with reason BUDGET.
 * </ul>
 * The decider is what production applies (BudgetManager stores {@code holdingMonth}; the admission
 * reader applies {@code holds} with the clock's month).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BudgetHoldPropertyTest {
    static final String HELD_WS = "ws-a";
    static final String OTHER_WS = "ws-b";
    static final YearMonth FIRST = YearMonth.of(2026, 11);

    sealed interface Event permits Spend, SetAmount, SetHold, NextMonth, JobRun, Restart, Submit, Finish, Tick {}

    record Spend(long micros) implements Event {}

    /** A PATCH of the amount: the manager syncs the hold before answering. */
    record SetAmount(long micros) implements Event {}

    record SetHold(boolean on) implements Event {}

    record NextMonth() implements Event {}

    record JobRun() implements Event {}

    record Restart() implements Event {}

    record Submit(boolean heldWorkspace, int quarters, UsageType type) implements Event {}

    record Finish(int pick) implements Event {}

    record Tick(long millis) implements Event {}

    /** @param wholeGroup the budget covers the group (every task) rather than workspace ws-a */
    record Params(boolean wholeGroup, long capacityMilliCu, long amount) {}

    /** What production uses, or a broken variant. */
    interface Decider {
        String holdingMonth(boolean holdNewTasks, long amount, long spent, YearMonth month);

        boolean holds(boolean holdNewTasks, String holdingMonth, YearMonth now);
    }

    static final Decider REAL = new Decider() {
        @Override
        public String holdingMonth(boolean holdNewTasks, long amount, long spent, YearMonth month) {
            return BudgetDecider.holdingMonth(holdNewTasks, amount, spent, month);
        }

        @Override
        public boolean holds(boolean holdNewTasks, String holdingMonth, YearMonth now) {
            return BudgetDecider.holds(holdNewTasks, holdingMonth, now);
        }
    };

    static SeededProperty<Params, Event> property(Decider decider) {
        return SeededProperty.of("budget hold: held tasks never start and start once released", 300, 80, new SeededProperty.Cases<>() {
            @Override
            public Params parameters(Random r) {
                return new Params(r.nextInt(3) == 0, 250L * (4 + r.nextInt(29)), 1 + r.nextLong(1_000_000L));
            }

            @Override
            public Event event(Random r, Params p) {
                return switch (r.nextInt(16)) {
                    case 0 -> new SetAmount(1 + r.nextLong(1_000_000L));
                    case 1 -> new SetHold(r.nextInt(4) != 0);
                    case 2 -> new NextMonth();
                    case 3, 4 -> new JobRun();
                    case 5 -> new Restart();
                    case 6, 7, 8, 9 -> new Submit(r.nextBoolean(), 1 + r.nextInt(8),
                            UsageType.values()[r.nextInt(UsageType.values().length)]);
                    case 10, 11 -> new Finish(r.nextInt(1000));
                    case 12 -> new Tick(r.nextLong(120_000));
                    default -> new Spend(r.nextLong(p.amount() / 3 + 1));
                };
            }

            @Override
            public void check(Params p, List<Event> events) {
                // the store
                long amount = p.amount();
                long spent = 0;
                boolean holdNewTasks = true;
                String holdingMonth = null;
                YearMonth month = FIRST;
                // the reference
                boolean refHeld = false;
                Map<String, QueuedTask> queued = new LinkedHashMap<>();
                Map<String, QueuedTask> running = new TreeMap<>();
                Set<String> startedEver = new HashSet<>();
                long now = 0;
                long sequence = 0;
                GroupLimits base = GroupLimits.of(p.capacityMilliCu());
                GroupLedger ledger = new GroupLedger(base, Duration.ofSeconds(60));
                for (Event e : events) {
                    boolean sync = false;
                    switch (e) {
                        case Spend s -> spent += s.micros();
                        case SetAmount a -> {
                            amount = a.micros();
                            sync = true;
                        }
                        case SetHold h -> {
                            holdNewTasks = h.on();
                            sync = true;
                        }
                        case NextMonth x -> {
                            month = month.plusMonths(1);
                            spent = 0;
                            refHeld = false;
                        }
                        case JobRun x -> sync = true;
                        case Restart x -> {
                            ledger = new GroupLedger(base, Duration.ofSeconds(60));
                            for (QueuedTask t : running.values()) {
                                ledger.restoreRunning(t.id(), t.type(), t.milliCu());
                            }
                            for (QueuedTask t : queued.values()) {
                                ledger.enqueue(t);
                            }
                        }
                        case Submit s -> {
                            QueuedTask t = new QueuedTask("i-" + sequence, s.type(), 250L * s.quarters(), 0, sequence++, now,
                                    s.heldWorkspace() ? HELD_WS : OTHER_WS);
                            queued.put(t.id(), t);
                            ledger.enqueue(t);
                        }
                        case Finish f -> {
                            if (!running.isEmpty()) {
                                String id = new ArrayList<>(running.keySet()).get(f.pick() % running.size());
                                running.remove(id);
                                assertThat(ledger.release(id)).isTrue();
                            }
                        }
                        case Tick t -> now += t.millis();
                    }
                    if (sync) {
                        holdingMonth = decider.holdingMonth(holdNewTasks, amount, spent, month);
                        refHeld = holdNewTasks && spent >= amount;
                    }
                    // admission reads the limits with the clock's month, and admits
                    boolean held = decider.holds(holdNewTasks, holdingMonth, month);
                    assertThat(held).as("held after %s (hold %s, spent %d of %d, month %s)", e, holdNewTasks, spent, amount, month)
                            .isEqualTo(refHeld);
                    BudgetHold hold = !held ? BudgetHold.NONE : p.wholeGroup() ? new BudgetHold(true, Set.of())
                            : new BudgetHold(false, Set.of(HELD_WS));
                    GroupLimits limits = base.withBudgetHold(hold);
                    int runningBefore = ledger.runningCount();
                    ledger.setLimits(limits);
                    assertThat(ledger.runningCount()).as("nothing running stops").isEqualTo(runningBefore);

                    // the reference: a ledger that never saw the held tasks
                    GroupLedger reference = new GroupLedger(base, Duration.ofSeconds(60));
                    running.values().forEach(t -> reference.restoreRunning(t.id(), t.type(), t.milliCu()));
                    queued.values().stream().filter(t -> !hold.holds(t)).forEach(reference::enqueue);
                    List<QueuedTaskInfo> shown = ledger.snapshot(now).queue();
                    for (QueuedTaskInfo q : shown) {
                        assertThat(q.reason() == WaitReason.BUDGET).as("reason of %s", q.task()).isEqualTo(hold.holds(q.task()));
                    }
                    Set<String> started = ledger.admit(now).stream().map(QueuedTask::id).collect(Collectors.toSet());
                    Set<String> expected = reference.admit(now).stream().map(QueuedTask::id).collect(Collectors.toSet());
                    assertThat(started).as("started after %s", e).isEqualTo(expected);
                    for (String id : started) {
                        assertThat(hold.holds(queued.get(id))).as("%s is held", id).isFalse();
                        assertThat(startedEver.add(id)).as("%s starts once", id).isTrue();
                        running.put(id, queued.remove(id));
                    }
                    assertThat(ledger.queuedCount()).as("nothing lost").isEqualTo(queued.size());
                    assertThat(ledger.runningCount()).isEqualTo(running.size());
                }
            }
        });
    }

    @Test
    @DisplayName("SPEC BEY-3: a spent budget's hold keeps its new tasks queued (reason BUDGET), stops nothing running,"
            + " and releases them on a raise, the hold turned off or a new month")
    void matchesTheReference() {
        property(REAL).check();
    }

    @Test
    @DisplayName("SPEC BEY-3: a decider that keeps a hold into the next month is caught")
    void brokenVariantIsCaught() {
        Decider broken = new Decider() {
            @Override
            public String holdingMonth(boolean holdNewTasks, long amount, long spent, YearMonth month) {
                return BudgetDecider.holdingMonth(holdNewTasks, amount, spent, month);
            }

            @Override
            public boolean holds(boolean holdNewTasks, String holdingMonth, YearMonth now) {
                return holdNewTasks && holdingMonth != null;
            }
        };
        assertThat(property(broken).findFailure()).isPresent();
    }

    @Test
    @DisplayName("SPEC BEY-3: the hold starts exactly at the amount and only in its month")
    void boundary() {
        assertThat(BudgetDecider.holdingMonth(true, 100, 99, FIRST)).isNull();
        assertThat(BudgetDecider.holdingMonth(true, 100, 100, FIRST)).isEqualTo("2026-11");
        assertThat(BudgetDecider.holdingMonth(false, 100, 100, FIRST)).isNull();
        assertThat(BudgetDecider.holds(true, "2026-11", FIRST)).isTrue();
        assertThat(BudgetDecider.holds(true, "2026-11", FIRST.plusMonths(1))).isFalse();
        assertThat(BudgetDecider.holds(false, "2026-11", FIRST)).isFalse();
    }
}
