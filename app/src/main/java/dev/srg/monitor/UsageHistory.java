package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.group.ResourceGroupManager;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code GET /resource-groups/{id}/usage/history} (SPEC MON-1, MON-2): the usage curve of a
 * group, per usage type, over a range, in steps of a minute or more. Ranges that reach back past
 * the minute retention are answered from hourly points (the step then is whole hours).
 * Buckets without any point (the server was not running) are left out, never invented.
 */
public final class UsageHistory {
    public static final int MAX_POINTS = 1500;
    public static final Duration DEFAULT_RANGE = Duration.ofHours(1);
    /** The earliest time the API takes (RFC 3339 years start at 1). */
    static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    /** The largest step: ten years of 366 days. */
    static final Duration MAX_STEP = Duration.ofDays(3660);

    private final Jdbi jdbi;
    private final Clock clock;
    private final ResourceGroupManager groups;
    private final MonitorConfig config;

    public UsageHistory(Jdbi jdbi, Clock clock, ResourceGroupManager groups, MonitorConfig config) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.config = requireNonNull(config, "config is null");
    }

    /** The answer: the range, the step and resolution used, and the points. */
    public record UsageHistoryInfo(String resourceGroupId, Instant from, Instant to, long stepSeconds, Resolution resolution,
                                   List<UsagePoint> points) {
        public UsageHistoryInfo {
            points = List.copyOf(points);
        }
    }

    public enum Resolution { MINUTE, HOUR }

    /**
     * One step of the curve. CU figures are means over the step (max: the highest sample); counts
     * are means, {@code maxQueued} the highest; waits are of the tasks admitted in the step and the
     * longest wait of a task still queued.
     */
    public record UsagePoint(Instant time, BigDecimal capacityCu, BigDecimal usedCu, BigDecimal maxUsedCu,
                             BigDecimal utilization, BigDecimal running, BigDecimal queued, int maxQueued, long admitted,
                             BigDecimal meanWaitSeconds, BigDecimal maxWaitSeconds, BigDecimal longestQueuedWaitSeconds,
                             Map<UsageType, TypeUsagePoint> byUsageType) {}

    public record TypeUsagePoint(BigDecimal usedCu, BigDecimal maxUsedCu, BigDecimal running, BigDecimal queued, int maxQueued,
                                 long admitted, BigDecimal meanWaitSeconds, BigDecimal maxWaitSeconds) {}

    public UsageHistoryInfo history(Principal caller, String groupId, Instant from, Instant to, Duration step) {
        return history(caller, groupId, from, to, null, step);
    }

    /** With {@code since} (when {@code from} is absent): from = to - since, on the server's clock. */
    public UsageHistoryInfo history(Principal caller, String groupId, Instant from, Instant to, Duration since, Duration step) {
        groups.get(caller, groupId); // SPEC ACC-5: who may read the group may read its history
        Instant now = clock.instant();
        Instant end = to != null ? to : now;
        if (from != null && since != null) {
            throw SrgException.invalid("since", "InvalidParameter.TimeRange", "give from or since, not both");
        }
        if (since != null && since.compareTo(Duration.between(EARLIEST, end)) > 0) {
            // 999999999d: a start thousands of years BC, which the database's timestamps cannot hold (500)
            throw SrgException.invalid("since", "InvalidParameter.TimeRange", "since reaches before " + EARLIEST
                    + " (the earliest time the API takes)");
        }
        Instant start = from != null ? from : end.minus(since != null ? since : DEFAULT_RANGE);
        if (!start.isBefore(end)) {
            throw SrgException.invalid(from != null ? "from" : "to", "InvalidParameter.TimeRange",
                    "from must be before to (from " + start + ", to " + end + ")");
        }
        start = truncate(start, 60_000);
        Duration range = Duration.between(start, end);
        if (step != null && step.getSeconds() < 60) {
            throw SrgException.invalid("step", "InvalidParameter.Step", "step must be 60 seconds or more, got " + step.getSeconds());
        }
        if (step != null && step.compareTo(MAX_STEP) > 0) {
            // beyond it the database's interval overflows (500)
            throw SrgException.invalid("step", "InvalidParameter.Step", "step must be at most " + MAX_STEP.toDays() + "d, got "
                    + step.getSeconds() + " s");
        }
        if (step != null && step.getSeconds() % 60 != 0) {
            throw SrgException.invalid("step", "InvalidParameter.Step", "step must be whole minutes (a multiple of 60 seconds)");
        }
        long stepSeconds = step != null ? step.getSeconds() : Math.max(60, ceil(range.getSeconds(), 300 * 60L) * 60);
        Resolution resolution = Resolution.MINUTE;
        Instant minuteHorizon = now.minus(config.minuteRetention());
        if (start.isBefore(minuteHorizon) || stepSeconds >= 3600 && stepSeconds % 3600 == 0) {
            resolution = Resolution.HOUR;
            stepSeconds = Math.max(3600, ceil(stepSeconds, 3600) * 3600);
            start = truncate(start, 3_600_000);
        }
        long points = ceil(Duration.between(start, end).getSeconds(), stepSeconds);
        if (points > MAX_POINTS) {
            throw SrgException.invalid("step", "InvalidParameter.Step", "the range from " + start + " to " + end + " in steps of "
                    + stepSeconds + " s gives " + points + " points; at most " + MAX_POINTS + ": choose a larger step");
        }
        Instant queryStart = start;
        long querystep = stepSeconds;
        Resolution r = resolution;
        List<UsageDao.Bucket> buckets = jdbi.withHandle(h -> {
            UsageDao dao = new UsageDao(h);
            Instant hoursBefore = r == Resolution.HOUR ? dao.watermark(UsageSampler.ROLLUP_WATERMARK, false).orElse(Instant.EPOCH) : null;
            return dao.buckets(groupId, r == Resolution.MINUTE ? UsageDao.MINUTE : UsageDao.HOUR, queryStart, end, querystep, hoursBefore);
        });
        return new UsageHistoryInfo(groupId, start, end, stepSeconds, resolution, points(buckets));
    }

    private static List<UsagePoint> points(List<UsageDao.Bucket> buckets) {
        Map<Instant, List<UsageDao.Bucket>> byTime = new LinkedHashMap<>();
        buckets.forEach(b -> byTime.computeIfAbsent(b.time(), t -> new ArrayList<>()).add(b));
        List<UsagePoint> points = new ArrayList<>();
        byTime.forEach((time, list) -> {
            UsageDao.Bucket all = list.stream().filter(b -> b.usageType().equals(UsageDao.ALL)).findFirst().orElse(null);
            if (all == null || all.seconds() == 0) {
                return;
            }
            double seconds = all.seconds();
            Map<UsageType, TypeUsagePoint> byType = new EnumMap<>(UsageType.class);
            for (UsageDao.Bucket b : list) {
                if (b != all) {
                    byType.put(UsageType.valueOf(b.usageType()), new TypeUsagePoint(cu(b.usedArea() / seconds), cu(b.usedMax()),
                            round(b.runningArea() / seconds, 2), round(b.queuedArea() / seconds, 2), b.queuedMax(), b.admitted(),
                            meanWait(b), seconds(b.waitMax())));
                }
            }
            double used = all.usedArea() / seconds;
            points.add(new UsagePoint(time, cu(all.capacityMax()), cu(used), cu(all.usedMax()),
                    all.capacityMax() == 0 ? BigDecimal.ZERO : round(used / all.capacityMax(), 4),
                    round(all.runningArea() / seconds, 2), round(all.queuedArea() / seconds, 2), all.queuedMax(), all.admitted(),
                    meanWait(all), seconds(all.waitMax()), seconds(all.oldestWait()), byType));
        });
        return points;
    }

    private static BigDecimal meanWait(UsageDao.Bucket b) {
        return b.admitted() == 0 ? null : seconds((double) b.waitSum() / b.admitted());
    }

    private static BigDecimal cu(double milliCu) {
        return round(milliCu / 1000.0, 3);
    }

    private static BigDecimal seconds(double millis) {
        return round(millis / 1000.0, 3);
    }

    static BigDecimal round(double value, int scale) {
        BigDecimal d = BigDecimal.valueOf(value).setScale(scale, RoundingMode.HALF_UP).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0) : d;
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    private static Instant truncate(Instant t, long millis) {
        return Instant.ofEpochMilli(Math.floorDiv(t.toEpochMilli(), millis) * millis);
    }
}
