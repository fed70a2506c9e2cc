package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.LedgerInfo;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.admission.UsageType;
import dev.srg.admission.WaitReason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.jdbi.v3.core.Jdbi;

/**
 * When queued instances should start (SPEC MON-2): replays the group's future on a copy of its
 * admission ledger — the same rule, order, backfill and starvation holds — with each running
 * instance ending after the median run time of recent successful runs of its usage type (or at
 * its timeout when there is no such history, or it ran longer), and each admitted one running
 * as long in turn. An estimate, not a promise: a later task of higher priority, a cancel or a
 * quota change moves it. Instances that would not start within the horizon, wait for a person
 * (a frozen or expired group) or can never fit the current limits get no time, and say why.
 */
final class StartEstimator {
    static final Duration HORIZON = Duration.ofDays(30);
    static final int MAX_STEPS = 20_000;

    private final Jdbi jdbi;
    private final Clock clock;

    StartEstimator(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Each queued instance of the snapshot's group, by id: its queue position with the estimate. */
    Map<String, InstanceInfo.QueuePosition> positions(String groupId, LedgerInfo snapshot) {
        Map<String, InstanceInfo.QueuePosition> out = new HashMap<>();
        if (snapshot.queue().isEmpty()) {
            return out;
        }
        long now = clock.millis();
        record Data(List<InstanceDao.Row> active, Map<UsageType, Long> typical) {}
        Data data = jdbi.withHandle(h -> {
            InstanceDao dao = new InstanceDao(h, clock);
            return new Data(dao.activeIn(groupId), dao.typicalRunMillis(groupId));
        });
        Map<String, Long> startAt = simulate(snapshot, data.active(), data.typical(), now);
        String how = data.typical().isEmpty() ? "estimated from the timeouts of running tasks (no run history yet)"
                : "estimated from recent run times and the timeouts of running tasks";
        for (QueuedTaskInfo q : snapshot.queue()) {
            Long at = startAt.get(q.task().id());
            String note;
            if (at != null) {
                note = q.reason() == WaitReason.READY ? "starts now" : how;
            } else if (q.reason() == WaitReason.GROUP_NOT_ADMITTING) {
                note = "cannot be estimated: the group does not admit tasks now (frozen, expired or not running)";
            } else if (!q.fitsWhenIdle()) {
                note = "cannot be estimated: the task does not fit the group's current limits even when idle";
            } else {
                note = "cannot be estimated: it would not start within " + HORIZON.toDays() + " days at the current pace";
            }
            out.put(q.task().id(), new InstanceInfo.QueuePosition(q.position(), q.reason(),
                    at == null ? null : Instant.ofEpochMilli(at), note));
        }
        return out;
    }

    private static Map<String, Long> simulate(LedgerInfo snapshot, List<InstanceDao.Row> active, Map<UsageType, Long> typical,
                                              long now) {
        Map<String, Long> startAt = new HashMap<>();
        if (!snapshot.limits().admitting()) {
            return startAt;
        }
        GroupLedger ledger = new GroupLedger(snapshot.limits());
        record End(long at, String id) {}
        PriorityQueue<End> ends = new PriorityQueue<>((a, b) -> Long.compare(a.at(), b.at()));
        Map<String, Long> runFor = new HashMap<>();
        for (InstanceDao.Row row : active) {
            InstanceInfo i = row.info();
            // a service runs until stopped: past the horizon, as far as the estimate can see
            long limit = i.timeoutSeconds() == null ? 2 * HORIZON.toMillis() : i.timeoutSeconds() * 1000L;
            long expected = i.timeoutSeconds() == null ? limit : Math.min(limit, typical.getOrDefault(i.usageType(), limit));
            if (i.status() == InstanceStatus.QUEUED) {
                runFor.put(i.id(), expected);
                continue;
            }
            long started = i.startedAt() != null ? i.startedAt().toEpochMilli() : now;
            long end = started + expected;
            if (end <= now) {
                end = Math.min(started + limit, now + expected); // ran longer than usual: at the latest, its timeout
            }
            ledger.restoreRunning(i.id(), i.usageType(), i.cu().milli());
            ends.add(new End(Math.max(end, now), i.id()));
        }
        int queued = 0;
        for (QueuedTaskInfo q : snapshot.queue()) {
            QueuedTask t = q.task();
            if (!ledger.isRunning(t.id())) {
                ledger.enqueue(t);
                queued++;
            }
        }
        long horizon = now + HORIZON.toMillis();
        long time = now;
        int steps = 0;
        while (queued > 0 && steps++ < MAX_STEPS) {
            for (QueuedTask t : ledger.admit(time)) {
                startAt.put(t.id(), time);
                queued--;
                ends.add(new End(time + runFor.getOrDefault(t.id(), 3_600_000L), t.id()));
            }
            End next = ends.poll();
            if (next == null || next.at() > horizon) {
                break;
            }
            time = next.at();
            ledger.release(next.id());
            while (!ends.isEmpty() && ends.peek().at() == time) {
                ledger.release(ends.poll().id());
            }
        }
        return startAt;
    }
}
