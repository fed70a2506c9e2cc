package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.LedgerInfo;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.admission.WaitReason;
import dev.srg.execution.WorkShape;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * When queued instances should start (SPEC MON-2, BEY-1): the group's future replayed through a
 * copy of its admission ledger ({@link StartReplay}), each running instance ending at its start
 * plus the expected run time of its task (the median of the recent successful runs of the same
 * task name in its workspace, else its timeout; a service's end cannot be told), each queued one
 * running its expected time in turn. An estimate, not a promise: a later task of higher priority,
 * a cancel or a quota change moves it; every estimate says what it rests on, or why there is none.
 */
final class StartEstimator {
    private final Jdbi jdbi;
    private final Clock clock;

    StartEstimator(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * How long a task is expected to run, and on what that rests.
     *
     * @param millis null when it cannot be told (a service runs until stopped)
     * @param fromHistory whether it is the median of recent runs (else the timeout, or unknown)
     * @param basis what it rests on, in words
     */
    record Expectation(Long millis, boolean fromHistory, String basis) {}

    /** The expected run time of a task of this workspace, name, shape and timeout, given the run history. */
    static Expectation expect(String workspaceId, String name, WorkShape shape, Integer timeoutSeconds,
                              Map<InstanceDao.TaskName, InstanceDao.RunHistory> history) {
        if (shape == WorkShape.SERVICE || timeoutSeconds == null) {
            return new Expectation(null, false, "a service runs until it is stopped");
        }
        long timeout = timeoutSeconds * 1000L;
        InstanceDao.RunHistory h = name == null ? null : history.get(new InstanceDao.TaskName(workspaceId, name));
        if (h != null) {
            return new Expectation(Math.min(timeout, h.medianMillis()), true,
                    "the median of the last " + h.runs() + " successful run(s) of '" + name + "'");
        }
        return new Expectation(timeout, false, name == null
                ? "its timeout (it has no name: named tasks are estimated from their past runs)"
                : "its timeout (no successful run of '" + name + "' yet)");
    }

    /** What the estimate of one group needs from the store, read in one go. */
    private record Facts(List<InstanceDao.Row> active, Map<InstanceDao.TaskName, InstanceDao.RunHistory> history) {}

    private Facts facts(String groupId, InstanceDao.TaskName extra) {
        return jdbi.withHandle(h -> {
            InstanceDao dao = new InstanceDao(h, clock);
            List<InstanceDao.Row> active = dao.activeIn(groupId);
            Set<InstanceDao.TaskName> names = new HashSet<>();
            for (InstanceDao.Row r : active) {
                if (r.info().name() != null) {
                    names.add(new InstanceDao.TaskName(r.info().workspaceId(), r.info().name()));
                }
            }
            if (extra != null) {
                names.add(extra);
            }
            return new Facts(active, dao.runHistory(names));
        });
    }

    /** The replay's input built from the store's active instances and the ledger's queue. */
    private record Input(List<StartReplay.Running> running, List<StartReplay.Waiting> waiting, int fromHistory, int fromTimeout) {}

    private static Input input(LedgerInfo snapshot, Facts facts, long now) {
        List<StartReplay.Running> running = new ArrayList<>();
        Map<String, Long> runFor = new HashMap<>();
        int fromHistory = 0;
        int fromTimeout = 0;
        Set<String> queued = new HashSet<>();
        snapshot.queue().forEach(q -> queued.add(q.task().id()));
        for (InstanceDao.Row row : facts.active()) {
            InstanceInfo i = row.info();
            Expectation e = expect(i.workspaceId(), i.name(), i.shape(), i.timeoutSeconds(), facts.history());
            // QUEUED in the store but not in the ledger's queue: admission took it and has not
            // committed its start yet (it runs on the dispatcher's threads): it runs from now
            if (i.status() == InstanceStatus.QUEUED && queued.contains(i.id())) {
                runFor.put(i.id(), e.millis());
                continue;
            }
            Long end = null;
            if (e.millis() != null) {
                long started = i.startedAt() != null ? i.startedAt().toEpochMilli() : now;
                long expectedEnd = started + e.millis();
                boolean history = e.fromHistory();
                if (expectedEnd <= now && history) {
                    // ran longer than its task usually does: at the latest, its timeout
                    expectedEnd = started + i.timeoutSeconds() * 1000L;
                    history = false;
                }
                if (history) {
                    fromHistory++;
                } else {
                    fromTimeout++;
                }
                end = Math.max(expectedEnd, now);
            }
            running.add(new StartReplay.Running(i.id(), i.usageType(), i.cu().milli(), end, i.workspaceId()));
        }
        List<StartReplay.Waiting> waiting = new ArrayList<>();
        for (QueuedTaskInfo q : snapshot.queue()) {
            // a queued task the store no longer knows as queued (it started meanwhile): an hour, as a guess; a queued
            // service's null (it runs until stopped) stays null (a long 3_600_000L here unboxed it: a 500 for every read
            // of a group with a service in its queue)
            Long runs = runFor.containsKey(q.task().id()) ? runFor.get(q.task().id()) : Long.valueOf(3_600_000L);
            waiting.add(new StartReplay.Waiting(q.task(), runs));
        }
        return new Input(running, waiting, fromHistory, fromTimeout);
    }

    /** Each queued instance of the snapshot's group, by id: its queue position with the estimate. */
    Map<String, InstanceInfo.QueuePosition> positions(String groupId, LedgerInfo snapshot) {
        Map<String, InstanceInfo.QueuePosition> out = new HashMap<>();
        if (snapshot.queue().isEmpty()) {
            return out;
        }
        long now = clock.millis();
        Facts facts = facts(groupId, null);
        Input input = input(snapshot, facts, now);
        Map<String, StartReplay.Outcome> outcomes = StartReplay.replay(snapshot.limits(), snapshot.shares(), input.running(),
                input.waiting(), now);
        for (QueuedTaskInfo q : snapshot.queue()) {
            StartReplay.Outcome o = outcomes.get(q.task().id());
            out.put(q.task().id(), InstanceInfo.QueuePosition.of(q,
                    o == null || o.startAtMillis() == null ? null : Instant.ofEpochMilli(o.startAtMillis()),
                    note(o, q.reason(), input)));
        }
        return out;
    }

    /** SPEC BEY-1: what a task would do if submitted now, without submitting it. */
    record DryRun(boolean startsNow, int position, WaitReason reason, Instant estimatedStartAt, String estimate,
                  Expectation expected, dev.srg.admission.FairShareInfo fairShare, String behindWorkspaceId) {}

    /**
     * Where {@code candidate} (not queued anywhere: its id is made up, its sequence after every
     * other) would stand in the group's queue now, and when it would start.
     */
    DryRun dryRun(String groupId, LedgerInfo snapshot, QueuedTask candidate, String workspaceId, String name,
                  WorkShape shape, Integer timeoutSeconds) {
        long now = clock.millis();
        Facts facts = facts(groupId, name == null ? null : new InstanceDao.TaskName(workspaceId, name));
        Expectation expected = expect(workspaceId, name, shape, timeoutSeconds, facts.history());
        Input input = input(snapshot, facts, now);
        List<StartReplay.Waiting> waiting = new ArrayList<>(input.waiting());
        waiting.add(new StartReplay.Waiting(candidate, expected.millis()));
        // position and reason: the queue with the candidate at its place, as the ledger would walk it
        dev.srg.admission.GroupLedger copy = new dev.srg.admission.GroupLedger(snapshot.limits());
        snapshot.shares().forEach(s -> copy.restoreUsage(s, now));
        for (StartReplay.Running r : input.running()) {
            copy.restoreRunning(r.id(), r.type(), r.milliCu(), r.workspaceId());
        }
        for (StartReplay.Waiting w : waiting) {
            if (!copy.isRunning(w.task().id()) && !copy.isQueued(w.task().id())) {
                copy.enqueue(w.task());
            }
        }
        QueuedTaskInfo at = copy.snapshot(now).queue().stream().filter(q -> q.task().id().equals(candidate.id()))
                .findFirst().orElseThrow();
        StartReplay.Outcome o = StartReplay.replay(snapshot.limits(), snapshot.shares(), input.running(), waiting, now)
                .get(candidate.id());
        boolean startsNow = o != null && o.why() == StartReplay.Why.STARTS_NOW;
        return new DryRun(startsNow, at.position(), startsNow ? WaitReason.READY : at.reason(),
                o == null || o.startAtMillis() == null ? null : Instant.ofEpochMilli(o.startAtMillis()),
                note(o, at.reason(), input), expected, at.fairShare(), at.behindWorkspaceId());
    }

    private static String note(StartReplay.Outcome o, WaitReason reason, Input input) {
        if (o == null) {
            return "cannot be estimated";
        }
        return switch (o.why()) {
            case STARTS_NOW -> "starts now";
            case ESTIMATED -> "estimated by replaying the queue ahead through admission; the " + input.running().size()
                    + " running task(s) end at their expected ends (" + input.fromHistory()
                    + " from the median of their task's recent runs, " + input.fromTimeout() + " from their timeouts)";
            case NOT_ADMITTING -> reason == WaitReason.GROUP_NOT_ADMITTING || reason == null
                    ? "unknown: the group does not admit tasks now (frozen, expired or not running)"
                    : "unknown: the group does not admit tasks now";
            case NEVER_FITS -> "unknown: the task does not fit the group's current limits even when idle";
            case UNKNOWN_END -> "unknown: it waits for " + String.join(", ", o.waitsFor())
                    + ", which run(s) until stopped (no expected end)";
            case BUDGET -> "unknown: a spent budget holds its workspace's or group's new tasks until the next month (UTC),"
                    + " a raised budget or the hold turned off (docs/rules.md#BEY-3)";
            case BEYOND_HORIZON -> "unknown: it would not start within " + StartReplay.HORIZON.toDays() + " days at the expected pace";
        };
    }
}
