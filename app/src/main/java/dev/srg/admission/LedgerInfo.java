package dev.srg.admission;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A consistent picture of one group's ledger: the limits in force, what is used and running,
 * and every queued task in queue order with the reason it waits.
 */
public record LedgerInfo(GroupLimits limits, long usedMilliCu, int running, int queued, Map<UsageType, TypeUsage> byType,
        List<QueuedTaskInfo> queue) {
    public LedgerInfo {
        requireNonNull(limits, "limits is null");
        requireNonNull(byType, "byType is null");
        EnumMap<UsageType, TypeUsage> copy = new EnumMap<>(UsageType.class);
        copy.putAll(byType);
        byType = Collections.unmodifiableMap(copy);
        queue = List.copyOf(queue);
    }
}
