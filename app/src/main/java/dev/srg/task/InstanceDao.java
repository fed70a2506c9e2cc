package dev.srg.task;

import dev.srg.admission.UsageType;
import dev.srg.quantity.ComputeUnits;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** SQL for instances. Every status change is a compare-and-set on the current status. */
final class InstanceDao {
    private static final String COLUMNS = """
            id, sequence, workspace_id, resource_group_id, name, type, usage_type, script, milli_cu, priority,
            timeout_seconds, image_id, status, submitted_by, queued_at, started_at, finished_at, exit_code,
            failure_reason, cpu_seconds, peak_memory_bytes, limits_enforced, limits_note, warnings""";
    private final Handle h;
    private final Instant now;

    InstanceDao(Handle h, Clock clock) {
        this.h = h;
        this.now = clock.instant();
    }

    /** A stored instance with what the dispatcher needs beyond the API view. */
    record Row(InstanceInfo info, long sequence, String script) {
        String id() {
            return info.id();
        }
    }

    void insert(String id, SubmitRequest r, String workspaceId, String groupId, ComputeUnits cu, int priority,
                int timeoutSeconds, List<String> warnings, String submittedBy, Instant now) {
        h.createUpdate("""
                INSERT INTO instances (id, workspace_id, resource_group_id, name, type, usage_type, script, milli_cu,
                    priority, timeout_seconds, image_id, status, submitted_by, queued_at, warnings)
                VALUES (:id, :ws, :rg, :name, :type, :usage, :script, :cu, :priority, :timeout, :image, 'QUEUED', :by,
                    :now, :warnings)""")
                .bind("id", id).bind("ws", workspaceId).bind("rg", groupId).bind("name", r.name())
                .bind("type", r.type().name()).bind("usage", r.type().usageType().name()).bind("script", r.script())
                .bind("cu", cu.milli()).bind("priority", priority).bind("timeout", timeoutSeconds)
                .bind("image", r.imageId()).bind("by", submittedBy).bind("now", now)
                .bind("warnings", warnings.isEmpty() ? null : String.join("\n", warnings))
                .execute();
    }

    Optional<Row> find(String id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> row(rs, now)).findOne();
    }

    List<Row> list(String groupId, InstanceStatus status, UsageType usageType, List<String> workspaceIds, String afterId,
                   int limit) {
        return h.createQuery("SELECT " + COLUMNS + """
                 FROM instances
                WHERE id > :after
                  AND (CAST(:rg AS text) IS NULL OR resource_group_id = :rg)
                  AND (CAST(:status AS text) IS NULL OR status = :status)
                  AND (CAST(:usage AS text) IS NULL OR usage_type = :usage)
                  AND (CAST(:restricted AS boolean) = false OR workspace_id = ANY(:workspaces))
                ORDER BY id LIMIT :limit""")
                .bind("after", afterId).bind("rg", groupId).bind("status", status == null ? null : status.name())
                .bind("usage", usageType == null ? null : usageType.name())
                .bind("restricted", workspaceIds != null)
                .bindArray("workspaces", String.class, workspaceIds == null ? List.of() : workspaceIds)
                .bind("limit", limit)
                .map((rs, ctx) -> row(rs, now)).list();
    }

    /** Every instance that is not final, in arrival order (to rebuild the ledgers). */
    List<Row> active() {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE status IN ('QUEUED', 'STARTING', 'RUNNING') ORDER BY sequence")
                .map((rs, ctx) -> row(rs, now)).list();
    }

    /** The active instances of one group (for start estimates). */
    List<Row> activeIn(String groupId) {
        return h.createQuery("SELECT " + COLUMNS + " FROM instances WHERE resource_group_id = :rg"
                        + " AND status IN ('QUEUED', 'STARTING', 'RUNNING') ORDER BY sequence")
                .bind("rg", groupId).map((rs, ctx) -> row(rs, now)).list();
    }

    /**
     * The median run time, in milliseconds, of the last (up to 20) instances of each usage type of
     * a group that succeeded; only types with at least 3 such runs.
     */
    java.util.Map<UsageType, Long> typicalRunMillis(String groupId) {
        java.util.Map<UsageType, Long> typical = new java.util.EnumMap<>(UsageType.class);
        h.createQuery("""
                SELECT usage_type, percentile_cont(0.5) WITHIN GROUP (ORDER BY millis) AS median, count(*) AS n
                FROM (SELECT usage_type, extract(epoch FROM finished_at - started_at) * 1000 AS millis,
                             row_number() OVER (PARTITION BY usage_type ORDER BY finished_at DESC) AS rn
                      FROM instances
                      WHERE resource_group_id = :rg AND status = 'SUCCEEDED' AND started_at IS NOT NULL) recent
                WHERE rn <= 20 GROUP BY usage_type""")
                .bind("rg", groupId)
                .map((rs, ctx) -> {
                    if (rs.getInt("n") >= 3) {
                        typical.put(UsageType.valueOf(rs.getString("usage_type")), Math.max(1, Math.round(rs.getDouble("median"))));
                    }
                    return 0;
                }).list();
        return typical;
    }

    /**
     * QUEUED → STARTING for a batch (write-ahead: committed before any launch). Returns the rows
     * that made the move; one that was cancelled meanwhile is not among them.
     */
    List<Row> markStarting(List<String> ids) {
        return h.createQuery("UPDATE instances SET status = 'STARTING', started_at = :now"
                        + " WHERE id = ANY(:ids) AND status = 'QUEUED' RETURNING " + COLUMNS)
                .bind("now", now).bindArray("ids", String.class, ids)
                .map((rs, ctx) -> row(rs, now)).list();
    }

    boolean markRunning(String id) {
        return h.createUpdate("UPDATE instances SET status = 'RUNNING' WHERE id = :id AND status = 'STARTING'")
                .bind("id", id).execute() == 1;
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
     */
    boolean finish(String id, InstanceStatus status, Integer exitCode, String failureReason, Instant startedAt,
                   Instant finishedAt, double cpuSeconds, Long peakMemoryBytes, boolean limitsEnforced, String limitsNote) {
        return h.createUpdate("""
                UPDATE instances SET status = :status, exit_code = :exit, failure_reason = :reason,
                    started_at = coalesce(started_at, :startedAt),
                    finished_at = greatest(:finishedAt, coalesce(started_at, :startedAt, :finishedAt)), cpu_seconds = :cpu,
                    peak_memory_bytes = :peak, limits_enforced = :enforced, limits_note = :note
                WHERE id = :id AND status IN ('STARTING', 'RUNNING')""")
                .bind("status", status.name()).bind("exit", exitCode).bind("reason", failureReason)
                .bind("startedAt", startedAt).bind("finishedAt", finishedAt).bind("cpu", cpuSeconds)
                .bind("peak", peakMemoryBytes).bind("enforced", limitsEnforced).bind("note", limitsNote)
                .bind("id", id).execute() == 1;
    }

    private static Row row(ResultSet rs, Instant now) throws SQLException {
        InstanceStatus status = InstanceStatus.valueOf(rs.getString("status"));
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
        boolean enforced = rs.getBoolean("limits_enforced");
        Boolean limitsEnforced = rs.wasNull() ? null : enforced;
        String warnings = rs.getString("warnings");
        InstanceInfo info = new InstanceInfo(rs.getString("id"), rs.getString("name"), rs.getString("workspace_id"),
                rs.getString("resource_group_id"), TaskType.valueOf(rs.getString("type")),
                UsageType.valueOf(rs.getString("usage_type")), cu, rs.getInt("priority"), rs.getInt("timeout_seconds"),
                rs.getString("image_id"), status, rs.getString("submitted_by"), queuedAt, startedAt, finishedAt,
                waitMillis, runMillis, exitCode, rs.getString("failure_reason"), consumption, limitsEnforced,
                rs.getString("limits_note"), warnings == null ? List.of() : Arrays.asList(warnings.split("\n")), null);
        return new Row(info, rs.getLong("sequence"), rs.getString("script"));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
