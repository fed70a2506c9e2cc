package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.admission.UsageType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SPEC BEY-1: when queued tasks start, found by replaying the group's future through a copy of the
 * real admission ledger (same rule, order, backfill and starvation holds): each running task ends
 * at its expected end, each queued one runs its expected time once admitted. Pure: no I/O, no
 * clock (times are passed in), so it is tested without a database.
 *
 * <p>A task whose end cannot be told (a service runs until stopped) never ends in the replay: a
 * queued task that would only start after it gets no time, and says which tasks it waits for.
 */
final class StartReplay {
    static final Duration HORIZON = Duration.ofDays(30);
    static final int MAX_STEPS = 20_000;

    private StartReplay() {}

    /** A task that runs now; {@code expectedEndMillis} null when its end cannot be told. */
    record Running(String id, UsageType type, long milliCu, Long expectedEndMillis, String workspaceId) {
        Running(String id, UsageType type, long milliCu, Long expectedEndMillis) {
            this(id, type, milliCu, expectedEndMillis, null);
        }

        Running {
            requireNonNull(id, "id is null");
            requireNonNull(type, "type is null");
        }
    }

    /** A queued task and how long it runs once started; {@code expectedRunMillis} null when unknown. */
    record Waiting(QueuedTask task, Long expectedRunMillis) {
        Waiting {
            requireNonNull(task, "task is null");
        }
    }

    /** Why a queued task has the start it has, or has none. */
    enum Why {
        /** It starts at the next admission, now. */
        STARTS_NOW,
        /** It starts at {@link Outcome#startAtMillis()}, when the tasks ahead have ended as expected. */
        ESTIMATED,
        /** The group admits nothing now (frozen, expired, not running): a person or an event must act first. */
        NOT_ADMITTING,
        /** It does not fit the group's current limits even when the group is idle. */
        NEVER_FITS,
        /** It waits for tasks whose end cannot be told ({@link Outcome#waitsFor()}). */
        UNKNOWN_END,
        /** It would not start within {@link #HORIZON}. */
        BEYOND_HORIZON,
        /** A spent budget holds it (SPEC BEY-3) until the next month, a raise or the hold turned off. */
        BUDGET
    }

    /** @param waitsFor for {@link Why#UNKNOWN_END}: the running tasks without an expected end it waits for */
    record Outcome(Long startAtMillis, Why why, List<String> waitsFor) {
        Outcome {
            requireNonNull(why, "why is null");
            waitsFor = List.copyOf(waitsFor);
        }
    }

    /** Every waiting task's outcome, by id. */
    static Map<String, Outcome> replay(GroupLimits limits, List<Running> running, List<Waiting> queue, long now) {
        return replay(limits, List.of(), running, queue, now);
    }

    /**
     * The same, the workspaces' past use of the group ({@code shares}, what FAIR_SHARE orders by) as
     * the group's ledger has it now.
     */
    static Map<String, Outcome> replay(GroupLimits limits, List<dev.srg.admission.WorkspaceShare> shares, List<Running> running,
                                       List<Waiting> queue, long now) {
        Map<String, Outcome> out = new HashMap<>();
        if (!limits.admitting()) {
            queue.forEach(w -> out.put(w.task().id(), new Outcome(null, Why.NOT_ADMITTING, List.of())));
            return out;
        }
        GroupLedger ledger = new GroupLedger(limits);
        shares.forEach(s -> ledger.restoreUsage(s, now));
        record End(long at, String id) {}
        PriorityQueue<End> ends = new PriorityQueue<>((a, b) -> Long.compare(a.at(), b.at()));
        List<String> endless = new ArrayList<>();
        for (Running r : running) {
            ledger.restoreRunning(r.id(), r.type(), r.milliCu(), r.workspaceId());
            if (r.expectedEndMillis() == null) {
                endless.add(r.id());
            } else {
                ends.add(new End(Math.max(now, r.expectedEndMillis()), r.id()));
            }
        }
        Map<String, Long> runFor = new HashMap<>();
        int queued = 0;
        for (Waiting w : queue) {
            if (limits.budgetHold().holds(w.task())) {
                // it starts when a person or the month ends the hold, which no replay can tell
                out.put(w.task().id(), new Outcome(null, Why.BUDGET, List.of()));
            } else if (!ledger.isRunning(w.task().id()) && !ledger.isQueued(w.task().id())) {
                ledger.enqueue(w.task());
                runFor.put(w.task().id(), w.expectedRunMillis());
                queued++;
            }
        }
        long horizon = now + HORIZON.toMillis();
        long time = now;
        boolean pastHorizon = false;
        int steps = 0;
        while (queued > 0 && steps++ < MAX_STEPS) {
            Why started = steps == 1 ? Why.STARTS_NOW : Why.ESTIMATED;
            for (QueuedTask t : ledger.admit(time)) {
                out.put(t.id(), new Outcome(time, started, List.of()));
                queued--;
                Long run = runFor.get(t.id());
                if (run == null) {
                    endless.add(t.id());
                } else {
                    ends.add(new End(time + run, t.id()));
                }
            }
            if (queued == 0) {
                break;
            }
            End next = ends.poll();
            if (next == null) {
                break;
            }
            if (next.at() > horizon) {
                pastHorizon = true;
                break;
            }
            time = next.at();
            ledger.release(next.id(), time);
            while (!ends.isEmpty() && ends.peek().at() == time) {
                ledger.release(ends.poll().id(), time);
            }
        }
        if (queued > 0) {
            // what is left: why it gets no time
            for (QueuedTaskInfo q : ledger.snapshot(time).queue()) {
                Why why = !q.fitsWhenIdle() ? Why.NEVER_FITS
                        : !pastHorizon && !endless.isEmpty() ? Why.UNKNOWN_END : Why.BEYOND_HORIZON;
                out.put(q.task().id(), new Outcome(null, why, why == Why.UNKNOWN_END ? endless : List.of()));
            }
        }
        return out;
    }
}
