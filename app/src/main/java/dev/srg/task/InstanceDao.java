package dev.srg.task;

import dev.srg.access.AuditEntry;
import dev.srg.access.AuditLog;
import dev.srg.admission.QueuedTask;
import dev.srg.admission.UsageType;
import dev.srg.execution.Enforcement;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.WorkShape;
import dev.srg.json.Json;
import dev.srg.quantity.ComputeUnits;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import tools.jackson.core.type.TypeReference;

/** SQL for instances. Every status change is a compare-and-set on the current status. */
final class InstanceDao {
    /** The id of the statement's transaction, as text (PostgreSQL 13+: {@code xid8}). */
    private static final String XID = "pg_current_xact_id()::text AS xid";
    /** The columns of {@link #row}; rows written before payloads existed have only a script. */
    private static final String COLUMNS = """
            i.id, i.sequence, i.workspace_id, i.resource_group_id, i.name, i.type, i.shape, i.usage_type,
            coalesce(i.payload, jsonb_build_object('script', i.script)) AS payload, i.milli_cu, i.priority,
            i.timeout_seconds, i.image_id, i.status, i.submitted_by, i.queued_at, i.started_at, i.finished_at,
            i.exit_code, i.failure_reason, i.cpu_seconds, i.peak_memory_bytes, i.limits_enforced, i.limits_note,
            i.warnings, i.restarts, i.run_id, i.backend, i.enforcement,
            (SELECT g.region_id FROM resource_groups g WHERE g.id = i.resource_group_id) AS region_id""";
    private static final String ACTIVE = "('QUEUED', 'STARTING', 'RUNNING')";
    private static final TypeReference<Map<String, Object>> PAYLOAD = new TypeReference<>() {};
    private final Handle h;
    private final Instant now;

    InstanceDao(Handle h, Clock clock) {
        this.h = h;
        this.now = clock.instant();
    }

    /**
     * A stored instance with what the dispatcher needs beyond the API view: its payload, the launch
     * id of its current run, the backend it was launched on (null before its first launch) and
     * its group's region.
     */
    record Row(InstanceInfo info, long sequence, Map<String, Object> payload, String runId, String backend,
               String regionId) {
        String id() {
            return info.id();
        }

        /** The launch id of the current run: the instance id, then {@code <id>.r<n>} after the n-th restart. */
        String currentRun() {
            return runId != null ? runId : info.id();
        }
    }

    /** The fields of a new instance, as the submission's rules settled them. */
    record NewInstance(String id, String workspaceId, String groupId, String name, String kind, WorkShape shape,
                       UsageType usageType, Map<String, Object> payload, ComputeUnits cu, int priority,
                       int timeoutSeconds, String imageId, List<String> warnings, String submittedBy) {}

    /**
     * Stores a new QUEUED instance and gives it back as stored (one round trip: the row comes back
     * with the insert), with its audit entry when there is one (SPEC ACC-5) in the same statement.
     */
    Row insert(NewInstance n, Optional<AuditEntry> audit) {
        String sql = """
                INSERT INTO instances AS i (id, workspace_id, resource_group_id, name, type, shape, usage_type, payload, milli_cu,
                    priority, timeout_seconds, image_id, status, submitted_by, queued_at, warnings)
                VALUES (:id, :ws, :rg, :name, :type, :shape, :usage, CAST(:payload AS jsonb), :cu, :priority, :timeout,
                    :image, 'QUEUED', :by, :now, :warnings) RETURNING""" + " " + COLUMNS;
        Query insert = audit.isPresent() ? AuditLog.recordWith(h, now, audit.get(), sql, Handle::createQuery) : h.createQuery(sql);
        return insert
                .bind("id", n.id()).bind("ws", n.workspaceId()).bind("rg", n.groupId()).bind("name", n.name())
                .bind("type", n.kind()).bind("shape", n.shape().name()).bind("usage", n.usageType().name())
                .bind("payload", Json.MAPPER.writeValueAsString(n.payload()))
                .bind("cu", n.cu().milli()).bind("priority", n.priority()).bind("timeout", n.timeoutSeconds())
                .bind("image", n.imageId()).bind("by", n.submittedBy()).bind("now", now)
                .bind("warnings", n.warnings().isEmpty() ? null : String.join("\n", n.warnings()))
                .map((rs, ctx) -> row(rs, now)).one();
    }

    Optional<Row> find(String id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances i WHERE i.id = :id").bind("id", id)
                .map((rs, ctx) -> row(rs, now)).findOne();
    }

    List<Row> list(String groupId, InstanceStatus status, UsageType usageType, List<String> workspaceIds, String afterId,
                   int limit) {
        return h.createQuery("SELECT " + COLUMNS + """
                 FROM instances i
                WHERE i.id > :after
                  AND (CAST(:rg AS text) IS NULL OR i.resource_group_id = :rg)
                  AND (CAST(:status AS text) IS NULL OR i.status = :status)
                  AND (CAST(:usage AS text) IS NULL OR i.usage_type = :usage)
                  AND (CAST(:restricted AS boolean) = false OR i.workspace_id = ANY(:workspaces))
                ORDER BY i.id LIMIT :limit""")
                .bind("after", afterId).bind("rg", groupId).bind("status", status == null ? null : status.name())
                .bind("usage", usageType == null ? null : usageType.name())
                .bind("restricted", workspaceIds != null)
                .bindArray("workspaces", String.class, workspaceIds == null ? List.of() : workspaceIds)
                .bind("limit", limit)
                .map((rs, ctx) -> row(rs, now)).list();
    }

    /**
     * A queued instance as admission holds it: no payload (admission reads the full row when it
     * starts the instance), so that rebuilding 10,000 queued instances at a restart, and looking
     * for ones this leader does not know, parses no JSON.
     */
    record Queued(String id, String groupId, WorkShape shape, QueuedTask task) {
        static Queued of(Row row) {
            InstanceInfo i = row.info();
            return new Queued(i.id(), i.resourceGroupId(), i.shape(), new QueuedTask(i.id(), i.usageType(), i.cu().milli(),
                    i.priority(), row.sequence(), i.queuedAt().toEpochMilli(), i.workspaceId()));
        }
    }

    /** Every queued instance, in submission order. */
    List<Queued> queued() {
        return h.createQuery("""
                SELECT id, resource_group_id, shape, usage_type, milli_cu, priority, sequence, queued_at, workspace_id
                  FROM instances WHERE status = 'QUEUED' ORDER BY sequence""")
                .map((rs, ctx) -> new Queued(rs.getString(1), rs.getString(2), WorkShape.valueOf(rs.getString(3)),
                        new QueuedTask(rs.getString(1), UsageType.valueOf(rs.getString(4)), rs.getLong(5), rs.getInt(6),
                                rs.getLong(7), rs.getTimestamp(8).getTime(), rs.getString(9))))
                .list();
    }

    /** The started instances (STARTING or RUNNING), in submission order. */
    List<Row> started() {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances i WHERE i.status IN ('STARTING', 'RUNNING') ORDER BY i.sequence")
                .map((rs, ctx) -> row(rs, now)).list();
    }

    /** The active instances of one group (for start estimates). */
    List<Row> activeIn(String groupId) {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances i WHERE i.resource_group_id = :rg"
                        + " AND i.status IN " + ACTIVE + " ORDER BY i.sequence")
                .bind("rg", groupId).map((rs, ctx) -> row(rs, now)).list();
    }

    /**
     * FAIR_SHARE's past use per group and workspace (docs/rules.md#queue-policy): the CU-seconds of
     * every run on the group, each second weighed {@code 2^(-age / halfLife)} at {@code now} with the
     * group's half-life in {@code halfLives}; runs that ended in the last 40 half-lives (older ones
     * weigh below 10^-12) and the running ones up to now; with when the latest of those runs ended
     * (the idle guarantee counts from it). A restart rebuilds the shares from it, so it does not
     * reset them, and so does a change of the half-life.
     */
    Map<String, Map<String, PastUse>> decayedUsage(Map<String, Duration> halfLives, Instant now) {
        Map<String, Map<String, PastUse>> out = new HashMap<>();
        if (halfLives.isEmpty()) {
            return out;
        }
        List<String> ids = List.copyOf(halfLives.keySet());
        List<Double> seconds = ids.stream().map(id -> halfLives.get(id).toMillis() / 1000.0).toList();
        // exp of a large negative number underflows to an error in PostgreSQL: ages are capped at 700/λ
        h.createQuery("""
                SELECT i.resource_group_id, i.workspace_id,
                       sum(i.milli_cu / 1000.0
                           * (exp(-least(700, g.l * greatest(0, extract(epoch FROM (:now - least(coalesce(i.finished_at, :now), :now))))))
                              - exp(-least(700, g.l * greatest(0, extract(epoch FROM (:now - least(i.started_at, :now))))))) / g.l),
                       max(i.finished_at)
                  FROM (SELECT id, ln(2) / hl AS l, hl FROM unnest(:ids, :seconds) AS t(id, hl)) g
                  JOIN instances i ON i.resource_group_id = g.id
                 WHERE i.started_at IS NOT NULL
                   AND (i.finished_at >= CAST(:now AS timestamptz) - make_interval(secs => 40 * g.hl)
                        OR (i.finished_at IS NULL AND i.status IN ('STARTING', 'RUNNING')))
                 GROUP BY i.resource_group_id, i.workspace_id""")
                .bindArray("ids", String.class, ids).bindArray("seconds", Double.class, seconds).bind("now", now)
                .map((rs, ctx) -> {
                    java.sql.Timestamp lastEnd = rs.getTimestamp(4);
                    return out.computeIfAbsent(rs.getString(1), g -> new HashMap<>()).put(rs.getString(2),
                            new PastUse(rs.getDouble(3), lastEnd == null ? Long.MIN_VALUE : lastEnd.getTime()));
                })
                .list();
        return out;
    }

    /** A workspace's decayed CU-seconds on a group, and when its latest run there ended ({@link Long#MIN_VALUE}: none did). */
    record PastUse(double decayedCuSeconds, long lastEndMillis) {}

    /** How long runs of one task name in one workspace took: the median of its recent successful runs. */
    record RunHistory(long medianMillis, int runs) {}

    /** A recurring task: the same name in the same workspace (BEY-1, BEY-4). */
    record TaskName(String workspaceId, String name) {}

    /**
     * SPEC BEY-1: per task (workspace id and name), the median run time of the last (up to 20)
     * successful runs of that task name in that workspace, on any group. Tasks without a success
     * are not in the answer.
     */
    Map<TaskName, RunHistory> runHistory(Collection<TaskName> names) {
        Map<TaskName, RunHistory> out = new HashMap<>();
        if (names.isEmpty()) {
            return out;
        }
        List<TaskName> list = List.copyOf(names);
        h.createQuery("""
                SELECT ws, name, percentile_cont(0.5) WITHIN GROUP (ORDER BY millis) AS median, count(*) AS n
                FROM (SELECT k.ws, k.name, extract(epoch FROM i.finished_at - i.started_at) * 1000 AS millis,
                             row_number() OVER (PARTITION BY k.ws, k.name ORDER BY i.finished_at DESC) AS rn
                      FROM unnest(:workspaces, :names) AS k(ws, name)
                      JOIN instances i ON i.workspace_id = k.ws AND i.name = k.name
                      WHERE i.status = 'SUCCEEDED' AND i.started_at IS NOT NULL) recent
                WHERE rn <= 20 GROUP BY ws, name""")
                .bindArray("workspaces", String.class, list.stream().map(TaskName::workspaceId).toList())
                .bindArray("names", String.class, list.stream().map(TaskName::name).toList())
                .map((rs, ctx) -> out.put(new TaskName(rs.getString("ws"), rs.getString("name")),
                        new RunHistory(Math.max(1, Math.round(rs.getDouble("median"))), rs.getInt("n"))))
                .list();
        return out;
    }

    /**
     * SPEC BEY-4: per task name of a workspace (or one name), its last 10 successful runs, newest
     * first, and the run time of all its successful runs since {@code since}.
     */
    Map<String, List<RightSizing.Run>> recentRuns(String workspaceId, String name, List<String> types) {
        Map<String, List<RightSizing.Run>> out = new java.util.TreeMap<>();
        h.createQuery("""
                SELECT name, milli_cu, run_millis, cpu_seconds, peak_memory_bytes FROM (
                    SELECT name, milli_cu, (extract(epoch FROM finished_at - started_at) * 1000)::bigint AS run_millis,
                           cpu_seconds, peak_memory_bytes,
                           row_number() OVER (PARTITION BY name ORDER BY finished_at DESC) AS rn
                      FROM instances
                     WHERE workspace_id = :ws AND status = 'SUCCEEDED' AND name IS NOT NULL AND started_at IS NOT NULL
                       AND type = ANY(:types) AND (CAST(:name AS text) IS NULL OR name = :name)) recent
                 WHERE rn <= 10 ORDER BY name, rn""")
                .bind("ws", workspaceId).bind("name", name).bindArray("types", String.class, types)
                .map((rs, ctx) -> {
                    long peak = rs.getLong("peak_memory_bytes");
                    Long peakBytes = rs.wasNull() ? null : peak;
                    return out.computeIfAbsent(rs.getString("name"), k -> new java.util.ArrayList<>()).add(new RightSizing.Run(
                            rs.getLong("milli_cu"), rs.getLong("run_millis"), rs.getDouble("cpu_seconds"), peakBytes));
                }).list();
        return out;
    }

    /** SPEC BEY-4: per task name of a workspace, the run time of its successful runs since {@code since}. */
    Map<String, Long> runMillisSince(String workspaceId, Instant since, List<String> types) {
        Map<String, Long> out = new HashMap<>();
        h.createQuery("""
                SELECT name, coalesce(sum((extract(epoch FROM finished_at - started_at) * 1000)::bigint), 0)
                  FROM instances
                 WHERE workspace_id = :ws AND status = 'SUCCEEDED' AND name IS NOT NULL AND finished_at >= :since
                   AND type = ANY(:types)
                 GROUP BY name""")
                .bind("ws", workspaceId).bind("since", since).bindArray("types", String.class, types)
                .map((rs, ctx) -> out.put(rs.getString(1), rs.getLong(2))).list();
        return out;
    }

    /**
     * SPEC RG-7: per group, whether an instance starts or runs now, and when the last one that
     * started ended (or started); groups without a started instance are not in the answer.
     */
    Map<String, Instant> lastActivity(Collection<String> groupIds) {
        Map<String, Instant> last = new HashMap<>();
        h.createQuery("""
                SELECT resource_group_id, bool_or(status IN ('STARTING', 'RUNNING')) AS active,
                       max(coalesce(finished_at, started_at)) AS last_end
                  FROM instances
                 WHERE resource_group_id = ANY(:ids) AND started_at IS NOT NULL
                 GROUP BY resource_group_id""")
                .bindArray("ids", String.class, List.copyOf(groupIds))
                .map((rs, ctx) -> last.put(rs.getString(1), rs.getBoolean(2) ? now : rs.getTimestamp(3).toInstant()))
                .list();
        return last;
    }

    /**
     * Rows moved to STARTING, and the id of the transaction that moved them: if the answer to its
     * COMMIT is lost, {@link #outcome} tells whether it committed. {@code xid} is null when no row moved.
     */
    record Starting(List<Row> rows, String xid) {}

    /**
     * SPEC RG-8: nothing starts on a group whose release has committed, even before the server's
     * admission has been told (the release tells it after its commit; a submission whose INSERT waited
     * for the release's lock on the group's row goes on in between). Such a task stays QUEUED, and the
     * release's sweep cancels it. A primary-key read in the same statement: no statement more.
     */
    private static final String NOT_RELEASING = "NOT EXISTS (SELECT 1 FROM resource_groups g WHERE g.id = i.resource_group_id"
            + " AND g.status IN ('RELEASING', 'RELEASED'))";

    /**
     * QUEUED → STARTING for a batch (write-ahead: committed before any launch). Returns the rows
     * that made the move; one that was cancelled meanwhile is not among them.
     */
    Starting markStarting(List<String> ids) {
        String[] xid = new String[1];
        List<Row> rows = h.createQuery("UPDATE instances i SET status = 'STARTING', started_at = :now"
                        + " WHERE i.id = ANY(:ids) AND i.status = 'QUEUED' AND " + NOT_RELEASING + " RETURNING " + COLUMNS + ", " + XID)
                .bind("now", now).bindArray("ids", String.class, ids)
                .map((rs, ctx) -> {
                    xid[0] = rs.getString("xid");
                    return row(rs, now);
                }).list();
        return new Starting(rows, xid[0]);
    }

    /**
     * QUEUED → STARTING with its launch record (run id, backend, enforcement) in one statement: a
     * start decided in the submission's own transaction (issue 17). Empty when it is not queued.
     */
    Optional<Starting> startWithLaunch(String id, String runId, String backend, Enforcement enforcement) {
        return h.createQuery("UPDATE instances i SET status = 'STARTING', started_at = :now, run_id = :run, backend = :backend,"
                        + " enforcement = CAST(:enforcement AS jsonb) WHERE i.id = :id AND i.status = 'QUEUED' AND " + NOT_RELEASING
                        + " RETURNING "
                        + COLUMNS + ", " + XID)
                .bind("now", now).bind("id", id).bind("run", runId).bind("backend", backend)
                .bind("enforcement", Json.MAPPER.writeValueAsString(enforcement))
                .map((rs, ctx) -> new Starting(List.of(row(rs, now)), rs.getString("xid"))).findOne();
    }

    /**
     * Whether transaction {@code xid} committed (true) or was rolled back (false); empty while it is
     * still in progress — its COMMIT was sent and the server has not finished it — or when the
     * store no longer knows it. PostgreSQL keeps this for recent transactions exactly so that a
     * client whose connection broke during COMMIT can learn the outcome.
     */
    static Optional<Boolean> outcome(Handle h, String xid) {
        return h.createQuery("SELECT pg_xact_status(CAST(:xid AS xid8))").bind("xid", xid).mapTo(String.class).findOne()
                .flatMap(status -> switch (status) {
                    case "committed" -> Optional.of(true);
                    case "aborted" -> Optional.of(false);
                    default -> Optional.empty(); // in progress
                });
    }

    /**
     * Written before a launch (write-ahead): the launch id of the run, the backend it goes to and
     * what that backend enforces for it (RT-3). False when the instance is no longer starting
     * (cancelled meanwhile): then it must not be launched.
     */
    boolean recordLaunch(String id, String runId, String backend, Enforcement enforcement) {
        return h.createUpdate("""
                UPDATE instances SET run_id = :run, backend = :backend, enforcement = CAST(:enforcement AS jsonb)
                WHERE id = :id AND status = 'STARTING'""")
                .bind("id", id).bind("run", runId).bind("backend", backend)
                .bind("enforcement", Json.MAPPER.writeValueAsString(enforcement)).execute() == 1;
    }

    /**
     * STARTING → RUNNING for the launched ones of a batch, in one statement; one already final is left
     * alone. The rows are locked in id order, as {@link #finishAll} locks them: a task can end before it
     * is marked RUNNING, and a batch of exits and a batch marked RUNNING that took their rows in
     * different orders would each wait for the other (PostgreSQL aborts one of them as a deadlock).
     */
    void markRunning(List<String> ids) {
        h.createUpdate("""
                UPDATE instances SET status = 'RUNNING'
                WHERE id IN (SELECT id FROM instances WHERE id = ANY(:ids) AND status = 'STARTING' ORDER BY id FOR UPDATE)
                    AND status = 'STARTING'""")
                .bindArray("ids", String.class, ids).execute();
    }

    /** An outcome for {@link #finishAll}. */
    record Finish(String id, InstanceStatus status, ExitStatus exit, Instant startedAt, Instant finishedAt) {}

    /**
     * Outcomes of a batch, the rows updated (and so locked) in id order, the order {@link #markRunning}
     * locks them in; @return for each finish, in the order given, whether it was recorded (false: the
     * instance was no longer starting or running).
     */
    List<Boolean> finishAll(List<Finish> finishes) {
        Boolean[] recorded = new Boolean[finishes.size()];
        IntStream.range(0, finishes.size()).boxed()
                .sorted(Comparator.comparing(i -> finishes.get(i).id()))
                .forEach(i -> {
                    Finish f = finishes.get(i);
                    recorded[i] = finish(f.id(), f.status(), f.exit(), f.startedAt(), f.finishedAt());
                });
        return List.of(recorded);
    }

    /**
     * A service's run ended by itself: the next run gets {@code nextRun} (committed before it is
     * launched, so that it starts at most once). False when the instance moved on meanwhile (stopped,
     * or another exit of the same run was handled).
     */
    boolean restart(String id, String endedRun, String nextRun) {
        return h.createUpdate("""
                UPDATE instances SET status = 'STARTING', restarts = restarts + 1, run_id = :next
                WHERE id = :id AND status IN ('STARTING', 'RUNNING') AND coalesce(run_id, id) = :ended""")
                .bind("id", id).bind("ended", endedRun).bind("next", nextRun).execute() == 1;
    }

    /**
     * STARTING or RUNNING → QUEUED for a run whose launch met a full disk before anything of it ran
     * (the backend says so, and removed what it wrote): it waits again at its old place (its
     * sequence and queued time are kept), its run id too, and it is not billed for the wait
     * ({@code started_at} cleared). Empty when the instance moved on (cancelled, another run).
     */
    Optional<Row> requeue(String id, String runId) {
        return h.createQuery("UPDATE instances i SET status = 'QUEUED', started_at = NULL, enforcement = NULL"
                        + " WHERE i.id = :id AND i.status IN ('STARTING', 'RUNNING') AND coalesce(i.run_id, i.id) = :run"
                        + " RETURNING " + COLUMNS)
                .bind("id", id).bind("run", runId).map((rs, ctx) -> row(rs, now)).findOne();
    }

    /** {@link #cancelQueued(String)} only while it is queued on run {@code runId} (put back with its run). */
    boolean cancelQueued(String id, String runId) {
        return h.createUpdate("""
                UPDATE instances SET status = 'CANCELLED', failure_reason = 'CANCELLED', finished_at = :now
                WHERE id = :id AND status = 'QUEUED' AND coalesce(run_id, id) = :run""")
                .bind("now", now).bind("id", id).bind("run", runId).execute() == 1;
    }

    boolean cancelQueued(String id) {
        return h.createUpdate("""
                UPDATE instances SET status = 'CANCELLED', failure_reason = 'CANCELLED', finished_at = :now
                WHERE id = :id AND status = 'QUEUED'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    /**
     * Records the outcome of an instance that was STARTING or RUNNING; false if it was already final.
     * Its run time counts from admission (STARTING: its CUs are reserved then), which billing meters.
     * A run that started corrects the CPU and memory part of the recorded enforcement with what the
     * run found (its cgroups may have failed).
     */
    private boolean finish(String id, InstanceStatus status, ExitStatus exit, Instant startedAt, Instant finishedAt) {
        // LOST: the time given is when the server found out (after a restart, maybe days later); the run ended where the
        // meter last saw it running (SPEC RG-9: pay-as-you-go, the end the meter bills, MeterDecider; a subscription
        // group's run is sighted by every pass without a bill, Meter#sight), never later than found. No sighting: it
        // ends at its start (a pay-as-you-go run is billed nothing); a converted group's run after its conversion keeps
        // the time found (its watermark is the conversion's).
        return h.createUpdate("""
                UPDATE instances i SET status = :status, exit_code = :exit, failure_reason = :reason,
                    started_at = coalesce(started_at, :startedAt),
                    finished_at = greatest(CASE WHEN NOT :lost THEN :finishedAt
                            ELSE least(:finishedAt, coalesce(
                                (SELECT m.metered_until FROM metered_instances m JOIN resource_groups g ON g.id = i.resource_group_id
                                  WHERE m.instance_id = i.id AND (g.payg_until IS NULL OR m.metered_until < g.payg_until)),
                                (SELECT coalesce(i.started_at, :startedAt) FROM resource_groups g
                                  WHERE g.id = i.resource_group_id AND g.payg_until IS NULL),
                                :finishedAt)) END,
                        coalesce(started_at, :startedAt, :finishedAt)), cpu_seconds = :cpu,
                    peak_memory_bytes = :peak, limits_enforced = :enforced, limits_note = :note,
                    enforcement = CASE WHEN enforcement IS NULL OR NOT :ran THEN enforcement
                        ELSE enforcement || jsonb_build_object(
                            'cpu', jsonb_build_object('enforced', :enforced, 'note', CAST(:note AS text)),
                            'memory', jsonb_build_object('enforced', :enforced, 'note', CAST(:note AS text))) END
                WHERE id = :id AND status IN ('STARTING', 'RUNNING')""")
                .bind("status", status.name()).bind("exit", exit.exitCode())
                .bind("reason", exit.reason() == FailureReason.NONE ? null : exit.reason().name())
                .bind("startedAt", startedAt).bind("finishedAt", finishedAt).bind("cpu", exit.cpuSeconds())
                .bind("peak", exit.peakMemoryBytes()).bind("enforced", exit.limitsEnforced()).bind("note", exit.limitsNote())
                .bind("ran", exit.startedAt() != null).bind("lost", exit.reason() == FailureReason.LOST)
                .bind("id", id).execute() == 1;
    }

    private static Row row(ResultSet rs, Instant now) throws SQLException {
        InstanceStatus status = InstanceStatus.valueOf(rs.getString("status"));
        WorkShape shape = WorkShape.valueOf(rs.getString("shape"));
        Instant queuedAt = rs.getTimestamp("queued_at").toInstant();
        Instant startedAt = instant(rs.getTimestamp("started_at"));
        Instant finishedAt = instant(rs.getTimestamp("finished_at"));
        ComputeUnits cu = ComputeUnits.ofMilli(rs.getLong("milli_cu"));
        long waitMillis = Duration.between(queuedAt, startedAt != null ? startedAt : finishedAt != null ? finishedAt : now).toMillis();
        Long runMillis = startedAt == null ? null : Duration.between(startedAt, finishedAt != null ? finishedAt : now).toMillis();
        double cpu = rs.getDouble("cpu_seconds");
        boolean hasCpu = !rs.wasNull();
        long peak = rs.getLong("peak_memory_bytes");
        Long peakBytes = rs.wasNull() ? null : peak;
        InstanceInfo.Consumption consumption = status.isFinal() && hasCpu
                ? new InstanceInfo.Consumption(runMillis == null ? 0 : cu.milli() * runMillis / 1_000_000.0, cpu, peakBytes)
                : null;
        int exit = rs.getInt("exit_code");
        Integer exitCode = rs.wasNull() ? null : exit;
        String enforcementJson = rs.getString("enforcement");
        Enforcement enforcement = enforcementJson == null ? null : Json.STORED.readValue(enforcementJson, Enforcement.class);
        boolean enforced = rs.getBoolean("limits_enforced");
        Boolean limitsEnforced = rs.wasNull() ? null : enforced;
        String limitsNote = rs.getString("limits_note");
        if (limitsEnforced == null && enforcement != null) {
            // still running: what the backend declared for its CPU and memory
            limitsEnforced = enforcement.cpu().enforced() && enforcement.memory().enforced();
            limitsNote = enforcement.cpu().note();
        }
        String failure = rs.getString("failure_reason");
        String warnings = rs.getString("warnings");
        int timeout = rs.getInt("timeout_seconds");
        InstanceInfo info = new InstanceInfo(rs.getString("id"), rs.getString("name"), rs.getString("workspace_id"),
                rs.getString("resource_group_id"), rs.getString("type"), shape,
                UsageType.valueOf(rs.getString("usage_type")), cu, rs.getInt("priority"),
                shape == WorkShape.SERVICE ? null : timeout, rs.getString("image_id"), status, rs.getString("submitted_by"),
                queuedAt, startedAt, finishedAt, waitMillis, runMillis, exitCode,
                failure == null ? null : FailureReason.valueOf(failure), consumption, limitsEnforced, limitsNote,
                enforcement, rs.getInt("restarts"), warnings == null ? List.of() : Arrays.asList(warnings.split("\n")), null,
                null, null);
        return new Row(info, rs.getLong("sequence"), Json.STORED.readValue(rs.getString("payload"), PAYLOAD),
                rs.getString("run_id"), rs.getString("backend"), rs.getString("region_id"));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
