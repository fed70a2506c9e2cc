package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.LedgerInfo;
import dev.srg.admission.LimitsSource;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.execution.Enforcement;
import dev.srg.execution.ExecutionBackend;
import dev.srg.execution.ExecutionBackendFactory;
import dev.srg.execution.ExitListener;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchCommand;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.NetworkContext;
import dev.srg.execution.RecoveredInstance;
import dev.srg.execution.ResourceLimits;
import dev.srg.execution.TaskKind;
import dev.srg.execution.TaskKinds;
import dev.srg.execution.WorkShape;
import dev.srg.store.OneTrip;
import dev.srg.time.SimulatedClock;
import dev.srg.trace.SubmitTrace;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves instances through their lives: keeps one admission ledger per group (rebuilt from the
 * store at start), decides which queued instances start, commits QUEUED → STARTING before it
 * launches anything (write-ahead), launches each on the backend of its group's region, and records
 * each outcome with a compare-and-set. Every event of a group (submit, finish, cancel, limits)
 * re-runs admission for that group.
 *
 * <p>A ledger's lock guards only memory: decisions are taken under it, the store is written
 * outside it (a virtual thread blocked in JDBC under a monitor would pin its carrier).
 *
 * <p>Services (shape SERVICE) hold their CU from admission until stopped; when a run ends by
 * itself the next run is committed under a new launch id ({@code <id>.r<n>}) and launched after
 * a backoff, so that each run starts at most once, also across a crash of the server.
 */
public final class InstanceDispatcher implements ExitListener, AdmissionView, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceDispatcher.class);
    private static final Pattern RESTART_RUN = Pattern.compile("(.+)\\.r([0-9]+)");
    static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
    static final Duration MAX_RESTART_DELAY = Duration.ofMinutes(1);
    /** When a follower rehearses a takeover, after it began to follow. */
    static final Duration REHEARSAL_DELAY = Duration.ofSeconds(20);

    private final Jdbi jdbi;
    private final Clock clock;
    private final LimitsSource limits;
    private final TaskKinds kinds;
    private final Map<String, ExecutionBackendFactory> backendFactories;
    private final Function<String, String> backendOfRegion;
    private final LaunchContext context;
    private final Map<String, ExecutionBackend> backends = new ConcurrentHashMap<>();
    private final Map<String, GroupLedger> ledgers = new ConcurrentHashMap<>();
    /** Per group, the newest read of its limits handed out; an older read is never applied over a newer one. */
    private final Map<String, AtomicLong> limitsReads = new ConcurrentHashMap<>();
    private final Map<String, Long> limitsApplied = new ConcurrentHashMap<>();
    /** The group of every instance the ledgers know (queued or running). */
    private final Map<String, String> groupOf = new ConcurrentHashMap<>();
    /** Each workspace's task gid (V44_1): given once, never changed, so read once per workspace. */
    private final Map<String, Long> workspaceGids = new ConcurrentHashMap<>();
    /** The services among the active instances: their exits may be restarts (tasks' exits are read without a query). */
    private final Set<String> services = ConcurrentHashMap.newKeySet();
    /** Services being stopped: their next exit is the end, not a reason to restart. */
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-admission-tick").daemon().factory());
    /**
     * Runs admission and the launches it decides off the threads that asked for it (a submission's
     * request, an exit's callback): a submission answers once its instance is committed QUEUED.
     */
    private final ExecutorService admitter = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("srg-admit-", 0).factory());
    /**
     * {@code true}: the starts committed by submissions are launched on platform threads kept for
     * it ({@link #launcher}) instead of the admitter's virtual threads, so that a launch does not
     * wait for a carrier that the submission's answer and the next requests use (issue 17, eleventh
     * round: the one-at-a-time p99 −5.8 ms in three pairs of three, but the submit call's p99 under
     * 16 clients +14 to +28 ms in three of three; docs/benchmarks.md). Default false.
     */
    static final String LAUNCH_ON_PLATFORM_THREAD_PROPERTY = "srg.admission.launchOnPlatformThread";
    private final boolean launchOnPlatformThread = Boolean.getBoolean(LAUNCH_ON_PLATFORM_THREAD_PROPERTY);
    /** Launches the starts committed by submissions when {@link #LAUNCH_ON_PLATFORM_THREAD_PROPERTY} is set. */
    private final ExecutorService launcher = Executors.newCachedThreadPool(
            Thread.ofPlatform().name("srg-launch-", 0).daemon().factory());
    /**
     * The groups whose admission is asked for and has not begun yet: events that come while one is
     * due are taken by it, so that under load one admission starts (and commits) many instances.
     */
    private final Set<String> admissionsDue = ConcurrentHashMap.newKeySet();
    /**
     * How long at most a due admission waits for the submissions in flight (ms; 0: never): they go
     * ahead of the admitter's transactions and launches (issue 17, docs/benchmarks.md "eighth round").
     */
    static final String YIELD_PROPERTY = "srg.admission.yieldToSubmissionsMs";
    private final SubmissionGate submissions = new SubmissionGate(Long.getLong(YIELD_PROPERTY, 20));
    /** Tasks' outcomes not written yet, and whether a thread is writing them (see {@link #onExit(String, ExitStatus)}). */
    private final Queue<PendingExit> exits = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writingExits = new AtomicBoolean();
    private final List<DispatchListener> listeners = new CopyOnWriteArrayList<>();
    /** Set while this server follows (SPEC HA-1): what only the leader does is handed to it. */
    private volatile Forwarder follower;

    /** Hands work to the leader of the cluster: {@code ("submitted"|"cancel", instanceId)}, {@code ("limits", groupId)}. */
    @FunctionalInterface
    public interface Forwarder {
        void forward(String kind, String target);
    }

    /**
     * @param limits the groups' admission limits, read from the store (one group, or all with work at once)
     * @param kinds the registered task kinds (how each launches)
     * @param backends the backends by name; built (with this dispatcher as their listener) by {@link #start}
     * @param backendOfRegion the name of the backend a region's instances run on
     * @param context the network context of a group's launches
     */
    public InstanceDispatcher(Jdbi jdbi, Clock clock, LimitsSource limits, TaskKinds kinds,
                              Map<String, ExecutionBackendFactory> backends, Function<String, String> backendOfRegion,
                              LaunchContext context) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.kinds = requireNonNull(kinds, "kinds is null");
        this.backendFactories = Map.copyOf(new LinkedHashMap<>(requireNonNull(backends, "backends is null")));
        this.backendOfRegion = requireNonNull(backendOfRegion, "backendOfRegion is null");
        this.context = requireNonNull(context, "context is null");
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("at least one backend is needed");
        }
    }

    /**
     * Builds the backends, rebuilds the ledgers from the store, admits, then re-attaches (per
     * backend) to what still runs and relaunches what was committed as STARTING but never started.
     * Called once at start, before the API, and when this server takes over as the cluster's leader.
     *
     * <p>Admission comes before the re-attach because every started instance is counted in its
     * group's ledger first, from the store, whatever its backend will say of it: what is admitted
     * fits beside all of it, and what the re-attach finds (an exit while nobody watched) only frees
     * CU. A new leader so admits after a handful of statements, not after a walk over every
     * running task (SPEC HA-2: its first write is what ends a takeover).
     */
    public void start() {
        long began = System.nanoTime();
        follower = null;
        buildBackends();
        Active active = readActive();
        long read = System.nanoTime();
        Set<String> groups = active.groups();
        createLedgers(groups);
        long limitsRead = System.nanoTime();
        Map<String, List<String>> launchedByBackend = new HashMap<>();
        Map<String, InstanceDao.Row> byRun = new HashMap<>();
        List<InstanceDao.Row> neverLaunched = new ArrayList<>();
        int launched = 0;
        for (InstanceDao.Row row : active.started()) {
            InstanceInfo i = row.info();
            GroupLedger ledger = ledger(i.resourceGroupId());
            if (groupOf.putIfAbsent(i.id(), i.resourceGroupId()) != null) {
                continue; // submitted while this start ran (a server that just became the leader)
            }
            if (i.shape() == WorkShape.SERVICE) {
                services.add(i.id());
            }
            synchronized (ledger) {
                ledger.restoreRunning(i.id(), i.usageType(), i.cu().milli(), i.workspaceId());
            }
            launched++;
            if (row.backend() == null) {
                // committed STARTING, crashed before the launch was recorded: it was never launched
                neverLaunched.add(row);
            } else {
                launchedByBackend.computeIfAbsent(row.backend(), b -> new ArrayList<>()).add(row.currentRun());
                byRun.put(row.currentRun(), row);
            }
        }
        for (InstanceDao.Queued q : active.queued()) {
            GroupLedger ledger = ledger(q.groupId());
            if (groupOf.putIfAbsent(q.id(), q.groupId()) != null) {
                continue;
            }
            if (q.shape() == WorkShape.SERVICE) {
                services.add(q.id());
            }
            synchronized (ledger) {
                ledger.enqueue(q.task());
            }
        }
        ledgers.keySet().forEach(this::admit);
        long admitted = System.nanoTime();
        // every backend hears that this server is in charge now, also one with nothing active (it may sweep what is left)
        backends.keySet().forEach(name -> launchedByBackend.putIfAbsent(name, new ArrayList<>()));
        launchedByBackend.forEach((name, runs) -> {
            ExecutionBackend backend = backends.get(name);
            if (backend == null) {
                LOG.error("{} instance(s) were launched on backend '{}', which this server does not have; they stay"
                        + " active until it is configured again", runs.size(), name);
                return;
            }
            for (RecoveredInstance r : backend.recover(runs)) {
                if (r.state() == RecoveredInstance.State.NOT_STARTED) {
                    // recorded, never started: launching again runs it at most once
                    launch(byRun.get(r.instanceId()));
                }
            }
        });
        neverLaunched.forEach(this::launch);
        // the parts of a start's (or a takeover's) time, to find where a slow one spent it
        LOG.info("recovered {} active instance(s): {} launched before, {} queued; read in {} ms, limits of {} group(s) in {} ms,"
                        + " admitted in {} ms, re-attached in {} ms", launched + active.queued().size(), launched,
                active.queued().size(), (read - began) / 1_000_000, groups.size(), (limitsRead - read) / 1_000_000,
                (admitted - limitsRead) / 1_000_000, (System.nanoTime() - admitted) / 1_000_000);
        // starvation bounds are crossed with time, not only with events
        ticker.scheduleWithFixedDelay(() -> ledgers.forEach((id, ledger) -> {
            if (ledger.queuedCount() > 0) {
                admit(id);
            }
        }), 1, 1, TimeUnit.SECONDS);
        // followers' submissions and changes come by NOTIFY; this finds any whose notice was lost
        ticker.scheduleWithFixedDelay(this::adoptQueued, 2, 2, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(this::refreshLimits, 10, 10, TimeUnit.SECONDS);
        // a backend's disk short of space holds its groups' starts; room again admits them
        ticker.scheduleWithFixedDelay(this::watchStorage, 0, 1, TimeUnit.SECONDS);
    }

    /** The active instances: the started ones in full (they are re-attached or launched), the queued ones without their payloads. */
    private record Active(List<InstanceDao.Row> started, List<InstanceDao.Queued> queued) {
        Set<String> groups() {
            Set<String> groups = new LinkedHashSet<>();
            started.forEach(r -> groups.add(r.info().resourceGroupId()));
            queued.forEach(q -> groups.add(q.groupId()));
            return groups;
        }
    }

    private Active readActive() {
        return jdbi.withHandle(h -> {
            InstanceDao dao = new InstanceDao(h, clock);
            return new Active(dao.started(), dao.queued());
        });
    }

    /**
     * A follower's rehearsal of a takeover, acting on nothing: what {@link #start} reads, and the
     * admission it decides, on ledgers of its own that are then dropped. A takeover runs code a
     * follower never ran; loading and linking it (classes, lambdas, the statements' mappings) made
     * the first reads of a new leader take most of a second on a loaded machine (issue 16).
     */
    private void rehearse() {
        if (follower == null) {
            return; // leading already
        }
        long began = System.nanoTime();
        try {
            Active active = readActive();
            Set<String> groups = active.groups();
            Map<String, GroupLedger> rehearsal = new HashMap<>();
            limits.readAll(groups).forEach((id, read) -> rehearsal.put(id, new GroupLedger(read)));
            for (InstanceDao.Row r : active.started()) {
                GroupLedger ledger = rehearsal.get(r.info().resourceGroupId());
                if (ledger != null) {
                    ledger.restoreRunning(r.id(), r.info().usageType(), r.info().cu().milli(), r.info().workspaceId());
                }
            }
            for (InstanceDao.Queued q : active.queued()) {
                GroupLedger ledger = rehearsal.get(q.groupId());
                if (ledger != null) {
                    ledger.enqueue(q.task());
                }
            }
            rehearsal.forEach((id, ledger) -> {
                ledger.admit(clock.millis());
                context.network(id);
            });
            LOG.info("rehearsed a takeover: {} active instance(s) of {} group(s) in {} ms",
                    active.started().size() + active.queued().size(), groups.size(), (System.nanoTime() - began) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.debug("rehearsing a takeover failed: {}", e.toString()); // only a warm-up
        }
    }

    /** Creates the ledgers of groups that have none yet, their limits read in one go. */
    private void createLedgers(Set<String> groupIds) {
        Map<String, Long> reads = new HashMap<>();
        groupIds.stream().filter(id -> !ledgers.containsKey(id))
                .forEach(id -> reads.put(id, limitsReads.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet()));
        if (reads.isEmpty()) {
            return;
        }
        Map<String, GroupLimits> read = limits.readAll(reads.keySet());
        Map<String, Map<String, InstanceDao.PastUse>> usage = decayedUsage(read);
        read.forEach((id, groupLimits) -> {
            if (ledgers.putIfAbsent(id, withUsage(new GroupLedger(groupLimits), usage.get(id))) == null) {
                limitsApplied.merge(id, reads.get(id), Math::max);
            }
        }); // a group not found is left to ledger(), which fails as before
    }

    /**
     * The groups' past use per workspace, which FAIR_SHARE orders by: rebuilt from the store's runs
     * whenever a ledger is made (a restart, a takeover), so that neither resets the shares, and when
     * a group's half-life changes; each group's with the half-life of its {@code limits}.
     */
    private Map<String, Map<String, InstanceDao.PastUse>> decayedUsage(Map<String, GroupLimits> limits) {
        Map<String, Duration> halfLives = new HashMap<>();
        limits.forEach((id, l) -> halfLives.put(id, l.fairShare().shareHalfLife()));
        return jdbi.withHandle(h -> new InstanceDao(h, clock).decayedUsage(halfLives, clock.instant()));
    }

    /** A ledger of {@code limits} told each workspace's past use of its group (a new ledger, or one after a restart). */
    private GroupLedger newLedger(String groupId, GroupLimits limits) {
        return withUsage(new GroupLedger(limits), decayedUsage(Map.of(groupId, limits)).get(groupId));
    }

    /** {@code ledger} told each workspace's past use of its group, as of now (before anything is restored as running). */
    private GroupLedger withUsage(GroupLedger ledger, Map<String, InstanceDao.PastUse> byWorkspace) {
        long now = clock.millis();
        if (byWorkspace != null) {
            byWorkspace.forEach((ws, past) -> ledger.restoreUsage(ws, past.decayedCuSeconds(), now, past.lastEndMillis()));
        }
        return ledger;
    }

    /** Builds the backends once (a follower reads logs through them; it launches nothing). */
    private synchronized void buildBackends() {
        if (!backends.isEmpty()) {
            return;
        }
        backendFactories.forEach((name, factory) -> {
            ExecutionBackend backend = factory.create(this);
            backends.put(name, backend);
            LaunchSpec probe = new LaunchSpec("probe", "PROBE", new LaunchCommand(List.of("true"), Map.of(), Map.of()),
                    new ResourceLimits(1000), Duration.ofSeconds(1), Map.of(), NetworkContext.NONE, Optional.empty());
            // SPEC RT-3: said once at start, and on every instance
            LOG.info("backend {}: {}", name, backend.enforcement(probe).notEnforced());
        });
    }

    /**
     * Makes this server a follower (before {@link #start}): submissions, cancels and limit changes
     * are handed to the leader, and what it shows of admission is read from the store.
     */
    public void follow(Forwarder forwarder) {
        this.follower = requireNonNull(forwarder, "forwarder is null");
        buildBackends();
        // once the server's own start is over, not competing with it for the CPU
        ticker.schedule(this::rehearse, REHEARSAL_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Work a follower handed to this server, the leader (idempotent: a notice may come twice). */
    public void work(String kind, String target) {
        try {
            switch (kind) {
                case "submitted" -> jdbi.withHandle(h -> new InstanceDao(h, clock).find(target))
                        .filter(r -> r.info().status() == InstanceStatus.QUEUED).ifPresent(this::submitted);
                case "cancel" -> {
                    InstanceDao.Row row = jdbi.withHandle(h -> new InstanceDao(h, clock).find(target)).orElse(null);
                    if (row != null && row.info().status() == InstanceStatus.CANCELLED) {
                        forgetCancelled(row.info()); // the follower cancelled it while queued
                    } else {
                        cancel(target);
                    }
                }
                case "limits" -> limitsChanged(target);
                default -> LOG.warn("unknown work '{}' for {}", kind, target);
            }
        } catch (RuntimeException e) {
            LOG.warn("work {} {} failed: {}", kind, target, e.toString());
            throw e;
        }
    }

    /** Queued instances this leader does not know yet (a follower's notice was lost). */
    private void adoptQueued() {
        try {
            jdbi.withHandle(h -> new InstanceDao(h, clock).queued()).stream()
                    .filter(q -> !groupOf.containsKey(q.id()))
                    .forEach(this::submitted);
        } catch (RuntimeException e) {
            LOG.debug("looking for queued instances failed: {}", e.toString());
        }
    }

    private void forgetCancelled(InstanceInfo instance) {
        if (groupOf.remove(instance.id()) != null) {
            GroupLedger ledger = ledger(instance.resourceGroupId());
            synchronized (ledger) {
                ledger.cancelQueued(instance.id());
            }
            listeners.forEach(l -> l.finished(instance.resourceGroupId(), InstanceStatus.CANCELLED));
        }
    }

    private void forward(Forwarder f, String kind, String target) {
        try {
            f.forward(kind, target);
        } catch (RuntimeException e) {
            // committed already; the leader's poll finds it (a queued instance, a group's limits)
            LOG.warn("could not hand {} {} to the leader ({}); it finds it at its next poll", kind, target, e.toString());
        }
    }

    /** The registered kinds. */
    public TaskKinds kinds() {
        return kinds;
    }

    /**
     * A submission begins: admissions that become due wait (a bounded time) until it and the
     * others in flight have their answers. Close what this returns when the submission ends.
     */
    SubmissionGate.Submission submissionBegins() {
        return submissions.enter();
    }

    /** A new instance was committed as QUEUED: queue it and admit. */
    void submitted(InstanceDao.Row row) {
        submitted(InstanceDao.Queued.of(row));
    }

    private void submitted(InstanceDao.Queued q) {
        Forwarder f = follower;
        if (f != null) {
            forward(f, "submitted", q.id());
            return;
        }
        String groupId = q.groupId();
        GroupLedger ledger = ledger(groupId);
        if (groupOf.putIfAbsent(q.id(), groupId) != null) {
            return; // known already (a notice and the poll, or the submitting thread, both brought it)
        }
        if (q.shape() == WorkShape.SERVICE) {
            services.add(q.id());
        }
        synchronized (ledger) {
            ledger.enqueue(q.task());
        }
        admitSoon(groupId);
    }

    /**
     * A start decided inside a submission's transaction (issue 17): the ledger counts the task as
     * running already, and the transaction holds its STARTING row with the launch record. After the
     * commit {@link #startCommitted} launches it; if the transaction does not commit,
     * {@link #startUndone} gives the ledger's room back.
     */
    static final class EarlyStart {
        private final String groupId;
        private final QueuedTask task;
        private final Prepared prepared;
        /** The submission's transaction: whether it committed can be asked if its COMMIT's answer is lost. */
        private final String xid;

        private EarlyStart(String groupId, QueuedTask task, Prepared prepared, String xid) {
            this.groupId = groupId;
            this.task = task;
            this.prepared = prepared;
            this.xid = xid;
        }

        /** The instance as the transaction wrote it (STARTING): the submission's answer. */
        InstanceDao.Row row() {
            return prepared.row();
        }

        String instanceId() {
            return task.id();
        }
    }

    /**
     * Before a submission's transaction: the group's network context when the task may start in
     * that transaction (this server leads, nothing is queued in the group, the group admits and
     * has the CU free; the ledger decides exactly inside), else empty. Read here, outside the
     * transaction, so that a submission never holds one pooled connection while it waits for a
     * second, and only when a start is likely (under load the queue is seldom empty).
     * {@code generation}: the network tables' generation when the submission read it already
     * ({@link #networkGenerationRead}, in one round trip with its other reads).
     */
    Optional<NetworkContext> startContext(String groupId, WorkShape shape, long milliCu, OptionalLong generation) {
        if (follower != null || shape == WorkShape.SERVICE) {
            return Optional.empty();
        }
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            if (ledger.queuedCount() > 0 || !ledger.limits().admitting()
                    || ledger.usedMilliCu() + milliCu > ledger.limits().capacityMilliCu()) {
                return Optional.empty();
            }
        }
        return Optional.of(generation.isPresent() ? context.network(groupId, generation.getAsLong()) : context.network(groupId));
    }

    /** What a submission reads with its others so that {@link #startContext} need not read it alone. */
    Optional<OneTrip.Read<Long>> networkGenerationRead() {
        return context.generationRead();
    }

    /**
     * Admits a task just inserted (in {@code h}, not committed) in the same transaction, so the
     * first instruction waits for one commit instead of two; {@code network}: what
     * {@link #startContext} read. Only on the leader, only when nothing waits in the group's queue
     * (the fair queue has nothing ahead of it) and the ledger has room for it now. Empty otherwise:
     * then {@link #submitted} after the commit queues it as before. The same guarantees as the
     * admitter: accepted = durable (nothing is answered before the commit), at most once (the
     * launch record commits before the launch; a crash after the commit leaves STARTING with the
     * launch recorded, which recovery asks the backend about).
     */
    Optional<EarlyStart> startInTransaction(Handle h, InstanceDao.Row row, NetworkContext network) {
        if (follower != null) {
            return Optional.empty(); // the lead moved since startContext
        }
        String groupId = row.info().resourceGroupId();
        GroupLedger ledger = ledger(groupId);
        QueuedTask task = InstanceDao.Queued.of(row).task();
        synchronized (ledger) {
            if (ledger.queuedCount() > 0) {
                return Optional.empty();
            }
            ledger.enqueue(task);
            if (ledger.admit(clock.millis()).isEmpty()) {
                ledger.cancelQueued(task.id());
                return Optional.empty();
            }
        }
        Prepared p = null;
        try {
            p = prepare(row, network);
            if (p.spec() != null) {
                // what the launch needs besides the launch (its files, uid, cgroups) while the UPDATE and
                // the COMMIT go; nothing runs before the commit, and it goes if the start does not commit
                p.backend().prepareAhead(p.spec());
            }
            Optional<InstanceDao.Starting> started = p.spec() == null ? Optional.empty() : new InstanceDao(h, clock)
                    .startWithLaunch(row.id(), p.spec().instanceId(), p.backendName(), p.enforcement());
            if (started.isEmpty()) {
                discardAhead(p);
                giveBack(groupId, task.id()); // cannot be launched: the admitter fails it, as any other
                return Optional.empty();
            }
            return Optional.of(new EarlyStart(groupId, task, new Prepared(started.get().rows().get(0), p.spec(),
                    p.backendName(), p.backend(), p.enforcement(), null), started.get().xid()));
        } catch (RuntimeException e) {
            discardAhead(p);
            giveBack(groupId, task.id());
            throw e;
        }
    }

    /** A start prepared ahead that will not be launched (its transaction did not commit): the backend removes what it made. */
    private static void discardAhead(Prepared p) {
        if (p == null || p.spec() == null || p.backend() == null) {
            return;
        }
        try {
            p.backend().discardAhead(p.spec().instanceId());
        } catch (RuntimeException e) {
            LOG.warn("cannot discard the start of {} prepared ahead (the next start sweeps it): {}", p.spec().instanceId(), e.toString());
        }
    }

    /** The submission's transaction committed the start: launch it on the admitter (or a platform thread, if so set). */
    void startCommitted(EarlyStart start) {
        String id = start.instanceId();
        groupOf.put(id, start.groupId);
        listeners.forEach(l -> l.admitted(start.groupId, start.task.type(), Math.max(0, clock.millis() - start.task.enqueuedAtMillis())));
        try {
            (launchOnPlatformThread ? launcher : admitter).execute(() -> {
                if (launch(start.prepared)) {
                    markRunning(List.of(id));
                }
            });
        } catch (RejectedExecutionException e) {
            // closing: the next start of the server launches the committed run
        }
    }

    /** The submission's transaction did not commit (or the start was not written): the ledger's decision is undone. */
    void startUndone(EarlyStart start) {
        discardAhead(start.prepared);
        giveBack(start.groupId, start.task.id());
    }

    /**
     * The submission's transaction failed after {@code start} was decided in it. A failure from
     * inside the transaction (srg's own refusal) rolled it back. A failure of the store may have
     * come from the COMMIT itself — the connection broke after the server committed, and only the
     * answer was lost — so the store is asked. True: it committed; the caller answers as committed
     * and calls {@link #startCommitted}. False: the room is given back, or, while the store cannot
     * tell, kept until it can and then either launched or given back. The ledger never counts less
     * than the store holds, so the group never runs over its capacity, not even after a restart.
     */
    boolean committedDespite(EarlyStart start, RuntimeException failure) {
        if (!(failure instanceof JdbiException)) {
            startUndone(start);
            return false;
        }
        Optional<Boolean> committed = outcome(start.xid);
        if (committed.isEmpty()) {
            whenKnown(start.xid, ok -> {
                if (ok) {
                    launchCommitted(start.groupId, List.of(start.task));
                } else {
                    startUndone(start);
                }
            }, 0);
            return false;
        }
        if (!committed.get()) {
            startUndone(start);
        }
        return committed.get();
    }

    /** Whether transaction {@code xid} committed; empty while the store cannot tell (in progress, unreachable). */
    private Optional<Boolean> outcome(String xid) {
        try {
            return jdbi.withHandle(h -> InstanceDao.outcome(h, xid));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Asks the store again, later and less often, whether transaction {@code xid} committed; then
     * runs {@code then} with the answer (again, if it fails: what it does must be safe to repeat).
     * Meanwhile the ledger keeps the room the transaction's starts took.
     */
    private void whenKnown(String xid, Consumer<Boolean> then, int attempt) {
        if (attempt == 0) {
            LOG.warn("the outcome of transaction {} is not known (its COMMIT's answer was lost); "
                    + "the room its starts took is kept until the store tells", xid);
        }
        try {
            ticker.schedule(() -> {
                Optional<Boolean> committed = outcome(xid);
                try {
                    if (committed.isPresent()) {
                        then.accept(committed.get());
                        return;
                    }
                } catch (RuntimeException e) {
                    LOG.warn("acting on the outcome of transaction {} failed (tried again): {}", xid, e.toString());
                }
                whenKnown(xid, then, attempt + 1);
            }, Math.min(MAX_OUTCOME_DELAY_MILLIS, 50L << Math.min(10, attempt)), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: the next start of the server builds the ledger from the store, which knows
        }
    }

    private static final long MAX_OUTCOME_DELAY_MILLIS = 5_000;

    /**
     * Starts whose transaction did commit though its answer was lost: each still STARTING is
     * launched as recovery would (its launch recorded again first, so one cancelled meanwhile is
     * not launched); the room of the others is given back. Reads before it changes anything, so a
     * failed read can simply be repeated.
     */
    private void launchCommitted(String groupId, List<QueuedTask> tasks) {
        Map<String, InstanceDao.Row> rows = new HashMap<>();
        jdbi.useHandle(h -> {
            InstanceDao dao = new InstanceDao(h, clock);
            tasks.forEach(t -> dao.find(t.id()).ifPresent(r -> rows.put(t.id(), r)));
        });
        long now = clock.millis();
        boolean gaveBack = false;
        for (QueuedTask t : tasks) {
            InstanceDao.Row row = rows.get(t.id());
            if (row != null && row.info().status() == InstanceStatus.STARTING) {
                groupOf.put(t.id(), groupId);
                listeners.forEach(l -> l.admitted(groupId, t.type(), Math.max(0, now - t.enqueuedAtMillis())));
                admitter.execute(() -> launch(row));
            } else {
                GroupLedger ledger = ledger(groupId);
                synchronized (ledger) {
                    ledger.release(t.id(), clock.millis());
                }
                groupOf.remove(t.id());
                gaveBack = true;
            }
        }
        if (gaveBack) {
            admitSoon(groupId);
        }
    }

    /** Starts whose transaction was rolled back: back in their places in the queue, admitted again on the next tick. */
    private void putBack(String groupId, List<QueuedTask> tasks) {
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            for (QueuedTask t : tasks) {
                ledger.release(t.id(), clock.millis());
                ledger.enqueue(t);
            }
        }
    }

    private void giveBack(String groupId, String instanceId) {
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            ledger.release(instanceId, clock.millis());
        }
        admitSoon(groupId); // what queued meanwhile may fit the room given back
    }

    /**
     * Admission for a group on the admitter, at most one not yet begun per group. Safe to lose to
     * a crash: what it would start is QUEUED in the store, and the next start admits it.
     */
    private void admitSoon(String groupId) {
        if (!admissionsDue.add(groupId)) {
            return; // one is due and has not begun: it sees this change
        }
        try {
            admitter.execute(() -> {
                try {
                    // the submissions in flight first; what becomes due meanwhile joins this admission
                    submissions.awaitQuiet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    admissionsDue.remove(groupId);
                    return; // closing: the next start admits
                }
                admissionsDue.remove(groupId);
                try {
                    admit(groupId);
                } catch (RuntimeException e) {
                    LOG.warn("admission of {} failed (the next event or tick tries again): {}", groupId, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            admissionsDue.remove(groupId); // closing: the next start admits
        }
    }

    /**
     * Cancels a queued instance, or asks the backend to kill a started one (its exit comes later);
     * a service is stopped (not restarted). False when the instance is unknown or already final.
     */
    boolean cancel(String instanceId) {
        InstanceDao.Row row = jdbi.withHandle(h -> new InstanceDao(h, clock).find(instanceId)).orElse(null);
        if (row == null || row.info().status().isFinal()) {
            return false;
        }
        InstanceInfo instance = row.info();
        Forwarder f = follower;
        if (f != null) {
            // a queued one is cancelled here and now (the answer shows it); the leader forgets it, or kills a started one
            boolean cancelledHere = instance.status() == InstanceStatus.QUEUED
                    && jdbi.withHandle(h -> new InstanceDao(h, clock).cancelQueued(instance.id()));
            if (cancelledHere) {
                forward(f, "cancel", instance.id());
                return true;
            }
            InstanceDao.Row now = jdbi.withHandle(h -> new InstanceDao(h, clock).find(instanceId)).orElseThrow();
            if (now.info().status().isFinal()) {
                return false;
            }
            f.forward("cancel", instance.id()); // a failure answers 503: the caller tries again
            return true;
        }
        if (instance.status() == InstanceStatus.QUEUED) {
            if (jdbi.withHandle(h -> new InstanceDao(h, clock).cancelQueued(instance.id()))) {
                GroupLedger ledger = ledger(instance.resourceGroupId());
                synchronized (ledger) {
                    // not queued any more when admission took it meanwhile: that start then finds it cancelled
                    ledger.cancelQueued(instance.id());
                }
                groupOf.remove(instance.id());
                listeners.forEach(l -> l.finished(instance.resourceGroupId(), InstanceStatus.CANCELLED));
                return true;
            }
            row = jdbi.withHandle(h -> new InstanceDao(h, clock).find(instanceId)).orElseThrow();
            if (row.info().status().isFinal()) {
                return false;
            }
        }
        if (row.info().shape() == WorkShape.SERVICE) {
            stopping.add(instanceId);
        }
        // STARTING or RUNNING (possibly just now): the backend kills it or keeps it from starting
        try {
            backendOf(row).cancel(row.currentRun());
        } catch (RuntimeException e) {
            if (ExecutionBackend.diskFull(e)) {
                // the cancel could not be recorded where the task runs: nothing changed, the caller retries
                throw new dev.srg.error.SrgException(507, "InsufficientStorage.TaskDirectory", null, "the disk of srg's task"
                        + " directory is full: the cancel could not be recorded and the instance runs on; retry once an"
                        + " operator has freed space");
            }
            throw e;
        }
        return true;
    }

    /** A group's state, capacity, quotas or concurrency changed: adopt them and admit. */
    public void limitsChanged(String groupId) {
        Forwarder f = follower;
        if (f != null) {
            forward(f, "limits", groupId);
            return;
        }
        GroupLedger ledger = ledger(groupId);
        long read = limitsReads.computeIfAbsent(groupId, id -> new AtomicLong()).incrementAndGet();
        adopt(groupId, ledger, read, limits.read(groupId));
    }

    /** Every group's limits again, in one read: the poll behind a lost notice of a change. */
    private void refreshLimits() {
        try {
            Map<String, Long> reads = new HashMap<>();
            ledgers.keySet().forEach(id -> reads.put(id, limitsReads.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet()));
            limits.readAll(reads.keySet()).forEach((id, current) -> adopt(id, ledger(id), reads.get(id), current));
        } catch (RuntimeException e) {
            LOG.debug("reading the groups' limits failed: {}", e.toString()); // the next poll tries again
        }
    }

    private void adopt(String groupId, GroupLedger ledger, long read, GroupLimits current) {
        boolean newHalfLife;
        synchronized (ledger) {
            newHalfLife = !ledger.shareHalfLife().equals(current.fairShare().shareHalfLife());
        }
        Map<String, Double> recomputed = null;
        if (newHalfLife) {
            // the shares recomputed from the store's runs with the new half-life, outside the lock
            Map<String, Double> fresh = new HashMap<>();
            decayedUsage(Map.of(groupId, current)).getOrDefault(groupId, Map.of())
                    .forEach((ws, past) -> fresh.put(ws, past.decayedCuSeconds()));
            recomputed = fresh;
        }
        long now = clock.millis();
        synchronized (ledger) {
            // two changes read concurrently: the later read wins, whichever finishes first
            if (limitsApplied.getOrDefault(groupId, 0L) < read) {
                limitsApplied.put(groupId, read);
                ledger.setLimits(current);
                if (recomputed != null) {
                    ledger.replaceUsage(recomputed, now);
                }
            }
        }
        admit(groupId);
    }

    @Override
    public LedgerInfo snapshot(String groupId) {
        if (follower != null) {
            return fromStore(groupId).snapshot(clock.millis());
        }
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            return ledger.snapshot(clock.millis());
        }
    }

    /** One queued instance's place in its group's queue and why it waits; empty when it is not queued. */
    Optional<QueuedTaskInfo> queued(String groupId, String instanceId) {
        GroupLedger ledger = follower != null ? fromStore(groupId) : ledger(groupId);
        synchronized (ledger) {
            return ledger.queued(instanceId, clock.millis());
        }
    }

    @Override
    public void addListener(DispatchListener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    @Override
    public void readLedgers(BiConsumer<String, GroupLedger> reader) {
        ledgers.forEach((id, ledger) -> {
            synchronized (ledger) {
                reader.accept(id, ledger);
            }
        });
    }

    /** How many instances run on a group now. */
    public int running(String groupId) {
        if (follower != null) {
            return fromStore(groupId).runningCount();
        }
        GroupLedger ledger = ledgers.get(groupId);
        if (ledger == null) {
            return 0;
        }
        synchronized (ledger) {
            return ledger.runningCount();
        }
    }

    /** The output of an instance's current run from {@code offset}, from the backend it runs on. */
    InputStream openLog(InstanceDao.Row row, long offset) throws IOException {
        if (row.backend() == null) {
            return InputStream.nullInputStream(); // never launched
        }
        ExecutionBackend backend = backends.get(row.backend());
        return backend == null ? InputStream.nullInputStream() : backend.openLog(row.currentRun(), offset);
    }

    /** The instance a launch id belongs to: a restarted service's runs are {@code <id>.r<n>}. */
    static String instanceOf(String runId) {
        Matcher m = RESTART_RUN.matcher(runId);
        return m.matches() ? m.group(1) : runId;
    }

    /**
     * A task's outcome joins the ones waiting to be written, and the first caller to find no
     * writer writes them all in one transaction (group commit: many tasks' ends, one commit); a
     * service's exit may be a restart and is handled alone.
     */
    @Override
    public void onExit(String runId, ExitStatus status) {
        String instanceId = instanceOf(runId);
        if (services.contains(instanceId) || !instanceId.equals(runId)) {
            onExit(runId, status, 0);
            return;
        }
        exits.add(new PendingExit(runId, status));
        while (!exits.isEmpty() && writingExits.compareAndSet(false, true)) {
            try {
                List<PendingExit> batch = new ArrayList<>();
                for (PendingExit e = exits.poll(); e != null; e = exits.poll()) {
                    batch.add(e);
                }
                recordTasks(batch);
            } finally {
                writingExits.set(false);
            }
        }
    }

    private record PendingExit(String runId, ExitStatus status) {}

    /**
     * A launch met a full disk before anything of it ran (the backend removed what it wrote): the
     * instance goes back to QUEUED at its old place, its group admits nothing while its backend is
     * short of storage (its queued tasks say {@code INSUFFICIENT_STORAGE}), and it starts when there
     * is room. While the store is away, tried again with backoff; the group keeps its CU meanwhile.
     */
    @Override
    public void onLaunchDeferred(String runId, String why) {
        onLaunchDeferred(runId, why, 0);
    }

    private void onLaunchDeferred(String runId, String why, int attempt) {
        String instanceId = instanceOf(runId);
        Optional<InstanceDao.Row> back;
        try {
            back = jdbi.withHandle(h -> new InstanceDao(h, clock).requeue(instanceId, runId));
        } catch (RuntimeException e) {
            long delay = Math.min(5_000L, 250L << Math.min(attempt, 5));
            LOG.warn("cannot put {} back in its queue yet (try {} in {} ms): {}", runId, attempt + 2, delay, e.toString());
            try {
                ticker.schedule(() -> onLaunchDeferred(runId, why, attempt + 1), delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                LOG.warn("shutting down: {} stays STARTING and is launched (or put back) at the next start", runId);
            }
            return;
        }
        if (back.isEmpty()) {
            LOG.info("the launch of {} met a full disk, but it is no longer starting (cancelled meanwhile)", runId);
            return;
        }
        InstanceDao.Row row = back.get();
        String groupId = row.info().resourceGroupId();
        String backendName = row.backend() != null ? row.backend() : backendOfRegion.apply(row.regionId());
        storageShort.put(backendName, why);
        backendOfGroup.put(groupId, backendName);
        LOG.warn("{} is queued again: {}; its group starts nothing until there is room", instanceId, why);
        GroupLedger ledger = ledger(groupId);
        synchronized (ledger) {
            ledger.release(instanceId);
            ledger.setStorageShort(true);
            ledger.enqueue(InstanceDao.Queued.of(row).task());
        }
        groupOf.put(instanceId, groupId);
    }

    /** The backends short of storage now, with why: their groups start nothing until there is room. */
    private final Map<String, String> storageShort = new ConcurrentHashMap<>();
    /** The backend each group's tasks run on, read when a backend is short (one read per group). */
    private final Map<String, String> backendOfGroup = new ConcurrentHashMap<>();

    /**
     * Why the backend of {@code regionId} takes no new task now for want of storage (a submission then
     * answers 507); empty when it can.
     */
    Optional<String> storageShortage(String regionId) {
        ExecutionBackend backend = backends.get(backendOfRegion.apply(regionId));
        return backend == null ? Optional.empty() : backend.storageShortage();
    }

    /** Why some backend takes no new task now for want of storage; empty when every one has room. */
    Optional<String> storageShortage() {
        for (Map.Entry<String, ExecutionBackend> b : backends.entrySet()) {
            Optional<String> why = b.getValue().storageShortage();
            if (why.isPresent()) {
                return Optional.of("backend " + b.getKey() + ": " + why.get());
            }
        }
        return Optional.empty();
    }

    /**
     * Every second: asks each backend whether it is short of storage; when one becomes short its
     * groups stop starting tasks, when it has room again they admit at once.
     */
    private void watchStorage() {
        try {
            Set<String> recovered = new LinkedHashSet<>();
            boolean changed = false;
            for (Map.Entry<String, ExecutionBackend> b : backends.entrySet()) {
                Optional<String> now = b.getValue().storageShortage();
                if (now.isPresent()) {
                    if (storageShort.put(b.getKey(), now.get()) == null) {
                        LOG.warn("backend {}: {}; its groups start nothing until there is room", b.getKey(), now.get());
                        changed = true;
                    }
                } else if (storageShort.remove(b.getKey()) != null) {
                    LOG.info("backend {} has room again: its groups' queued tasks start", b.getKey());
                    recovered.add(b.getKey());
                    changed = true;
                }
            }
            if (!changed) {
                return;
            }
            for (Map.Entry<String, GroupLedger> l : ledgers.entrySet()) {
                applyStorage(l.getKey(), l.getValue());
                if (l.getValue().queuedCount() > 0 && !l.getValue().storageShort()) {
                    admitSoon(l.getKey());
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("watching the backends' storage failed: {}", e.toString());
        }
    }

    /** Tells a group's ledger whether its backend is short of storage. */
    private void applyStorage(String groupId, GroupLedger ledger) {
        boolean isShort = !storageShort.isEmpty() && storageShort.containsKey(backendOfGroup(groupId));
        synchronized (ledger) {
            ledger.setStorageShort(isShort);
        }
    }

    /** The backend a group's tasks run on; null when it cannot be read now (then it counts as short). */
    private String backendOfGroup(String groupId) {
        String known = backendOfGroup.get(groupId);
        if (known != null) {
            return known;
        }
        try {
            Optional<String> region = jdbi.withHandle(h -> h.createQuery("SELECT region_id FROM resource_groups WHERE id = :id")
                    .bind("id", groupId).mapTo(String.class).findOne());
            if (region.isEmpty()) {
                return null;
            }
            String backend = backendOfRegion.apply(region.get());
            backendOfGroup.put(groupId, backend);
            return backend;
        } catch (RuntimeException e) {
            return storageShort.keySet().stream().findFirst().orElse(null);
        }
    }

    /** Tasks' outcomes in one commit; when it fails, each is tried again alone (with backoff). */
    private void recordTasks(List<PendingExit> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long began = SubmitTrace.spanBegins();
        try {
            recordTasksTraced(batch);
        } finally {
            SubmitTrace.spanEnds(SubmitTrace.Span.EXITS, began, batch.size());
        }
    }

    private void recordTasksTraced(List<PendingExit> batch) {
        List<Boolean> recorded;
        try {
            List<InstanceDao.Finish> finishes = batch.stream().map(e -> finishOf(e.runId(), e.status())).toList();
            recorded = jdbi.inTransaction(h -> new InstanceDao(h, clock).finishAll(finishes));
        } catch (RuntimeException e) {
            LOG.warn("cannot record the outcomes of {} task(s) together ({}); each alone", batch.size(), e.toString());
            batch.forEach(x -> onExit(x.runId(), x.status(), 0));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            try {
                recorded(batch.get(i).runId(), outcome(batch.get(i).status()), recorded.get(i));
            } catch (RuntimeException e) {
                LOG.error("after recording the outcome of {}", batch.get(i).runId(), e); // the others still go on
            }
        }
    }

    /**
     * Records an outcome; while the store is unreachable, tries again with backoff (the outcome
     * stays in memory and in the backend's exit file, and the group keeps the task's CUs until it
     * is recorded). The writes are compare-and-sets, so a retry after a commit whose answer was
     * lost records nothing twice.
     */
    private void onExit(String runId, ExitStatus status, int attempt) {
        try {
            record(runId, status);
        } catch (RuntimeException e) {
            long delay = Math.min(5_000L, 250L << Math.min(attempt, 5));
            LOG.warn("cannot record the outcome of {} yet (try {} in {} ms): {}", runId, attempt + 2, delay, e.toString());
            try {
                ticker.schedule(() -> onExit(runId, status, attempt + 1), delay, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                LOG.warn("shutting down: the outcome of {} is recorded at the next start", runId);
            }
        }
    }

    private void record(String runId, ExitStatus status) {
        String instanceId = instanceOf(runId);
        if ((services.contains(instanceId) || !instanceId.equals(runId)) && !serviceEnds(instanceId, runId, status)) {
            return;
        }
        InstanceDao.Finish finish = finishOf(instanceId, status);
        boolean recorded = jdbi.withHandle(h -> new InstanceDao(h, clock).finishAll(List.of(finish)).get(0));
        recorded(instanceId, outcome(status), recorded);
    }

    private static InstanceStatus outcome(ExitStatus status) {
        return switch (status.reason()) {
            case NONE -> InstanceStatus.SUCCEEDED;
            case TIMEOUT -> InstanceStatus.TIMED_OUT;
            case CANCELLED -> InstanceStatus.CANCELLED;
            default -> InstanceStatus.FAILED;
        };
    }

    /** Writes an outcome (a compare-and-set: false when it was recorded already). */
    private InstanceDao.Finish finishOf(String instanceId, ExitStatus status) {
        // the backend reads the system clock; the store keeps every time on the injected one
        Instant startedAt = status.startedAt() == null ? null : SimulatedClock.onClock(clock, status.startedAt());
        Instant finishedAt = SimulatedClock.onClock(clock, status.finishedAt());
        return new InstanceDao.Finish(instanceId, outcome(status), status, startedAt, finishedAt);
    }

    /** After an outcome is in the store: the listeners hear of it, the group's CUs are freed. */
    private void recorded(String instanceId, InstanceStatus outcome, boolean recorded) {
        if (!recorded && outcome == InstanceStatus.CANCELLED && cancelRequeued(instanceId)) {
            return;
        }
        if (!recorded) {
            LOG.debug("exit of {} was already recorded", instanceId);
        }
        stopping.remove(instanceId);
        services.remove(instanceId);
        String groupId = groupOf.get(instanceId);
        if (recorded && groupId != null) {
            listeners.forEach(l -> l.finished(groupId, outcome));
        }
        release(instanceId);
    }

    /**
     * A cancel that met a launch put back for want of room (onLaunchDeferred): the backend took the
     * run as cancelled, but the put-back committed first, so the outcome found the instance QUEUED
     * again, not STARTING. It is cancelled there (a compare-and-set on its run: it never runs), at
     * once rather than when the disk has room again. False when it is not queued on that run.
     */
    private boolean cancelRequeued(String instanceId) {
        if (!jdbi.withHandle(h -> new InstanceDao(h, clock).cancelQueued(instanceId, instanceId))) {
            return false;
        }
        String groupId = groupOf.remove(instanceId);
        if (groupId != null) {
            GroupLedger ledger = ledger(groupId);
            synchronized (ledger) {
                ledger.cancelQueued(instanceId);
            }
            listeners.forEach(l -> l.finished(groupId, InstanceStatus.CANCELLED));
        }
        LOG.info("{} was cancelled while its launch was put back for want of room: cancelled in its queue", instanceId);
        return true;
    }

    /**
     * Whether this exit of a service's run ends the service (stopped, or it cannot run); false when
     * it was handled here: the next run committed (a restart), or the exit is of an earlier run.
     */
    private boolean serviceEnds(String instanceId, String runId, ExitStatus status) {
        // a store that is away throws: the exit is recorded by the caller's retry
        InstanceDao.Row row = jdbi.withHandle(h -> new InstanceDao(h, clock).find(instanceId)).orElse(null);
        if (row == null || row.info().status().isFinal()) {
            services.remove(instanceId);
            release(instanceId);
            return false;
        }
        if (!row.currentRun().equals(runId)) {
            LOG.debug("exit of {} is of an earlier run of {} (now {})", runId, instanceId, row.currentRun());
            return false;
        }
        if (!stopping.contains(instanceId) && status.reason() != FailureReason.CANCELLED) {
            restart(row, status);
            return false;
        }
        return true;
    }

    /** Stops counting an instance in its group's ledger and admits what now fits. */
    private void release(String instanceId) {
        String groupId = groupOf.remove(instanceId);
        if (groupId != null) {
            GroupLedger ledger = ledger(groupId);
            synchronized (ledger) {
                ledger.release(instanceId, clock.millis());
            }
            admitSoon(groupId);
        }
    }

    /** A service's run ended by itself: commit the next run, keep its CU, launch it after a backoff. */
    private void restart(InstanceDao.Row row, ExitStatus ended) {
        int restart = row.info().restarts() + 1;
        String next = row.id() + ".r" + restart;
        boolean committed = jdbi.withHandle(h -> new InstanceDao(h, clock).restart(row.id(), row.currentRun(), next));
        if (!committed) {
            return;
        }
        long delay = Math.min(MAX_RESTART_DELAY.toMillis(),
                FIRST_RESTART_DELAY.toMillis() << Math.min(10, row.info().restarts()));
        LOG.info("service {} ended ({}, exit {}): restart {} as {} in {} ms", row.id(), ended.reason(), ended.exitCode(),
                restart, next, delay);
        try {
            ticker.schedule(() -> jdbi.withHandle(h -> new InstanceDao(h, clock).find(row.id()))
                    .filter(r -> r.info().status() == InstanceStatus.STARTING && r.currentRun().equals(next))
                    .ifPresent(this::launch), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: the next start of the server launches the committed run
        }
    }

    /**
     * Decide under the group's lock; outside it, commit the starts together with each launch's
     * record (run id, backend, enforcement) in one transaction; then launch.
     */
    private void admit(String groupId) {
        GroupLedger ledger = ledger(groupId);
        if (!storageShort.isEmpty() || ledger.storageShort()) {
            applyStorage(groupId, ledger); // a ledger made while a backend is short, or one whose backend has room again
        }
        List<QueuedTask> admitted;
        synchronized (ledger) {
            admitted = ledger.admit(clock.millis());
        }
        if (admitted.isEmpty()) {
            return;
        }
        long began = SubmitTrace.spanBegins();
        try {
            admit(groupId, ledger, admitted);
        } finally {
            SubmitTrace.spanEnds(SubmitTrace.Span.ADMIT, began, admitted.size());
        }
    }

    private void admit(String groupId, GroupLedger ledger, List<QueuedTask> admitted) {
        List<String> ids = admitted.stream().map(QueuedTask::id).toList();
        List<Prepared> toLaunch;
        String[] xid = new String[1];
        try {
            NetworkContext network = context.network(groupId); // one read for the batch, before the transaction
            toLaunch = jdbi.inTransaction(h -> {
                InstanceDao dao = new InstanceDao(h, clock);
                List<Prepared> prepared = new ArrayList<>();
                InstanceDao.Starting starting = dao.markStarting(ids);
                xid[0] = starting.xid();
                for (InstanceDao.Row row : starting.rows()) {
                    Prepared p = prepare(row, network);
                    if (p.spec() != null) {
                        dao.recordLaunch(row.id(), p.spec().instanceId(), p.backendName(), p.enforcement());
                    }
                    prepared.add(p);
                }
                return prepared;
            });
        } catch (RuntimeException e) {
            LOG.warn("could not commit the start of {} instance(s) of {}: {}", ids.size(), groupId, e.toString());
            if (xid[0] == null || !(e instanceof JdbiException)) {
                putBack(groupId, admitted); // nothing was started, or srg itself gave up before the COMMIT
            } else {
                // the failure may be the COMMIT's answer lost after the store committed: ask it
                whenKnown(xid[0], committed -> {
                    if (committed) {
                        launchCommitted(groupId, admitted);
                    } else {
                        putBack(groupId, admitted);
                    }
                }, 0);
            }
            return;
        }
        Set<String> started = toLaunch.stream().map(p -> p.row().id()).collect(Collectors.toSet());
        long now = clock.millis();
        List<String> dropped = new ArrayList<>();
        for (QueuedTask t : admitted) {
            if (started.contains(t.id())) {
                listeners.forEach(l -> l.admitted(groupId, t.type(), Math.max(0, now - t.enqueuedAtMillis())));
            } else {
                dropped.add(t.id()); // cancelled between the decision and the commit
            }
        }
        if (!dropped.isEmpty()) {
            synchronized (ledger) {
                dropped.forEach(ledger::release);
            }
            dropped.forEach(groupOf::remove);
            admitSoon(groupId);
        }
        markRunning(toLaunch.stream().filter(this::launch).map(p -> p.row().id()).toList());
    }

    /**
     * STARTING → RUNNING for launched instances, in one commit for a batch. Only what the API shows:
     * a crash before it leaves them STARTING with their launch recorded, and recovery asks the
     * backend, which knows whether each one ran (its run-once record).
     */
    private void markRunning(List<String> launched) {
        if (launched.isEmpty()) {
            return;
        }
        long began = SubmitTrace.spanBegins();
        try {
            jdbi.useHandle(h -> new InstanceDao(h, clock).markRunning(launched));
            SubmitTrace.spanEnds(SubmitTrace.Span.MARK_RUNNING, began, launched.size());
        } catch (RuntimeException e) {
            LOG.warn("cannot mark {} instance(s) RUNNING (they stay STARTING until they end): {}", launched.size(), e.toString());
        }
    }

    /**
     * What one launch needs, built from the stored row: the spec, its backend and what that backend
     * enforces for it; or, when it cannot be launched here (its kind or backend is not configured),
     * why not.
     */
    private record Prepared(InstanceDao.Row row, LaunchSpec spec, String backendName, ExecutionBackend backend,
                            Enforcement enforcement, String failure) {}

    private Prepared prepare(InstanceDao.Row row, NetworkContext network) {
        InstanceInfo i = row.info();
        String backendName = row.backend() != null ? row.backend() : backendOfRegion.apply(row.regionId());
        ExecutionBackend backend = backends.get(backendName);
        Optional<TaskKind> found = kinds.find(i.type());
        if (found.isEmpty() || backend == null) {
            return new Prepared(row, null, backendName, null, null, found.isEmpty()
                    ? "kind " + i.type() + " is not registered on this server"
                    : "backend '" + backendName + "' of region " + row.regionId() + " is not configured");
        }
        TaskKind kind = found.get();
        try {
            Duration timeout = kind.shape() == WorkShape.SERVICE ? Duration.ZERO : Duration.ofSeconds(i.timeoutSeconds());
            Map<String, String> env = new HashMap<>(Map.of("SRG_INSTANCE_ID", i.id(),
                    "SRG_RESOURCE_GROUP_ID", i.resourceGroupId(), "SRG_WORKSPACE_ID", i.workspaceId(),
                    "SRG_CU", i.cu().toCu().toPlainString()));
            workspaceGid(i.workspaceId()).ifPresent(gid -> env.put(LaunchSpec.WORKSPACE_GID, Long.toString(gid)));
            LaunchSpec spec = new LaunchSpec(row.currentRun(), kind.name(), kind.command(row.payload()),
                    new ResourceLimits(i.cu().milli()), timeout, env, kind.network(network), Optional.ofNullable(i.imageId()));
            return new Prepared(row, spec, backendName, backend, backend.enforcement(spec), null);
        } catch (RuntimeException e) {
            return new Prepared(row, null, backendName, backend, null, "cannot build the launch: " + e.getMessage());
        }
    }

    /** The workspace's task gid; none for a workspace no longer stored (its tasks then get no group). */
    private OptionalLong workspaceGid(String workspaceId) {
        Long gid = workspaceGids.get(workspaceId);
        if (gid == null) {
            Optional<Long> read = jdbi.withHandle(h -> h.createQuery("SELECT task_gid FROM workspaces WHERE id = :id")
                    .bind("id", workspaceId).mapTo(Long.class).findOne());
            if (read.isEmpty()) {
                return OptionalLong.empty();
            }
            gid = read.get();
            workspaceGids.put(workspaceId, gid);
        }
        return OptionalLong.of(gid);
    }

    /** Launches a started instance outside admission (recovery, a service's next run): records the launch first. */
    private void launch(InstanceDao.Row row) {
        Prepared p;
        try {
            p = prepare(row, context.network(row.info().resourceGroupId()));
        } catch (RuntimeException e) {
            p = new Prepared(row, null, null, null, null, "cannot read the group's networks: " + e.getMessage());
        }
        if (p.spec() != null) {
            Prepared prepared = p;
            try {
                // SPEC RT-3, and write-ahead: where it runs and as which run, before it runs
                if (!jdbi.withHandle(h -> new InstanceDao(h, clock).recordLaunch(row.id(), prepared.spec().instanceId(),
                        prepared.backendName(), prepared.enforcement()))) {
                    LOG.debug("{} is no longer starting; not launched", row.id());
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("cannot record the launch of {}: {}", row.id(), e.toString());
                return; // still STARTING: the next start of the server launches it
            }
        }
        if (launch(p)) {
            markRunning(List.of(row.id()));
        }
    }

    /**
     * Launches a prepared instance whose launch is recorded, or fails one that cannot be launched;
     * true when the backend took it.
     */
    private boolean launch(Prepared p) {
        long began = SubmitTrace.spanBegins();
        try {
            return launchTraced(p);
        } finally {
            SubmitTrace.spanEnds(SubmitTrace.Span.LAUNCH, began, 1);
        }
    }

    private boolean launchTraced(Prepared p) {
        InstanceInfo i = p.row().info();
        String run = p.row().currentRun();
        try {
            if (p.spec() == null) {
                stopping.add(i.id()); // lasting: a service is not restarted into the same failure
                throw new IllegalStateException(p.failure());
            }
            if (p.backend().launch(p.spec()).outcome() == LaunchOutcome.DEFERRED) {
                // a full disk: not the task's fault, nothing of it ran; it waits in its queue for room
                onLaunchDeferred(run, p.backend().storageShortage().orElse("the disk where tasks run is full"));
                return false;
            }
            return true;
        } catch (RuntimeException e) {
            LOG.warn("launching {} failed: {}", run, e.toString());
            onExit(run, ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, clock.instant(), "launch failed: " + e.getMessage()));
            return false;
        }
    }

    private ExecutionBackend backendOf(InstanceDao.Row row) {
        String name = row.backend() != null ? row.backend() : backendOfRegion.apply(row.regionId());
        ExecutionBackend backend = backends.get(name);
        if (backend == null) {
            throw new IllegalStateException("backend '" + name + "' is not configured");
        }
        return backend;
    }

    /** A follower's view of a group's admission: a ledger built from the store, as the leader's was at its start. */
    private GroupLedger fromStore(String groupId) {
        GroupLedger ledger = newLedger(groupId, limits.read(groupId));
        for (InstanceDao.Row row : jdbi.withHandle(h -> new InstanceDao(h, clock).activeIn(groupId))) {
            if (row.info().status() == InstanceStatus.QUEUED) {
                ledger.enqueue(InstanceDao.Queued.of(row).task());
            } else {
                ledger.restoreRunning(row.id(), row.info().usageType(), row.info().cu().milli(), row.info().workspaceId());
            }
        }
        return ledger;
    }

    /** The ledger of a group; a new one reads the group's limits first, outside any lock. */
    private GroupLedger ledger(String groupId) {
        GroupLedger ledger = ledgers.get(groupId);
        if (ledger != null) {
            return ledger;
        }
        long read = limitsReads.computeIfAbsent(groupId, id -> new AtomicLong()).incrementAndGet();
        GroupLedger created = newLedger(groupId, limits.read(groupId));
        GroupLedger existing = ledgers.putIfAbsent(groupId, created);
        if (existing == null) {
            limitsApplied.merge(groupId, read, Math::max);
            return created;
        }
        return existing;
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        admitter.shutdownNow();
        launcher.shutdownNow();
        backends.values().forEach(b -> {
            try {
                b.close();
            } catch (RuntimeException e) {
                LOG.warn("closing backend {} failed: {}", b.name(), e.toString());
            }
        });
    }
}
