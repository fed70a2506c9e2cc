package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.admission.WaitReason;
import dev.srg.datasource.SecretBox;
import dev.srg.error.SrgException;
import dev.srg.group.GroupNetworkContext;
import dev.srg.network.Cidr;
import dev.srg.network.NetworkPolicy;
import dev.srg.quantity.ComputeUnits;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager;
import dev.srg.task.SubmitRequest;
import dev.srg.trace.CrashPoint;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DATA_SERVICE instance that serves a workspace's APIs on a resource group (SPEC DS-5): started
 * (as the platform, through the same admission as every task: capacity, quotas) when an API is
 * published or tested there, or when a call finds it gone; stopped when the last API it serves is
 * unpublished. Calls are handed to its current run's worker socket; a run that died is restarted
 * by the dispatcher under a new run id, whose socket is found here.
 */
public final class ServiceInstances implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceInstances.class);
    /** The CU a service starts with unless set (PUT /dataservice/services/{resourceGroupId}). */
    static final ComputeUnits DEFAULT_CU = ComputeUnits.ofCu(1);
    /** A running service's run is read again (in the background) after this ... */
    private static final long RUN_REFRESH_NANOS = 1_000_000_000L;
    /** ... and a call waits for the store only when nobody read it for this long. */
    private static final long RUN_MAX_STALE_NANOS = 5_000_000_000L;

    private final Jdbi jdbi;
    private final Clock clock;
    private final InstanceManager instances;
    private final SecretBox secrets;
    private final Function<String, WorkerEndpoint> endpointOfRun;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final WorkerClient worker;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Set<String> refreshing = ConcurrentHashMap.newKeySet();
    private final StartFailures startFailures;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

    /** What a call needs of the service now; {@code secret} admits srg to a worker reached over TCP. */
    private record Run(String instanceId, String runId, String status, long milliCu, long readAt, byte[] secret) {}

    /**
     * @param secrets srg's key, from which each instance's worker secret is derived (DataServiceKind)
     * @param endpointOfRun where a run's worker listens: the local backend's socket in
     *     {@code <runtime>/instances/<run id>/home}, or a Pod's address
     * @param startFailures the services that did not fit their group just now, told of every change of a
     *     group's limits (SrgServer gives it to the groups' manager)
     */
    public ServiceInstances(Jdbi jdbi, Clock clock, InstanceManager instances, SecretBox secrets,
                            Function<String, WorkerEndpoint> endpointOfRun, StartFailures startFailures, AnswerBudget answers) {
        this.worker = new WorkerClient(requireNonNull(answers, "answers is null"));
        this.startFailures = requireNonNull(startFailures, "startFailures is null");
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.instances = requireNonNull(instances, "instances is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.endpointOfRun = requireNonNull(endpointOfRun, "endpointOfRun is null");
    }

    /**
     * Tests only (PublishRaceTest): told of a publish's or an unpublish's decision for a pair (its
     * {@code workspace/group} key, whether an API of the workspace is published on the group) between
     * the read it made and the start or stop it leads to, with the pair's row locked; a test holds one
     * side there.
     */
    static volatile BiConsumer<String, Boolean> decided = (key, published) -> { };

    /** How long a service with nothing published is kept after its last start, test or resize ({@link #stopIdle}). */
    public static final Duration IDLE_GRACE = Duration.ofMinutes(5);

    /**
     * The service of the pair, started unless it is queued, starting or running; its instance id. For
     * a test of a draft: the pair counts as used now, so {@link #stopIdle} keeps it for {@link #IDLE_GRACE}.
     */
    String ensure(String workspaceId, String groupId) {
        return locked(workspaceId, groupId, (h, pair) -> {
            h.createUpdate("UPDATE ds_services SET updated_at = :now WHERE workspace_id = :ws AND resource_group_id = :rg")
                    .bind("ws", workspaceId).bind("rg", groupId).bind("now", clock.instant()).execute();
            return start(h, pair);
        }).instanceId();
    }

    /**
     * After a publish, an unpublish or a resize: the pair's service is started if {@code published}
     * (an API of the workspace is published on the group) and stopped if not, read with the pair's row
     * locked in the store. Two of them at once (a publish and an unpublish of one API, on one server
     * or two of a cluster) then act in turn, each on a read made after the other's start or stop, so
     * the last one leaves what the store says: its read sees every commit before it, and a commit
     * after its read has its own reconcile after it.
     */
    void reconcile(String workspaceId, String groupId, BooleanSupplier published) {
        locked(workspaceId, groupId, (h, pair) -> {
            boolean used = published.getAsBoolean();
            decided.accept(pair.key(), used);
            if (used) {
                start(h, pair);
            } else {
                stop(h, pair);
            }
            return null;
        });
    }

    /** A pair whose service may be idle: {@link #stopIdle} decides under its lock. */
    public record PairKey(String workspaceId, String groupId) {}

    /**
     * The pairs with an active service (recorded or not) that was started, tested or resized before
     * {@code cutoff} and is not being stopped: candidates for {@link #stopIdle}.
     */
    public List<PairKey> idleCandidates(Instant cutoff) {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT DISTINCT i.workspace_id, i.resource_group_id FROM instances i
                LEFT JOIN ds_services s ON s.workspace_id = i.workspace_id AND s.resource_group_id = i.resource_group_id
                WHERE i.usage_type = 'DATA_SERVICE' AND i.status IN ('QUEUED', 'STARTING', 'RUNNING')
                  AND (s.workspace_id IS NULL OR (s.updated_at <= :cutoff AND NOT (i.id = ANY(s.stopping))))
                ORDER BY 1, 2""")
                .bind("cutoff", cutoff).map((rs, ctx) -> new PairKey(rs.getString(1), rs.getString(2))).list());
    }

    /**
     * Stops the pair's service when nothing of the workspace is published on the group and it was not
     * started, tested or resized after {@code cutoff} (read with the pair's row locked): a service left
     * by a server killed between an unpublish's commit and the stop, or started by a test of a draft
     * never published, would otherwise hold (and, pay-as-you-go, bill) the group's DATA_SERVICE CU
     * until an API is published there again.
     *
     * @return whether it stopped one
     */
    public boolean stopIdle(String workspaceId, String groupId, BooleanSupplier published, Instant cutoff) {
        return locked(workspaceId, groupId, (h, pair) -> {
            if (pair.updatedAt().isAfter(cutoff) || published.getAsBoolean()) {
                return false;
            }
            boolean stopped = stop(h, pair);
            if (stopped) {
                LOG.info("dataservice: stopped the service of workspace {} on group {}: nothing published there, unused since {}",
                        workspaceId, groupId, pair.updatedAt());
            }
            return stopped;
        });
    }

    /** The pair's row as {@link #locked} read it. */
    private record Pair(String workspaceId, String groupId, String key, long milliCu, String instanceId, List<String> stopping,
                        Instant updatedAt) {}

    /**
     * Runs {@code action} in one transaction holding the pair's row (made if missing) FOR UPDATE: every
     * start, stop and resize of the pair's service, on every server of a cluster, decides in turn. The
     * row's stopped instances that have ended are forgotten first.
     */
    private <T> T locked(String workspaceId, String groupId, BiFunction<Handle, Pair, T> action) {
        String key = workspaceId + "/" + groupId;
        // the JVM's lock first: this server's own requests for the pair wait here, not each on a connection
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            // a handle of its own, not the thread's callback handle: the submission (and the cancel) inside must commit in
            // their own transactions (Jdbi's withHandle/inTransaction on this thread would join this one), as before
            try (Handle h = jdbi.open()) {
                h.begin();
                try {
                    T result = inLock(h, workspaceId, groupId, key, action);
                    h.commit();
                    return result;
                } catch (RuntimeException e) {
                    h.rollback();
                    throw e;
                }
            }
        }
    }

    private <T> T inLock(Handle h, String workspaceId, String groupId, String key, BiFunction<Handle, Pair, T> action) {
        h.createUpdate("""
                INSERT INTO ds_services (workspace_id, resource_group_id, milli_cu, updated_at) VALUES (:ws, :rg, :cu, :now)
                ON CONFLICT (workspace_id, resource_group_id) DO NOTHING""")
                .bind("ws", workspaceId).bind("rg", groupId).bind("cu", DEFAULT_CU.milli()).bind("now", clock.instant())
                .execute();
        record Read(long milliCu, String instanceId, Instant updatedAt, List<String> active, int recorded) {}
        Read r = h.createQuery("""
                SELECT milli_cu, instance_id, updated_at,
                       ARRAY(SELECT i.id FROM instances i WHERE i.id = ANY(s.stopping)
                             AND i.status IN ('QUEUED', 'STARTING', 'RUNNING') ORDER BY i.id) AS active_stopping,
                       cardinality(stopping) AS recorded_stopping
                FROM ds_services s WHERE workspace_id = :ws AND resource_group_id = :rg FOR UPDATE""")
                .bind("ws", workspaceId).bind("rg", groupId)
                .map((rs, ctx) -> new Read(rs.getLong("milli_cu"), rs.getString("instance_id"),
                        rs.getTimestamp("updated_at").toInstant(), List.of((String[]) rs.getArray("active_stopping").getArray()),
                        rs.getInt("recorded_stopping"))).one();
        if (r.active().size() != r.recorded()) {
            setStopping(h, workspaceId, groupId, r.active());
        }
        Pair pair = new Pair(workspaceId, groupId, key, r.milliCu(), r.instanceId(), r.active(), r.updatedAt());
        return action.apply(h, pair);
    }

    private static void setStopping(Handle h, String workspaceId, String groupId, List<String> ids) {
        h.createUpdate("UPDATE ds_services SET stopping = :ids WHERE workspace_id = :ws AND resource_group_id = :rg")
                .bindArray("ids", String.class, ids).bind("ws", workspaceId).bind("rg", groupId).execute();
    }

    /** What {@link #start} found active or submitted: the instance and its status then. */
    private record Started(String instanceId, String status) {}

    /** The pair's service, started unless one is active (and not being stopped); under {@link #locked}. */
    private Started start(Handle h, Pair pair) {
        String workspaceId = pair.workspaceId();
        String groupId = pair.groupId();
        String key = pair.key();
        record Row(String instanceId, long milliCu, String status) {}
        Optional<String> status = pair.instanceId() == null ? Optional.empty() : h.createQuery(
                "SELECT status FROM instances WHERE id = :id").bind("id", pair.instanceId()).mapTo(String.class).findOne();
        if (status.isPresent() && active(status.get()) && !pair.stopping().contains(pair.instanceId())) {
            return new Started(pair.instanceId(), status.get());
        }
        // an active service of the pair that the record does not name: a server stopped between submitting
        // it and recording it (below). It is adopted: a second one would hold the group's CUs twice, and
        // nothing would ever stop the first (one being stopped is not adopted: it ends)
        Optional<Row> unrecorded = h.createQuery("""
                SELECT id, milli_cu, status FROM instances
                WHERE resource_group_id = :rg AND status IN ('QUEUED', 'STARTING', 'RUNNING') AND workspace_id = :ws
                  AND usage_type = 'DATA_SERVICE' AND payload ->> 'dataService' = :key
                  AND id IS DISTINCT FROM :recorded AND NOT (id = ANY(:stopping))
                ORDER BY id DESC LIMIT 1""")
                .bind("ws", workspaceId).bind("rg", groupId).bind("key", key)
                .bind("recorded", pair.instanceId()).bindArray("stopping", String.class, pair.stopping())
                .map((rs, ctx) -> new Row(rs.getString(1), rs.getLong(2), rs.getString(3))).findOne();
        if (unrecorded.isPresent()) {
            String id = unrecorded.get().instanceId();
            h.createUpdate("""
                    UPDATE ds_services SET milli_cu = :cu, instance_id = :i, updated_at = :now
                    WHERE workspace_id = :ws AND resource_group_id = :rg""")
                    .bind("ws", workspaceId).bind("rg", groupId).bind("cu", unrecorded.get().milliCu()).bind("i", id)
                    .bind("now", clock.instant()).execute();
            LOG.info("dataservice: adopted {} for workspace {} on group {} (submitted, not recorded: the server stopped between)",
                    id, workspaceId, groupId);
            runs.remove(key);
            return new Started(id, unrecorded.get().status());
        }
        long milliCu = pair.milliCu();
        SubmitRequest submit = new SubmitRequest(workspaceId, groupId, DataServiceKind.NAME, null, null,
                ComputeUnits.ofMilli(milliCu), null, null, null, "dataservice", null);
        byte[] generation = new byte[16];
        RANDOM.nextBytes(generation);
        InstanceInfo started = instances.submit(Principal.SYSTEM, submit, Map.of(DataServiceKind.FIELD, key,
                DataServiceKind.GENERATION, HexFormat.of().formatHex(generation)));
        CrashPoint.reach("dataservice.service.submitted");
        h.createUpdate("""
                UPDATE ds_services SET instance_id = :i, updated_at = :now WHERE workspace_id = :ws AND resource_group_id = :rg""")
                .bind("ws", workspaceId).bind("rg", groupId).bind("i", started.id()).bind("now", clock.instant()).execute();
        LOG.info("dataservice: started {} for workspace {} on group {} ({})", started.id(), workspaceId, groupId,
                ComputeUnits.ofMilli(milliCu));
        startFailures.forget(workspaceId, groupId);
        runs.remove(key);
        if (started.queue() != null && started.queue().reason() != null) {
            waiting.put(started.id(), new Waiting(started.queue().reason(), System.nanoTime()));
        }
        return new Started(started.id(), started.status().name());
    }

    /**
     * Stops the pair's service (its last API was unpublished, it was resized, or it is idle): every
     * active instance of the pair not being stopped already, the recorded one and one a server
     * stopped before recording; its CU go back to the group. Under {@link #locked}; whether it stopped one.
     */
    private boolean stop(Handle h, Pair pair) {
        List<String> ids = h.createQuery("""
                SELECT id FROM instances
                WHERE resource_group_id = :rg AND status IN ('QUEUED', 'STARTING', 'RUNNING') AND workspace_id = :ws
                  AND usage_type = 'DATA_SERVICE' AND payload ->> 'dataService' = :key AND NOT (id = ANY(:stopping))
                ORDER BY id""")
                .bind("ws", pair.workspaceId()).bind("rg", pair.groupId()).bind("key", pair.key())
                .bindArray("stopping", String.class, pair.stopping()).mapTo(String.class).list();
        List<String> stopping = new ArrayList<>(pair.stopping());
        for (String i : ids) {
            try {
                instances.cancel(Principal.SYSTEM, i);
                stopping.add(i);
                LOG.info("dataservice: stopped {} (workspace {} on group {})", i, pair.workspaceId(), pair.groupId());
            } catch (SrgException e) {
                LOG.debug("dataservice: {} already ended: {}", i, e.getMessage());
            }
        }
        if (stopping.size() != pair.stopping().size()) {
            setStopping(h, pair.workspaceId(), pair.groupId(), stopping);
        }
        Run run = runs.remove(pair.key());
        if (run != null && run.runId() != null) {
            worker.forget(run.runId());
        }
        return stopping.size() != pair.stopping().size();
    }

    /** The CU of the pair's service from its next start: the running one is stopped now. */
    void resize(String workspaceId, String groupId, ComputeUnits cu) {
        locked(workspaceId, groupId, (h, pair) -> {
            h.createUpdate("""
                    UPDATE ds_services SET milli_cu = :cu, updated_at = :now WHERE workspace_id = :ws AND resource_group_id = :rg""")
                    .bind("ws", workspaceId).bind("rg", groupId).bind("cu", cu.milli()).bind("now", clock.instant()).execute();
            startFailures.forget(workspaceId, groupId);
            return stop(h, pair);
        });
    }

    /** The status {@link #info} gives a service this server stopped and whose process has not ended yet. */
    static final String STOPPING = "STOPPING";

    /** {@code GET /dataservice/services/{resourceGroupId}?workspaceId=}. */
    public record ApiServiceInfo(String workspaceId, String resourceGroupId, ComputeUnits cu, String instanceId, String status) {}

    ApiServiceInfo info(String workspaceId, String groupId) {
        record Row(ApiServiceInfo info, boolean stopping) {}
        Row row = jdbi.withHandle(h -> h.createQuery("""
                SELECT s.milli_cu, s.instance_id, i.status, s.instance_id = ANY(s.stopping)
                FROM ds_services s LEFT JOIN instances i ON i.id = s.instance_id
                WHERE s.workspace_id = :ws AND s.resource_group_id = :rg""")
                .bind("ws", workspaceId).bind("rg", groupId)
                .map((rs, ctx) -> new Row(new ApiServiceInfo(workspaceId, groupId, ComputeUnits.ofMilli(rs.getLong(1)),
                        rs.getString(2), rs.getString(3)), rs.getBoolean(4)))
                .findOne()).orElse(new Row(new ApiServiceInfo(workspaceId, groupId, DEFAULT_CU, null, null), false));
        ApiServiceInfo info = row.info();
        // a service stopped (unpublished, resized) reads RUNNING until its process has ended: it says so
        return info.instanceId() != null && active(info.status()) && row.stopping()
                ? new ApiServiceInfo(workspaceId, groupId, info.cu(), info.instanceId(), STOPPING) : info;
    }

    private static boolean active(String status) {
        return "QUEUED".equals(status) || "STARTING".equals(status) || "RUNNING".equals(status);
    }

    /**
     * Runs one query on the pair's service. A service that is not there is started; one that is
     * not serving yet (queued for CU, starting, restarting) is a 503 with Retry-After.
     *
     * @return the worker's answer (its head: {@code ok}, {@code total}, or {@code error}; the rows as JSON)
     */
    WorkerClient.Answer execute(String workspaceId, String groupId, QueryPlan plan, WorkerSource source, int timeoutMillis) {
        String key = workspaceId + "/" + groupId;
        Run run = run(key, workspaceId, groupId, false);
        if (!"RUNNING".equals(run.status())) {
            throw notServing(groupId, run);
        }
        WorkerProtocol.Request request = new WorkerProtocol.Request(null, null, plan.sql(), plan.binds(), plan.countSql(),
                plan.countBinds(), plan.maxRows(), timeoutMillis);
        int connections = (int) Math.max(2, run.milliCu() * WorkerClient.CONNECTIONS_PER_CU / 1000);
        try {
            // the worker cancels the query at the timeout; srg waits a little longer for that answer
            return worker.call(run.runId(), () -> endpointOfRun.apply(run.runId()), run.secret(), connections, source, request,
                    timeoutMillis + 2000L);
        } catch (WorkerClient.Unreachable e) {
            LOG.debug("dataservice: {} unreachable: {}", run.runId(), e.getMessage());
            runs.remove(key);
            worker.forget(run.runId());
            Run fresh = run(key, workspaceId, groupId, true);
            throw notServing(groupId, fresh.runId() != null && !fresh.runId().equals(run.runId()) ? fresh
                    : new Run(fresh.instanceId(), fresh.runId(), "STARTING", fresh.milliCu(), fresh.readAt(), fresh.secret()));
        } catch (WorkerClient.Outdated e) {
            // a worker an older srg started (a service outlives its server): replaced by this srg's, as a restart would
            LOG.info("dataservice: {} runs an older srg's worker; restarting it", run.instanceId());
            worker.forget(run.runId());
            runs.remove(key);
            try {
                instances.cancel(Principal.SYSTEM, run.instanceId());
            } catch (SrgException ended) {
                LOG.debug("dataservice: {} already ended: {}", run.instanceId(), ended.getMessage());
            }
            throw notServing(groupId, new Run(run.instanceId(), null, "STARTING", run.milliCu(), run.readAt(), null));
        } catch (WorkerClient.NoAnswer e) {
            throw new SrgException(504, "DataService.Timeout", null, "the API did not answer within " + timeoutMillis + " ms");
        } catch (WorkerClient.OverBudget e) {
            LOG.info("dataservice: a call of {} refused: {}", run.instanceId(), e.getMessage());
            throw new DataServiceGateway.RetryAfter(503, "ServiceUnavailable.DataService.AnswerBudget", "the server holds as many"
                    + " DataService answers as it may at once (its answer budget); retry shortly", 1);
        } catch (WorkerClient.Busy e) {
            throw new DataServiceGateway.RetryAfter(503, "ServiceUnavailable.DataService.Busy", "the API's service has "
                    + "too many calls waiting already", 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SrgException(503, "ServiceUnavailable.DataService", null, "the server is shutting down");
        }
    }

    /**
     * SPEC NET-6: why the pair's worker cannot reach {@code address} (the data source's host as the
     * worker resolved it): its network is enforced and the group's first VPC binding does not reach
     * it. Null when it does (the database itself refused or is down) or nothing is enforced.
     */
    String networkReason(String workspaceId, String groupId, String address) {
        Run run = runs.get(workspaceId + "/" + groupId);
        if (address == null || run == null) {
            return null;
        }
        boolean enforced = jdbi.withHandle(h -> h.createQuery("""
                SELECT coalesce((enforcement -> 'network' ->> 'enforced')::boolean, false) FROM instances WHERE id = :id""")
                .bind("id", run.instanceId()).mapTo(Boolean.class).findOne()).orElse(false);
        if (!enforced) {
            return null;
        }
        long a;
        try {
            a = Cidr.parseAddress("address", address);
        } catch (RuntimeException e) {
            return null; // IPv6 or junk: nothing to say
        }
        NetworkPolicy.Verdict verdict = NetworkPolicy.of(DataServiceKind.firstBinding(new GroupNetworkContext(jdbi).of(groupId)))
                .verdict(a);
        return verdict.allowed() ? null : "DataService queries leave through the resource group's first VPC binding (NET-6),"
                + " which does not reach the data source: " + verdict.reason();
    }

    private static DataServiceGateway.RetryAfter doesNotFit() {
        return new DataServiceGateway.RetryAfter(503, "ServiceUnavailable.DataService.Quota", "the API's service does not fit"
                + " its resource group's DATA_SERVICE quota or size; the group's owner raises them or lowers the service's CU", 60);
    }

    /**
     * The 503 of a service that does not serve yet, saying what it waits for: admission (queued, with
     * the reason the group's ledger gives, as {@code GET /instances/{id}} does: {@code …DataService.Queued})
     * or its start ({@code …DataService.Starting}: starting, restarting, or queued with nothing in its way,
     * which the next admission starts). No instance id, position or other group's work in the answer.
     */
    private DataServiceGateway.RetryAfter notServing(String groupId, Run run) {
        WaitReason reason = "QUEUED".equals(run.status()) ? waitReason(groupId, run.instanceId()) : null;
        if (reason == null || reason == WaitReason.READY) {
            return new DataServiceGateway.RetryAfter(503, STARTING, "QUEUED".equals(run.status())
                    ? "the API's service is about to start on its resource group; retry in a moment"
                    : "the API's service is starting; retry in a moment", 1);
        }
        return new DataServiceGateway.RetryAfter(503, QUEUED, "the API's service is queued for DATA_SERVICE CU on its"
                + " resource group: " + why(reason) + "; retry later", reason == WaitReason.BUDGET ? 60 : 5, reason.name());
    }

    static final String STARTING = "ServiceUnavailable.DataService.Starting";
    static final String QUEUED = "ServiceUnavailable.DataService.Queued";

    /** How long a queued service's reason is answered without asking the group's ledger again. */
    private static final long WAITING_NANOS = 500_000_000L;

    /** A queued service's reason as last read, so a stream of calls does not walk the group's queue for each. */
    private record Waiting(WaitReason reason, long readAt) {}

    private WaitReason waitReason(String groupId, String instanceId) {
        Waiting w = waiting.get(instanceId);
        long now = System.nanoTime();
        if (w != null && now - w.readAt() < WAITING_NANOS) {
            return w.reason();
        }
        WaitReason reason = instances.waitReason(groupId, instanceId).orElse(null);
        if (reason == null) {
            waiting.remove(instanceId);
        } else {
            waiting.put(instanceId, new Waiting(reason, now));
        }
        return reason;
    }

    /** Why, in the caller's words: what the group's owner would see in the instance's queue reason. */
    private static String why(WaitReason reason) {
        return switch (reason) {
            case CAPACITY -> "the group has not enough free CU for it now (CAPACITY)";
            case MAX_QUOTA -> "the group's DATA_SERVICE maximum quota is in use (MAX_QUOTA)";
            case RESERVED_FOR_OTHER_TYPES -> "the group's free CU are kept for other usage types' minimum quotas"
                    + " (RESERVED_FOR_OTHER_TYPES)";
            case HELD_FOR_HEAD -> "the group's free CU are held for work that has waited longer (HELD_FOR_HEAD)";
            case CONCURRENCY -> "the group's concurrency threshold is reached (CONCURRENCY)";
            case BUDGET -> "a spent budget holds new work of its workspace or group (BUDGET)";
            case GROUP_NOT_ADMITTING -> "the group admits nothing in its present state (GROUP_NOT_ADMITTING)";
            case INSUFFICIENT_STORAGE -> "the disk where srg's tasks run is short of space (INSUFFICIENT_STORAGE)";
            case READY -> "nothing is in its way (READY)";
        };
    }

    private Run run(String key, String workspaceId, String groupId, boolean fresh) {
        Run cached = runs.get(key);
        if (!fresh && cached != null && "RUNNING".equals(cached.status())) {
            long age = System.nanoTime() - cached.readAt();
            if (age < RUN_REFRESH_NANOS) {
                return cached;
            }
            // read again in the background: a call never waits for the store while its service runs
            // (a run that ended meanwhile is found by the call that cannot reach it)
            if (age < RUN_MAX_STALE_NANOS) {
                if (refreshing.add(key)) {
                    Thread.ofVirtual().name("ds-run-refresh").start(() -> {
                        try {
                            if (current(key, workspaceId, groupId) == null) {
                                runs.remove(key);
                            }
                        } catch (RuntimeException e) {
                            LOG.debug("dataservice: reading the service of {} failed: {}", key, e.toString());
                        } finally {
                            refreshing.remove(key);
                        }
                    });
                }
                return cached;
            }
        }
        // it did not fit its group a moment ago and the group has not changed since: the same answer, without
        // reading the store and trying admission again on every call
        if (startFailures.recentlyFailed(workspaceId, groupId)) {
            throw doesNotFit();
        }
        long mark = startFailures.mark();
        Run run = current(key, workspaceId, groupId);
        if (run == null) {
            // gone (cancelled, failed, never started, resized): calls bring it back
            Started started;
            try {
                started = locked(workspaceId, groupId, this::start);
            } catch (SrgException e) {
                if (e.status() != 400) {
                    throw e;
                }
                // its CU can never fit the group as it is now (a quota or a scale-in since it was set): the caller
                // is told to come back, the owner why (the CU is the owner's to change, not the caller's)
                LOG.debug("dataservice: the service of {} cannot start: {}", key, e.detail());
                startFailures.failed(workspaceId, groupId, mark);
                throw doesNotFit();
            }
            runs.remove(key);
            // as the submission answered: queued (the next admission may start it) or already starting
            String status = started.status() == null || "RUNNING".equals(started.status()) ? "STARTING" : started.status();
            return new Run(started.instanceId(), null, status, 0, System.nanoTime(), null);
        }
        return run;
    }

    /** The pair's active run as the store has it now (cached), or null when none is active. */
    private Run current(String key, String workspaceId, String groupId) {
        record Row(String instanceId, String runId, String status, long milliCu, String service, String generation) {}
        long now = System.nanoTime();
        Optional<Row> row = jdbi.withHandle(h -> h.createQuery("""
                SELECT i.id, coalesce(i.run_id, i.id), i.status, i.milli_cu, i.payload ->> 'dataService', i.payload ->> 'generation'
                FROM ds_services s JOIN instances i ON i.id = s.instance_id
                WHERE s.workspace_id = :ws AND s.resource_group_id = :rg AND NOT (s.instance_id = ANY(s.stopping))""")
                .bind("ws", workspaceId).bind("rg", groupId)
                .map((rs, ctx) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                        rs.getString(6))).findOne());
        if (row.isEmpty() || !active(row.get().status())) {
            return null;
        }
        Row r = row.get();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put(DataServiceKind.FIELD, r.service());
        if (r.generation() != null) {
            payload.put(DataServiceKind.GENERATION, r.generation());
        }
        Run run = new Run(r.instanceId(), r.runId(), r.status(), r.milliCu(), now, DataServiceKind.workerSecret(secrets, payload));
        if (!"QUEUED".equals(r.status())) {
            waiting.remove(r.instanceId());
        }
        Run previous = runs.put(key, run);
        if (previous != null && previous.runId() != null && !previous.runId().equals(r.runId())) {
            worker.forget(previous.runId());
        }
        return run;
    }

    @Override
    public void close() {
        worker.close();
    }
}
