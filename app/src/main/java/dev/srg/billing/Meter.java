package dev.srg.billing;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import dev.srg.time.SimulatedClock;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.function.LongSupplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters pay-as-you-go usage into hourly bill lines (SPEC RG-9): each instance's CU x its run
 * time, from when it was admitted (STARTING: its CUs are reserved) to when it ended, split at
 * hour boundaries, in milli-CU x milliseconds — exact integers, never doubles.
 *
 * <p>Exactly once: each instance carries a watermark (how far it was metered), moved in the same
 * transaction as the lines it adds, so a crash or a second pass never counts twice. A running
 * instance is metered up to now; should its recorded end fall before that watermark (its exit
 * was being recorded while the meter ran), the next pass subtracts the difference, so the bill
 * always converges on the instances' CU-seconds. A converted group is metered up to the moment
 * it was converted; subscription groups are never metered. What to add is decided by the pure
 * {@link MeterDecider}; this class reads its input and applies its decision.
 */
public final class Meter {
    private static final Logger LOG = LoggerFactory.getLogger(Meter.class);
    private static final long LOCK = 0x5e9_b111L;
    private static final int BATCH = 500;
    private static final DateTimeFormatter HOUR_ID = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    private final Jdbi jdbi;
    private final Clock clock;
    private final Prices prices;
    private final LongSupplier monotonicNanos;
    /** The previous pass of this meter: its now, the monotonic clock and the simulated clock's offset then (null: none yet). */
    private Instant lastPassAt;
    private long lastPassNanos;
    private long lastPassOffsetMillis;

    public Meter(Jdbi jdbi, Clock clock, Prices prices) {
        this(jdbi, clock, prices, System::nanoTime);
    }

    /** {@code monotonicNanos}: the time that really passes ({@link System#nanoTime}), whatever the wall clock does. */
    Meter(Jdbi jdbi, Clock clock, Prices prices, LongSupplier monotonicNanos) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.prices = requireNonNull(prices, "prices is null");
        this.monotonicNanos = requireNonNull(monotonicNanos, "monotonicNanos is null");
    }

    /** One pass: meters everything not yet metered up to now. Returns how many instances it touched. */
    public synchronized int run() {
        long nanos = monotonicNanos.getAsLong();
        long offset = clock instanceof SimulatedClock s ? s.offset().toMillis() : 0;
        Instant now = floor(clock.instant());
        // what really passed since the previous pass: the monotonic clock, and what a simulated clock was moved on (usage)
        MeterDecider.Pass previous = lastPassAt == null ? null
                : new MeterDecider.Pass(lastPassAt, (nanos - lastPassNanos) / 1_000_000 + (offset - lastPassOffsetMillis));
        int total = 0;
        while (true) {
            int n = jdbi.inTransaction(h -> batch(h, now, previous));
            total += n;
            if (n < BATCH) {
                jdbi.useTransaction(h -> sight(h, now));
                lastPassAt = now;
                lastPassNanos = nanos;
                lastPassOffsetMillis = offset;
                return total;
            }
        }
    }

    /** Reads a batch of runs, decides ({@link MeterDecider}), applies: watermarks and lines in one transaction. */
    private int batch(Handle h, Instant now, MeterDecider.Pass previous) {
        // one meter at a time, even with several replicas
        h.createQuery("SELECT pg_advisory_xact_lock(:k)::text").bind("k", LOCK).mapTo(String.class).one();
        List<MeterDecider.InstanceRun> runs = h.createQuery("""
                SELECT i.id, i.resource_group_id, i.milli_cu, i.started_at, i.finished_at, m.metered_until, g.payg_until,
                       i.failure_reason = 'LOST' AS lost
                  FROM instances i
                  JOIN resource_groups g ON g.id = i.resource_group_id
                  LEFT JOIN metered_instances m ON m.instance_id = i.id
                 WHERE i.started_at IS NOT NULL
                   AND (m.complete IS NULL OR NOT m.complete)
                   AND (g.billing_mode = 'PAY_AS_YOU_GO' OR g.payg_until IS NOT NULL)
                 ORDER BY i.id LIMIT :limit""")
                .bind("limit", BATCH)
                .map((rs, ctx) -> new MeterDecider.InstanceRun(rs.getString(1), rs.getString(2), rs.getLong(3),
                        floor(ts(rs.getTimestamp(4))), floor(ts(rs.getTimestamp(5))), floor(ts(rs.getTimestamp(6))),
                        floor(ts(rs.getTimestamp(7))), rs.getBoolean(8)))
                .list();
        MeterDecider.Decision d = MeterDecider.decide(runs, now, previous);
        for (MeterDecider.Watermark w : d.watermarks()) {
            h.createUpdate("""
                    INSERT INTO metered_instances (instance_id, metered_until, complete) VALUES (:id, :until, :complete)
                    ON CONFLICT (instance_id) DO UPDATE SET metered_until = :until, complete = :complete""")
                    .bind("id", w.instanceId()).bind("until", w.meteredUntil()).bind("complete", w.complete()).execute();
        }
        d.lines().forEach((group, hours) -> hours.forEach((hour, delta) -> add(h, group, hour, delta, now)));
        if (!runs.isEmpty()) {
            LOG.debug("metered {} instance run(s)", runs.size());
        }
        return runs.size();
    }

    /**
     * Records that this pass saw every running instance of a subscription group running: nothing
     * is billed for it, but a run later found LOST ends at its last sighting (InstanceDao#finish),
     * as a pay-as-you-go run ends at its watermark. Subscription groups never become pay-as-you-go,
     * so {@link #batch} never bills from these watermarks; a converted group's runs keep theirs.
     */
    private static void sight(Handle h, Instant now) {
        h.createQuery("SELECT pg_advisory_xact_lock(:k)::text").bind("k", LOCK).mapTo(String.class).one();
        h.createUpdate("""
                INSERT INTO metered_instances (instance_id, metered_until, complete)
                SELECT i.id, :now, false
                  FROM instances i JOIN resource_groups g ON g.id = i.resource_group_id
                 WHERE i.status IN ('STARTING', 'RUNNING') AND i.started_at IS NOT NULL
                   AND g.billing_mode = 'SUBSCRIPTION' AND g.payg_until IS NULL
                ON CONFLICT (instance_id) DO UPDATE SET metered_until = EXCLUDED.metered_until
                 WHERE metered_instances.metered_until < EXCLUDED.metered_until""")
                .bind("now", now).execute();
    }

    private void add(Handle h, String groupId, Instant hour, long delta, Instant now) {
        long[] line = h.createQuery("""
                INSERT INTO bill_lines (id, resource_group_id, hour_start, cu_milli_millis, price_micros_per_cu_hour,
                    amount_micros, currency, updated_at)
                VALUES (:id, :rg, :hour, :delta, :price, 0, :currency, :now)
                ON CONFLICT (resource_group_id, hour_start) DO UPDATE
                    SET cu_milli_millis = bill_lines.cu_milli_millis + EXCLUDED.cu_milli_millis, updated_at = EXCLUDED.updated_at
                RETURNING cu_milli_millis, price_micros_per_cu_hour""")
                .bind("id", "bl-" + HOUR_ID.format(hour) + "-" + groupId).bind("rg", groupId).bind("hour", hour)
                .bind("delta", delta).bind("price", prices.payAsYouGoCuHour().micros()).bind("currency", prices.currency())
                .bind("now", now)
                .map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).one();
        h.createUpdate("UPDATE bill_lines SET amount_micros = :amount WHERE resource_group_id = :rg AND hour_start = :hour")
                .bind("amount", Prices.usage(line[0], new Money(line[1])).micros()).bind("rg", groupId).bind("hour", hour)
                .execute();
    }

    public Page<BillLineInfo> lines(Principal caller, Instant from, Instant to, String groupId, PageRequest page) {
        OrderBook.requireReader(caller);
        requireRange(from, to);
        return jdbi.withHandle(h -> page.page(h.createQuery("""
                SELECT id, resource_group_id, hour_start, cu_milli_millis, price_micros_per_cu_hour, amount_micros, currency,
                       updated_at
                  FROM bill_lines
                 WHERE id > :after
                   AND (CAST(:from AS timestamptz) IS NULL OR hour_start >= :from)
                   AND (CAST(:to AS timestamptz) IS NULL OR hour_start < :to)
                   AND (CAST(:rg AS text) IS NULL OR resource_group_id = :rg)
                 ORDER BY id LIMIT :limit""")
                .bind("after", page.afterId()).bind("from", from).bind("to", to).bind("rg", groupId).bind("limit", page.limit())
                .map((rs, ctx) -> {
                    Instant hour = rs.getTimestamp("hour_start").toInstant();
                    return new BillLineInfo(rs.getString("id"), rs.getString("resource_group_id"), hour, hour.plus(Duration.ofHours(1)),
                            cuSeconds(rs.getLong("cu_milli_millis")), new Money(rs.getLong("price_micros_per_cu_hour")),
                            new Money(rs.getLong("amount_micros")), rs.getString("currency"), rs.getTimestamp("updated_at").toInstant());
                }).list(), BillLineInfo::id));
    }

    public BillSummary summary(Principal caller, Instant from, Instant to, String groupId) {
        OrderBook.requireReader(caller);
        requireRange(from, to);
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT count(*), coalesce(sum(cu_milli_millis), 0), coalesce(sum(amount_micros), 0)
                  FROM bill_lines
                 WHERE (CAST(:from AS timestamptz) IS NULL OR hour_start >= :from)
                   AND (CAST(:to AS timestamptz) IS NULL OR hour_start < :to)
                   AND (CAST(:rg AS text) IS NULL OR resource_group_id = :rg)""")
                .bind("from", from).bind("to", to).bind("rg", groupId)
                .map((rs, ctx) -> new BillSummary(from, to, groupId, rs.getLong(1), cuSeconds(rs.getBigDecimal(2)),
                        new Money(rs.getLong(3)), prices.currency()))
                .one());
    }

    private static void requireRange(Instant from, Instant to) {
        if (from != null && to != null && !from.isBefore(to)) {
            throw SrgException.invalid("to", "InvalidParameter.TimeRange", "to must be after from");
        }
    }

    static BigDecimal cuSeconds(long cuMilliMillis) {
        return cuSeconds(BigDecimal.valueOf(cuMilliMillis));
    }

    private static BigDecimal cuSeconds(BigDecimal cuMilliMillis) {
        BigDecimal v = cuMilliMillis.movePointLeft(6).stripTrailingZeros();
        return v.scale() < 0 ? v.setScale(0) : v;
    }

    private static Instant ts(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** Whole milliseconds: every piece and every total is then an exact sum of the same integers. */
    private static Instant floor(Instant t) {
        return t == null ? null : Instant.ofEpochMilli(t.toEpochMilli());
    }
}
