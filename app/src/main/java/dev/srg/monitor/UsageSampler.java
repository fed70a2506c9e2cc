package dev.srg.monitor;

import static dev.srg.monitor.GroupState.ALL;
import static dev.srg.monitor.GroupState.TYPES;
import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.QueuedTaskInfo;
import dev.srg.admission.UsageType;
import dev.srg.task.DispatchListener;
import dev.srg.task.AdmissionView;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage history's writer (SPEC MON-1, MON-2). Every few seconds it reads each group's
 * admission ledger (no queue walk unless something waits) into the current minute's buckets;
 * when the clock enters a new minute it writes the finished minute, one row per group and usage
 * type, with mean and max used CU, running and queued counts and admission waits. Writes are
 * {@code ON CONFLICT DO NOTHING}, so a point is never written twice.
 *
 * <p>When the clock jumps (a simulated clock moved by days) the minutes it skipped are written
 * with the state seen now — nothing can change in a jump of no real time — as per-minute points
 * within the minute retention and hourly points before it, so the curve has no invented gap.
 * After a restart nothing is filled: the server did not see those minutes.
 *
 * <p>{@link #rollUp()} turns complete hours of minutes into hourly points (mean of means, max of
 * maxes), deletes minutes older than the minute retention and hours older than the hour
 * retention, in one transaction, behind a watermark (crash-safe, idempotent).
 */
public final class UsageSampler implements DispatchListener {
    private static final Logger LOG = LoggerFactory.getLogger(UsageSampler.class);
    static final long MINUTE_MILLIS = 60_000;
    static final long HOUR_MILLIS = 3_600_000;
    static final String ROLLUP_WATERMARK = "usage-hours";

    private record Admission(String groupId, int type, long waitMillis) {}

    /** One group's accumulation over the current minute. */
    private static final class Bucket {
        int samples;
        long capacity;
        final double[] usedSum = new double[ALL + 1];
        final long[] usedMax = new long[ALL + 1];
        final double[] runningSum = new double[ALL + 1];
        final int[] runningMax = new int[ALL + 1];
        final double[] queuedSum = new double[ALL + 1];
        final int[] queuedMax = new int[ALL + 1];
        final int[] admitted = new int[ALL + 1];
        final long[] waitSum = new long[ALL + 1];
        final long[] waitMax = new long[ALL + 1];
        final long[] oldestWait = new long[ALL + 1];

        void add(GroupState s) {
            samples++;
            capacity = s.capacityMilliCu;
            for (int u = 0; u <= ALL; u++) {
                usedSum[u] += s.usedMilliCu[u];
                usedMax[u] = Math.max(usedMax[u], s.usedMilliCu[u]);
                runningSum[u] += s.running[u];
                runningMax[u] = Math.max(runningMax[u], s.running[u]);
                queuedSum[u] += s.queued[u];
                queuedMax[u] = Math.max(queuedMax[u], s.queued[u]);
                oldestWait[u] = Math.max(oldestWait[u], s.oldestWaitMillis[u]);
            }
        }

        void admitted(int u, long wait) {
            for (int i : new int[] {u, ALL}) {
                admitted[i]++;
                waitSum[i] += wait;
                waitMax[i] = Math.max(waitMax[i], wait);
            }
        }

        void points(String groupId, int step, Instant time, List<UsageDao.Point> out) {
            for (int u = ALL; u >= 0; u--) {
                boolean active = usedMax[u] > 0 || runningMax[u] > 0 || queuedMax[u] > 0 || admitted[u] > 0;
                if (u != ALL && !active || samples == 0) {
                    continue;
                }
                out.add(new UsageDao.Point(groupId, u == ALL ? UsageDao.ALL : TYPES[u].name(), step, time, samples, capacity,
                        usedSum[u] / samples, usedMax[u], runningSum[u] / samples, runningMax[u], queuedSum[u] / samples,
                        queuedMax[u], admitted[u], waitSum[u], waitMax[u], oldestWait[u]));
            }
        }
    }

    private final Jdbi jdbi;
    private final Clock clock;
    private final AdmissionView dispatcher;
    private final MonitorConfig config;
    private final ConcurrentLinkedQueue<Admission> admissions = new ConcurrentLinkedQueue<>();
    // sampler thread only (BackgroundJobs runs one job at a time)
    private final Map<String, Bucket> buckets = new HashMap<>();
    private long bucketMinute = Long.MIN_VALUE;
    private volatile List<UsageDao.GroupRef> catalog;
    private volatile long catalogReadAt;
    private volatile long lastSampleNanos;

    public UsageSampler(Jdbi jdbi, Clock clock, AdmissionView dispatcher, MonitorConfig config) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.dispatcher = requireNonNull(dispatcher, "dispatcher is null");
        this.config = requireNonNull(config, "config is null");
    }

    @Override
    public void admitted(String groupId, UsageType type, long waitMillis) {
        admissions.add(new Admission(groupId, type.ordinal(), waitMillis));
    }

    /** The background job: one sample, and the write of the minute that ended (if one did). */
    public void sample() {
        long started = System.nanoTime();
        long now = clock.millis();
        long minute = Math.floorDiv(now, MINUTE_MILLIS);
        Map<String, GroupState> states = read(true);
        List<UsageDao.Point> points = new ArrayList<>();
        List<UsageDao.Point> templates = new ArrayList<>();
        List<FillRange> ranges = new ArrayList<>();
        if (bucketMinute == Long.MIN_VALUE) {
            bucketMinute = minute;
        }
        drainAdmissions();
        if (minute > bucketMinute) {
            Instant time = Instant.ofEpochMilli(bucketMinute * MINUTE_MILLIS);
            buckets.forEach((id, b) -> b.points(id, UsageDao.MINUTE, time, points));
            if (minute > bucketMinute + 1) {
                fill(bucketMinute + 1, minute, now, states, time, templates, ranges);
            }
            buckets.clear();
            bucketMinute = minute;
        }
        states.forEach((id, s) -> buckets.computeIfAbsent(id, k -> new Bucket()).add(s));
        lastSampleNanos = System.nanoTime() - started;
        if (!points.isEmpty() || !ranges.isEmpty()) {
            int written = jdbi.inTransaction(h -> new UsageDao(h).insert(points) + new UsageDao(h).fill(templates, ranges));
            LOG.debug("usage: wrote {} of {} point(s)", written, points.size());
        }
    }

    /** How long the last {@link #sample()} took before its database write (the in-memory part). */
    public long lastSampleNanos() {
        return lastSampleNanos;
    }

    private void drainAdmissions() {
        for (Admission a; (a = admissions.poll()) != null; ) {
            buckets.computeIfAbsent(a.groupId(), k -> new Bucket()).admitted(a.type(), a.waitMillis());
        }
    }

    /** One run of a constant fill: from {@code first} to {@code last} (both included), one point per step. */
    record FillRange(int stepSeconds, Instant first, Instant last) {}

    /**
     * The minutes [fromMinute, toMinute) that a clock jump skipped, all with the state seen now:
     * minutes within the minute retention (and the rest of the hour last seen, which the rollup
     * then completes), whole hours before it as hourly points. The points are constant, so each
     * group and usage type is one statement that the database expands (a 92-day jump is ~12k
     * points a group: shipping them row by row made a clock jump take minutes on a loaded machine).
     */
    private void fill(long fromMinute, long toMinute, long now, Map<String, GroupState> states, Instant constantTime,
                      List<UsageDao.Point> templates, List<FillRange> ranges) {
        long minuteCutoff = Math.floorDiv(now - config.minuteRetention().toMillis(), HOUR_MILLIS) * HOUR_MILLIS;
        long hourCutoff = now - config.hourRetention().toMillis();
        long from = fromMinute * MINUTE_MILLIS;
        long to = toMinute * MINUTE_MILLIS;
        long lastSeenHour = Math.floorDiv(from - MINUTE_MILLIS, HOUR_MILLIS) * HOUR_MILLIS;
        // minutes: the rest of the hour last seen, then everything from the minute cutoff on
        long restEnd = Math.min(to, lastSeenHour + HOUR_MILLIS);
        if (from < restEnd) {
            ranges.add(new FillRange(UsageDao.MINUTE, Instant.ofEpochMilli(from), Instant.ofEpochMilli(restEnd - MINUTE_MILLIS)));
        }
        long recentStart = Math.max(Math.max(from, restEnd), minuteCutoff);
        if (recentStart < to) {
            ranges.add(new FillRange(UsageDao.MINUTE, Instant.ofEpochMilli(recentStart), Instant.ofEpochMilli(to - MINUTE_MILLIS)));
        }
        // hours: whole hours after the one last seen and before the minute cutoff, within the hour retention
        long firstHour = Math.max(lastSeenHour + HOUR_MILLIS, Math.floorDiv(hourCutoff + HOUR_MILLIS - 1, HOUR_MILLIS) * HOUR_MILLIS);
        if (firstHour < minuteCutoff) {
            ranges.add(new FillRange(UsageDao.HOUR, Instant.ofEpochMilli(firstHour), Instant.ofEpochMilli(minuteCutoff - HOUR_MILLIS)));
        }
        states.forEach((id, s) -> {
            Bucket b = new Bucket();
            b.add(s);
            b.points(id, UsageDao.MINUTE, constantTime, templates);
        });
        LOG.info("usage: the clock jumped {} minute(s); filled them with the current usage", toMinute - fromMinute);
    }

    /**
     * Every group's usage now: the groups of the store and the ledgers. For the sampler
     * ({@code forSampling}) the groups are re-read at most every 10 s and the longest queued wait
     * per type is found (walking queues that are not empty); for metrics and alerts the groups are
     * read now, so a new group shows at once.
     */
    Map<String, GroupState> read(boolean forSampling) {
        // a bound on the cost of re-reading, not a rule: elapsed real time on the monotonic timer,
        // which neither a simulated clock's jump nor a wall-clock step moves
        long now = System.nanoTime();
        List<UsageDao.GroupRef> groups = catalog;
        if (groups == null || !forSampling || now - catalogReadAt >= 10_000_000_000L) {
            groups = jdbi.withHandle(h -> new UsageDao(h).groups());
            catalog = groups;
            catalogReadAt = now;
        }
        Map<String, GroupState> states = new LinkedHashMap<>(groups.size() * 2);
        for (UsageDao.GroupRef g : groups) {
            states.put(g.id(), new GroupState(g.id(), g.name(), g.capacityMilliCu()));
        }
        List<String> waiting = new ArrayList<>();
        dispatcher.readLedgers((id, ledger) -> {
            GroupState s = states.get(id);
            if (s == null) {
                if (ledger.runningCount() == 0 && ledger.queuedCount() == 0) {
                    return; // released, or not yet in the catalog and idle
                }
                s = new GroupState(id, id, ledger.limits().capacityMilliCu());
                states.put(id, s);
            }
            copy(ledger, s);
            if (ledger.queuedCount() > 0) {
                waiting.add(id);
            }
        });
        if (forSampling) {
            for (String id : waiting) {
                GroupState s = states.get(id);
                for (QueuedTaskInfo q : dispatcher.snapshot(id).queue()) {
                    int u = q.task().type().ordinal();
                    s.oldestWaitMillis[u] = Math.max(s.oldestWaitMillis[u], q.waitedMillis());
                    s.oldestWaitMillis[ALL] = Math.max(s.oldestWaitMillis[ALL], q.waitedMillis());
                }
            }
        }
        return states;
    }

    /** One group's usage now (for alert rules), or null when the group is unknown or released. */
    GroupState read(String groupId) {
        return read(false).get(groupId);
    }

    private static void copy(GroupLedger ledger, GroupState s) {
        s.capacityMilliCu = ledger.limits().capacityMilliCu();
        for (UsageType type : TYPES) {
            int u = type.ordinal();
            s.usedMilliCu[u] = ledger.usedMilliCu(type);
            s.running[u] = ledger.runningCount(type);
            s.queued[u] = ledger.queuedCount(type);
        }
        s.usedMilliCu[ALL] = ledger.usedMilliCu();
        s.running[ALL] = ledger.runningCount();
        s.queued[ALL] = ledger.queuedCount();
    }

    /** The rollup and retention job: hours from minutes, old points deleted, in one transaction. */
    public void rollUp() {
        long now = clock.millis();
        Instant currentHour = Instant.ofEpochMilli(Math.floorDiv(now, HOUR_MILLIS) * HOUR_MILLIS);
        Instant minuteCutoff = Instant.ofEpochMilli(
                Math.floorDiv(now - config.minuteRetention().toMillis(), HOUR_MILLIS) * HOUR_MILLIS);
        Instant hourCutoff = Instant.ofEpochMilli(now - config.hourRetention().toMillis());
        jdbi.useTransaction(h -> {
            UsageDao dao = new UsageDao(h);
            Instant from = dao.watermark(ROLLUP_WATERMARK, true).map(w -> w.minusMillis(HOUR_MILLIS))
                    .or(dao::oldestMinute).orElse(null);
            if (from != null && from.isBefore(currentHour)) {
                dao.rollUp(from, currentHour);
            }
            dao.setWatermark(ROLLUP_WATERMARK, currentHour);
            // every minute before the current hour is rolled up now; only old ones go
            int minutes = dao.deleteOlderThan(UsageDao.MINUTE, minuteCutoff.isBefore(currentHour) ? minuteCutoff : currentHour);
            int hours = dao.deleteOlderThan(UsageDao.HOUR, hourCutoff);
            if (minutes + hours > 0) {
                LOG.debug("usage: deleted {} minute and {} hour point(s) past retention", minutes, hours);
            }
        });
    }
}
