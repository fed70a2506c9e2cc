package dev.srg.monitor;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/** SQL of the usage history: points per minute and per hour, the rollup, retention. */
final class UsageDao {
    static final String ALL = "ALL";
    static final int MINUTE = 60;
    static final int HOUR = 3600;

    private final Handle h;

    UsageDao(Handle h) {
        this.h = h;
    }

    /** A group the sampler records: every group that is not released. */
    record GroupRef(String id, String name, long capacityMilliCu) {}

    /** Read-only look at the groups' table (the group feature owns it): what to sample. */
    List<GroupRef> groups() {
        return h.createQuery("""
                SELECT id, name, CASE WHEN billing_mode = 'SUBSCRIPTION' THEN spec_milli_cu ELSE max_milli_cu END AS capacity
                FROM resource_groups WHERE status <> 'RELEASED' ORDER BY id""")
                .map((rs, ctx) -> new GroupRef(rs.getString("id"), rs.getString("name"), rs.getLong("capacity")))
                .list();
    }

    /** One stored point (a minute or an hour of one group and usage type). */
    record Point(String groupId, String usageType, int stepSeconds, Instant time, int samples, long capacityMilliCu,
                 double usedMeanMilliCu, long usedMaxMilliCu, double runningMean, int runningMax, double queuedMean,
                 int queuedMax, int admitted, long waitSumMillis, long waitMaxMillis, long oldestWaitMillis) {}

    /** Inserts points; a point that exists already is left alone (idempotent, never doubled). */
    int insert(List<Point> points) {
        if (points.isEmpty()) {
            return 0;
        }
        PreparedBatch batch = h.prepareBatch("""
                INSERT INTO usage_points (resource_group_id, usage_type, step_seconds, time, samples, capacity_milli_cu,
                    used_mean_milli_cu, used_max_milli_cu, running_mean, running_max, queued_mean, queued_max, admitted,
                    wait_sum_millis, wait_max_millis, oldest_wait_millis)
                VALUES (:groupId, :usageType, :stepSeconds, :time, :samples, :capacityMilliCu, :usedMeanMilliCu,
                    :usedMaxMilliCu, :runningMean, :runningMax, :queuedMean, :queuedMax, :admitted, :waitSumMillis,
                    :waitMaxMillis, :oldestWaitMillis)
                ON CONFLICT DO NOTHING""");
        for (Point p : points) {
            batch.bind("groupId", p.groupId()).bind("usageType", p.usageType()).bind("stepSeconds", p.stepSeconds())
                    .bind("time", p.time()).bind("samples", p.samples()).bind("capacityMilliCu", p.capacityMilliCu())
                    .bind("usedMeanMilliCu", p.usedMeanMilliCu()).bind("usedMaxMilliCu", p.usedMaxMilliCu())
                    .bind("runningMean", p.runningMean()).bind("runningMax", p.runningMax()).bind("queuedMean", p.queuedMean())
                    .bind("queuedMax", p.queuedMax()).bind("admitted", p.admitted()).bind("waitSumMillis", p.waitSumMillis())
                    .bind("waitMaxMillis", p.waitMaxMillis()).bind("oldestWaitMillis", p.oldestWaitMillis()).add();
        }
        int inserted = 0;
        for (int n : batch.execute()) {
            inserted += Math.max(0, n);
        }
        return inserted;
    }

    /**
     * Writes each template point (its time ignored) at every step of every range, expanded by the
     * database: one statement per template and range instead of a row each. Like {@link #insert},
     * a point that exists already is left alone.
     */
    int fill(List<Point> templates, List<UsageSampler.FillRange> ranges) {
        if (templates.isEmpty() || ranges.isEmpty()) {
            return 0;
        }
        PreparedBatch batch = h.prepareBatch("""
                INSERT INTO usage_points (resource_group_id, usage_type, step_seconds, time, samples, capacity_milli_cu,
                    used_mean_milli_cu, used_max_milli_cu, running_mean, running_max, queued_mean, queued_max, admitted,
                    wait_sum_millis, wait_max_millis, oldest_wait_millis)
                SELECT :groupId, :usageType, :stepSeconds, t, :samples, :capacityMilliCu, :usedMeanMilliCu,
                    :usedMaxMilliCu, :runningMean, :runningMax, :queuedMean, :queuedMax, :admitted, :waitSumMillis,
                    :waitMaxMillis, :oldestWaitMillis
                FROM generate_series(CAST(:first AS timestamptz), CAST(:last AS timestamptz),
                    make_interval(secs => :stepSeconds)) AS t
                ON CONFLICT DO NOTHING""");
        for (Point p : templates) {
            for (UsageSampler.FillRange r : ranges) {
                batch.bind("groupId", p.groupId()).bind("usageType", p.usageType()).bind("stepSeconds", r.stepSeconds())
                        .bind("first", r.first()).bind("last", r.last()).bind("samples", p.samples())
                        .bind("capacityMilliCu", p.capacityMilliCu()).bind("usedMeanMilliCu", p.usedMeanMilliCu())
                        .bind("usedMaxMilliCu", p.usedMaxMilliCu()).bind("runningMean", p.runningMean())
                        .bind("runningMax", p.runningMax()).bind("queuedMean", p.queuedMean())
                        .bind("queuedMax", p.queuedMax()).bind("admitted", p.admitted())
                        .bind("waitSumMillis", p.waitSumMillis()).bind("waitMaxMillis", p.waitMaxMillis())
                        .bind("oldestWaitMillis", p.oldestWaitMillis()).add();
            }
        }
        int inserted = 0;
        for (int n : batch.execute()) {
            inserted += Math.max(0, n);
        }
        return inserted;
    }

    Optional<Instant> watermark(String name, boolean forUpdate) {
        return h.createQuery("SELECT value FROM monitor_watermarks WHERE name = :name" + (forUpdate ? " FOR UPDATE" : ""))
                .bind("name", name).mapTo(Instant.class).findOne();
    }

    void setWatermark(String name, Instant value) {
        h.createUpdate("""
                INSERT INTO monitor_watermarks (name, value) VALUES (:name, :value)
                ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value""").bind("name", name).bind("value", value).execute();
    }

    Optional<Instant> oldestMinute() {
        return h.createQuery("SELECT min(time) FROM usage_points WHERE step_seconds = 60").mapTo(Instant.class).findOne();
    }

    /**
     * (Re)computes the hourly points of every complete hour in [from, to) from its minutes: means
     * are averaged over the minutes the group was sampled (a type idle in a minute counts as 0),
     * maxima are maxima. Recomputing an hour gives the same point (idempotent).
     */
    int rollUp(Instant from, Instant to) {
        return h.createUpdate("""
                WITH m AS (
                    SELECT * FROM usage_points WHERE step_seconds = 60 AND time >= :from AND time < :to
                ), n AS (
                    SELECT resource_group_id, date_bin('1 hour', time, timestamptz '1970-01-01 00:00:00+00') AS hour,
                           count(*) AS minutes
                    FROM m WHERE usage_type = 'ALL' GROUP BY 1, 2
                )
                INSERT INTO usage_points (resource_group_id, usage_type, step_seconds, time, samples, capacity_milli_cu,
                    used_mean_milli_cu, used_max_milli_cu, running_mean, running_max, queued_mean, queued_max, admitted,
                    wait_sum_millis, wait_max_millis, oldest_wait_millis)
                SELECT m.resource_group_id, m.usage_type, 3600, n.hour, sum(m.samples), max(m.capacity_milli_cu),
                       sum(m.used_mean_milli_cu) / max(n.minutes), max(m.used_max_milli_cu),
                       sum(m.running_mean) / max(n.minutes), max(m.running_max),
                       sum(m.queued_mean) / max(n.minutes), max(m.queued_max),
                       sum(m.admitted), sum(m.wait_sum_millis), max(m.wait_max_millis), max(m.oldest_wait_millis)
                FROM m JOIN n ON n.resource_group_id = m.resource_group_id
                    AND n.hour = date_bin('1 hour', m.time, timestamptz '1970-01-01 00:00:00+00')
                GROUP BY m.resource_group_id, m.usage_type, n.hour
                ON CONFLICT (resource_group_id, step_seconds, usage_type, time) DO UPDATE SET
                    samples = EXCLUDED.samples, capacity_milli_cu = EXCLUDED.capacity_milli_cu,
                    used_mean_milli_cu = EXCLUDED.used_mean_milli_cu, used_max_milli_cu = EXCLUDED.used_max_milli_cu,
                    running_mean = EXCLUDED.running_mean, running_max = EXCLUDED.running_max,
                    queued_mean = EXCLUDED.queued_mean, queued_max = EXCLUDED.queued_max, admitted = EXCLUDED.admitted,
                    wait_sum_millis = EXCLUDED.wait_sum_millis, wait_max_millis = EXCLUDED.wait_max_millis,
                    oldest_wait_millis = EXCLUDED.oldest_wait_millis""")
                .bind("from", from).bind("to", to).execute();
    }

    int deleteOlderThan(int stepSeconds, Instant before) {
        return h.createUpdate("DELETE FROM usage_points WHERE step_seconds = :step AND time < :before")
                .bind("step", stepSeconds).bind("before", before).execute();
    }

    /** A bucket of a history query: sums and maxima of one usage type over [time, time + step). */
    record Bucket(Instant time, String usageType, double seconds, double usedArea, long usedMax, long capacityMax,
                  double runningArea, int runningMax, double queuedArea, int queuedMax, long admitted, long waitSum,
                  long waitMax, long oldestWait) {}

    /**
     * The points of one group in [from, to) of one resolution, summed into buckets of
     * {@code stepSeconds} aligned on {@code from}; areas are value x seconds, so that a mean is
     * area / the seconds of the bucket the group was sampled (its ALL row's seconds).
     */
    List<Bucket> buckets(String groupId, int resolution, Instant from, Instant to, long stepSeconds, Instant hoursBefore) {
        String where = resolution == MINUTE ? "step_seconds = 60"
                : "((step_seconds = 3600 AND time < :hoursBefore) OR (step_seconds = 60 AND time >= :hoursBefore))";
        return h.createQuery("""
                SELECT date_bin(make_interval(secs => :step), time, :from) AS bucket, usage_type,
                       sum(step_seconds) AS seconds, sum(used_mean_milli_cu * step_seconds) AS used_area,
                       max(used_max_milli_cu) AS used_max, max(capacity_milli_cu) AS capacity,
                       sum(running_mean * step_seconds) AS running_area, max(running_max) AS running_max,
                       sum(queued_mean * step_seconds) AS queued_area, max(queued_max) AS queued_max,
                       sum(admitted) AS admitted, sum(wait_sum_millis) AS wait_sum, max(wait_max_millis) AS wait_max,
                       max(oldest_wait_millis) AS oldest_wait
                FROM usage_points
                WHERE resource_group_id = :group AND time >= :from AND time < :to AND %s
                GROUP BY 1, 2 ORDER BY 1, 2""".formatted(where))
                .bind("group", groupId).bind("from", from).bind("to", to).bind("step", (double) stepSeconds)
                .bind("hoursBefore", hoursBefore == null ? Instant.EPOCH : hoursBefore)
                .map((rs, ctx) -> new Bucket(rs.getTimestamp("bucket").toInstant(), rs.getString("usage_type"),
                        rs.getDouble("seconds"), rs.getDouble("used_area"), rs.getLong("used_max"), rs.getLong("capacity"),
                        rs.getDouble("running_area"), rs.getInt("running_max"), rs.getDouble("queued_area"),
                        rs.getInt("queued_max"), rs.getLong("admitted"), rs.getLong("wait_sum"), rs.getLong("wait_max"),
                        rs.getLong("oldest_wait")))
                .list();
    }
}
