package dev.srg.admission;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A consistent picture of one group's ledger: the limits in force, what is used and running,
 * every queued task in queue order with the reason it waits, and each workspace's share of the
 * group ({@link GroupLedger#shareCu}; what {@link QueuePolicy#FAIR_SHARE} orders by), smallest first.
 */
public record LedgerInfo(GroupLimits limits, long usedMilliCu, int running, int queued, Map<UsageType, TypeUsage> byType,
        List<QueuedTaskInfo> queue, List<WorkspaceShare> shares) {
    /** A picture without workspace shares. */
    public LedgerInfo(GroupLimits limits, long usedMilliCu, int running, int queued, Map<UsageType, TypeUsage> byType,
                      List<QueuedTaskInfo> queue) {
        this(limits, usedMilliCu, running, queued, byType, queue, List.of());
    }

    public LedgerInfo {
        requireNonNull(limits, "limits is null");
        requireNonNull(byType, "byType is null");
        EnumMap<UsageType, TypeUsage> copy = new EnumMap<>(UsageType.class);
        copy.putAll(byType);
        byType = Collections.unmodifiableMap(copy);
        queue = List.copyOf(queue);
        shares = List.copyOf(shares);
    }
}
