package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.LedgerInfo;
import dev.srg.admission.QueuedTask;
import dev.srg.execution.ExecutionBackend;
import dev.srg.execution.ExitListener;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.RecoveredInstance;
import dev.srg.execution.TaskKind;
import dev.srg.time.SimulatedClock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves instances through their lives: keeps one admission ledger per group (rebuilt from the
 * store at start), decides which queued instances start, commits QUEUED → STARTING before it
 * launches anything (write-ahead), launches, and records each outcome with a compare-and-set.
 * Every event of a group (submit, finish, cancel, limits) re-runs admission for that group.
 */
public final class InstanceDispatcher implements ExitListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceDispatcher.class);

    private final Jdbi jdbi;
    private final Clock clock;
    private final Function<String, GroupLimits> limits;
    private final Map<String, GroupLedger> ledgers = new ConcurrentHashMap<>();
    /** The group of every instance the ledgers know (queued or running). */
    private final Map<String, String> groupOf = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-admission-tick").daemon().factory());
    private volatile ExecutionBackend backend;
    private final List<DispatchListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public InstanceDispatcher(Jdbi jdbi, Clock clock, Function<String, GroupLimits> limits) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.limits = requireNonNull(limits, "limits is null");
    }

    /**
     * Rebuilds the ledgers from the store, re-attaches to what still runs, relaunches what was
     * committed as STARTING but never started, then admits. Called once at start, before the API.
     */
    public void start(ExecutionBackend executionBackend) {
        this.backend = requireNonNull(executionBackend, "executionBackend is null");
        List<InstanceDao.Row> active = jdbi.withHandle(h -> new InstanceDao(h, clock).active());
        List<String> launched = new ArrayList<>();
        for (InstanceDao.Row row : active) {
            InstanceInfo i = row.info();
            GroupLedger ledger = ledger(i.resourceGroupId());
            groupOf.put(i.id(), i.resourceGroupId());
            synchronized (ledger) {
                if (i.status() == InstanceStatus.QUEUED) {
                    ledger.enqueue(queued(row));
                } else {
                    ledger.restoreRunning(i.id(), i.usageType(), i.cu().milli());
                    launched.add(i.id());
                }
            }
        }
        Map<String, InstanceDao.Row> byId = new java.util.HashMap<>();
        active.forEach(r -> byId.put(r.id(), r));
        for (RecoveredInstance r : backend.recover(launched)) {
            if (r.state() == RecoveredInstance.State.NOT_STARTED) {
                // committed STARTING, never launched: launching again runs it at most once
                launch(byId.get(r.instanceId()));
            }
        }
        LOG.info("recovered {} active instance(s): {} launched before, {} queued", active.size(), launched.size(),
                active.size() - launched.size());
        ledgers.keySet().forEach(this::admit);
        // starvation bounds are crossed with time, not only with events
        ticker.scheduleWithFixedDelay(() -> ledgers.forEach((id, ledger) -> {
            if (ledger.queuedCount() > 0) {
                admit(id);
            }
        }), 1, 1, TimeUnit.SECONDS);
    }

    /** A new instance was committed as QUEUED: queue it and admit. */
    void submitted(InstanceDao.Row row) {
        String groupId = row.info().resourceGroupId();
        GroupLedger ledger = ledger(groupId);
        groupOf.put(row.id(), groupId);
        synchronized (ledger) {
            ledger.enqueue(queued(row));
        }
        admit(groupId);
    }

    /** Cancels a queued instance, or asks the backend to kill a started one (its exit comes later). */
    boolean cancel(InstanceInfo instance) {
        if (instance.status() == InstanceStatus.QUEUED) {
            GroupLedger ledger = ledger(instance.resourceGroupId());
            synchronized (ledger) {
                if (jdbi.withHandle(h -> new InstanceDao(h, clock).cancelQueued(instance.id()))) {
                    ledger.cancelQueued(instance.id());
                    groupOf.remove(instance.id());
                    listeners.forEach(l -> l.finished(instance.resourceGroupId(), InstanceStatus.CANCELLED));
                    return true;
                }
            }
        }
        // STARTING or RUNNING (possibly just now): the backend kills it or keeps it from starting
        backend.cancel(instance.id());
        return true;
    }

    /** A group's state, capacity, quotas or concurrency changed: adopt them and admit. */
    public void limitsChanged(String groupId) {
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            ledger.setLimits(limits.apply(groupId));
        }
        admit(groupId);
    }

    public LedgerInfo snapshot(String groupId) {
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            return ledger.snapshot(clock.millis());
        }
    }

    /** Adds a listener told of admissions and outcomes (metrics, usage history). */
    public void addListener(DispatchListener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    /**
     * Reads every group's ledger, each under its lock, without walking queues (cheap: for sampling
     * and metrics). The reader must only read, and quickly.
     */
    public void readLedgers(java.util.function.BiConsumer<String, GroupLedger> reader) {
        ledgers.forEach((id, ledger) -> {
            synchronized (ledger) {
                reader.accept(id, ledger);
            }
        });
    }

    /** How many instances run on a group now. */
    public int running(String groupId) {
        GroupLedger ledger = ledgers.get(groupId);
        if (ledger == null) {
            return 0;
        }
        synchronized (ledger) {
            return ledger.runningCount();
        }
    }

    @Override
    public void onExit(String instanceId, ExitStatus status) {
        onExit(instanceId, status, 0);
    }

    /**
     * Records an outcome; while the store is unreachable, tries again with backoff (the outcome
     * stays in memory and in the backend's exit file, and the group keeps the task's CUs until it
     * is recorded). The write is a compare-and-set, so a retry after a commit whose answer was
     * lost records nothing twice.
     */
    private void onExit(String instanceId, ExitStatus status, int attempt) {
        InstanceStatus outcome = switch (status.reason()) {
            case NONE -> InstanceStatus.SUCCEEDED;
            case TIMEOUT -> InstanceStatus.TIMED_OUT;
            case CANCELLED -> InstanceStatus.CANCELLED;
            default -> InstanceStatus.FAILED;
        };
        // the backend reads the system clock; the store keeps every time on the injected one
        java.time.Instant startedAt = status.startedAt() == null ? null : SimulatedClock.onClock(clock, status.startedAt());
        java.time.Instant finishedAt = SimulatedClock.onClock(clock, status.finishedAt());
        boolean recorded;
        try {
            recorded = jdbi.withHandle(h -> new InstanceDao(h, clock).finish(instanceId, outcome, status.exitCode(),
                    status.reason() == dev.srg.execution.FailureReason.NONE ? null : status.reason().name(),
                    startedAt, finishedAt, status.cpuSeconds(), status.peakMemoryBytes(),
                    status.limitsEnforced(), status.limitsNote()));
        } catch (RuntimeException e) {
            long delay = Math.min(5_000L, 250L << Math.min(attempt, 5));
            LOG.warn("cannot record the outcome of {} yet (try {} in {} ms): {}", instanceId, attempt + 2, delay, e.toString());
            try {
                ticker.schedule(() -> onExit(instanceId, status, attempt + 1), delay, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                LOG.warn("shutting down: the outcome of {} is recorded at the next start", instanceId);
            }
            return;
        }
        if (!recorded) {
            LOG.debug("exit of {} was already recorded", instanceId);
        }
        String groupId = groupOf.remove(instanceId);
        if (recorded && groupId != null) {
            listeners.forEach(l -> l.finished(groupId, outcome));
        }
        if (groupId != null) {
            GroupLedger ledger = ledger(groupId);
            synchronized (ledger) {
                ledger.release(instanceId);
            }
            admit(groupId);
        }
    }

    /** Decide, commit the starts in one statement, then launch outside the group's lock. */
    private void admit(String groupId) {
        GroupLedger ledger = ledger(groupId);
        List<InstanceDao.Row> toLaunch;
        synchronized (ledger) {
            List<QueuedTask> admitted = ledger.admit(clock.millis());
            if (admitted.isEmpty()) {
                return;
            }
            List<String> ids = admitted.stream().map(QueuedTask::id).toList();
            try {
                toLaunch = jdbi.inTransaction(h -> new InstanceDao(h, clock).markStarting(ids));
            } catch (RuntimeException e) {
                // the store is unreachable: put them back in their places and try again on the next tick
                LOG.warn("could not commit the start of {} instance(s) of {}: {}", ids.size(), groupId, e.toString());
                for (QueuedTask t : admitted) {
                    ledger.release(t.id());
                    ledger.enqueue(t);
                }
                return;
            }
            var started = toLaunch.stream().map(InstanceDao.Row::id).collect(java.util.stream.Collectors.toSet());
            long now = clock.millis();
            for (QueuedTask t : admitted) {
                if (started.contains(t.id())) {
                    listeners.forEach(l -> l.admitted(groupId, t.type(), Math.max(0, now - t.enqueuedAtMillis())));
                } else {
                    // cancelled between the decision and the commit
                    ledger.release(t.id());
                    groupOf.remove(t.id());
                }
            }
        }
        toLaunch.forEach(this::launch);
    }

    private void launch(InstanceDao.Row row) {
        InstanceInfo i = row.info();
        try {
            var spec = new LaunchSpec(i.id(), TaskKind.valueOf(i.type().name()), row.script(), i.cu().milli(),
                    Duration.ofSeconds(i.timeoutSeconds()), Map.of("SRG_INSTANCE_ID", i.id(),
                    "SRG_RESOURCE_GROUP_ID", i.resourceGroupId(), "SRG_WORKSPACE_ID", i.workspaceId()));
            backend.launch(spec);
            jdbi.useHandle(h -> new InstanceDao(h, clock).markRunning(i.id()));
        } catch (RuntimeException e) {
            LOG.warn("launching {} failed: {}", i.id(), e.toString());
            onExit(i.id(), ExitStatus.withoutRun(dev.srg.execution.FailureReason.LAUNCH_FAILED, clock.instant(),
                    "launch failed: " + e.getMessage()));
        }
    }

    private static QueuedTask queued(InstanceDao.Row row) {
        InstanceInfo i = row.info();
        return new QueuedTask(i.id(), i.usageType(), i.cu().milli(), i.priority(), row.sequence(), i.queuedAt().toEpochMilli());
    }

    private GroupLedger ledger(String groupId) {
        return ledgers.computeIfAbsent(groupId, id -> new GroupLedger(limits.apply(id)));
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
