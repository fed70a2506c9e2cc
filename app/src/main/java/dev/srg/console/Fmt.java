package dev.srg.console;

import dev.srg.access.AuditResult;
import dev.srg.admission.UsageType;
import dev.srg.admission.WaitReason;
import dev.srg.monitor.AlertComparator;
import dev.srg.monitor.AlertMetric;
import dev.srg.quantity.ComputeUnits;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the pages write quantities, times and states. */
public final class Fmt {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Fmt() {}

    public static String cu(ComputeUnits cu) {
        return cu == null ? "—" : cu.toCu().toPlainString();
    }

    /** A CU amount for an input's value: empty when there is none. */
    public static String cuValue(ComputeUnits cu) {
        return cu == null ? "" : cu.toCu().toPlainString();
    }

    public static String time(Instant t) {
        return t == null ? "—" : TIME.format(t);
    }

    public static String iso(Instant t) {
        return t == null ? "" : t.toString();
    }

    public static String millis(Long ms) {
        if (ms == null) {
            return "—";
        }
        long s = ms / 1000;
        if (s < 1) {
            return ms + " ms";
        }
        if (s < 60) {
            return BigDecimal.valueOf(ms).divide(BigDecimal.valueOf(1000), 1, RoundingMode.HALF_UP).toPlainString() + " s";
        }
        if (s < 3600) {
            return (s / 60) + "m " + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        return (s / 3600) + "h " + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }

    public static String percent(double ratio) {
        return BigDecimal.valueOf(ratio * 100).setScale(0, RoundingMode.HALF_UP).toPlainString() + "%";
    }

    public static String bytes(Long b) {
        if (b == null) {
            return "—";
        }
        if (b < 1024 * 1024) {
            return (b / 1024) + " KiB";
        }
        return BigDecimal.valueOf(b).divide(BigDecimal.valueOf(1024 * 1024), 1, RoundingMode.HALF_UP).toPlainString() + " MiB";
    }

    public static String seconds(double s) {
        return BigDecimal.valueOf(s).setScale(1, RoundingMode.HALF_UP).toPlainString();
    }

    /** SCHEDULING → Scheduling, DATA_INTEGRATION → Data integration. */
    public static String words(Object constant) {
        if (constant == null) {
            return "—";
        }
        if (constant.toString().equals("OK")) {
            return "OK";
        }
        String s = constant.toString().toLowerCase(Locale.ROOT).replace('_', ' ');
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    public static String usage(UsageType t) {
        return switch (t) {
            case SCHEDULING -> "Scheduling";
            case DATA_INTEGRATION -> "Data integration";
            case DATA_SERVICE -> "DataService";
            case DATA_ANALYSIS -> "Data analysis";
            case CONNECTIVITY_TEST -> "Connectivity test";
            case METADATA_COLLECTION -> "Metadata collection";
            case DEV_ENVIRONMENT -> "Dev environment";
            case MODEL_SERVICE -> "Model service";
        };
    }

    /** Why a queued task waits, in a sentence; every reason has one (the switch is exhaustive). */
    public static String waitReason(WaitReason reason) {
        if (reason == null) {
            return "Waiting for admission.";
        }
        return switch (reason) {
            case GROUP_NOT_ADMITTING -> "The group is not running, so it admits no task until it is.";
            case BUDGET -> "A spent budget holds new tasks of its workspace or group until the next month, a raise or the hold turned off.";
            case INSUFFICIENT_STORAGE -> "The disk where tasks run is short of space: nothing starts until an operator frees some.";
            case CONCURRENCY -> "The scheduling concurrency threshold is reached.";
            case MAX_QUOTA -> "Its usage type is at its maximum CU quota.";
            case CAPACITY -> "Not enough free CUs in the group.";
            case RESERVED_FOR_OTHER_TYPES -> "The free CUs are guaranteed to other usage types (their minimum quotas).";
            case HELD_FOR_HEAD -> "CUs are held for an older task that has waited too long.";
            case READY -> "Nothing stops it: it starts in a moment.";
        };
    }

    /** A rule's condition in words: "CU utilization ≥ 80% for 5m 00s", "Pending instances > 3". */
    public static String condition(AlertMetric metric, AlertComparator comparator, double threshold, int forSeconds) {
        String value = metric == AlertMetric.CU_UTILIZATION ? percent(threshold) : plain(threshold);
        String label = metric == AlertMetric.CU_UTILIZATION ? "CU utilization" : "Pending instances";
        String symbol = switch (comparator) {
            case GT -> ">";
            case GE -> "≥";
            case LT -> "<";
            case LE -> "≤";
        };
        return label + " " + symbol + " " + value + (forSeconds > 0 ? " for " + millis(forSeconds * 1000L) : "");
    }

    /** A measured value of {@code metric} (a ratio as a percentage). */
    public static String metricValue(AlertMetric metric, Double value) {
        if (value == null) {
            return "—";
        }
        return metric == AlertMetric.CU_UTILIZATION ? percent(value) : plain(value);
    }

    /** A number without a needless fraction: 3, 0.75. */
    public static String plain(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** The CSS class of an audit entry's result: a refusal stands out, read through the audit's own vocabulary. */
    public static String auditTone(String result) {
        try {
            return AuditResult.parse(result).refused() ? "bad" : "ok";
        } catch (IllegalArgumentException e) {
            return "muted";
        }
    }

    /** The CSS class of a status badge. */
    public static String tone(Object status) {
        if (status == null) {
            return "muted";
        }
        return switch (status.toString()) {
            case "RUNNING", "SUCCEEDED", "AVAILABLE", "OK", "RESOLVED", "PAID", "DELIVERED" -> "ok";
            case "CREATING", "SCALING", "CONVERTING", "STARTING", "QUEUED", "BUILDING", "PENDING" -> "info";
            case "FROZEN", "EXPIRED", "RELEASING", "TIMED_OUT", "FIRING", "CANCELLED" -> "warn";
            case "FAILED", "RELEASED" -> "bad";
            default -> "muted";
        };
    }

    /** A number of a sync's progress (SPEC DI-5), 0 when absent. */
    public static long count(java.util.Map<String, Object> progress, String key) {
        return progress != null && progress.get(key) instanceof Number n ? n.longValue() : 0;
    }

    /** A sync's progress in words: records, bytes, speed, dirty records (SPEC DI-5). */
    public static String syncProgress(java.util.Map<String, Object> p) {
        return count(p, "splitsDone") + " of " + count(p, "splitsTotal") + " splits · " + count(p, "recordsRead") + " read · "
                + count(p, "recordsWritten") + " written (" + bytes(count(p, "bytesWritten")) + ") · " + count(p, "recordsPerSecond")
                + " records/s · " + count(p, "dirtyRecords") + " dirty";
    }
}
