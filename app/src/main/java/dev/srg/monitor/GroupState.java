package dev.srg.monitor;

import dev.srg.admission.UsageType;

/**
 * One group's usage at one instant, per usage type and in all (index {@link #ALL}): what the
 * sampler records, {@code /metrics} shows and alert rules test. Mutable, owned by one reader.
 */
final class GroupState {
    static final UsageType[] TYPES = UsageType.values();
    static final int ALL = TYPES.length;

    final String groupId;
    String name;
    long capacityMilliCu;
    final long[] usedMilliCu = new long[ALL + 1];
    final int[] running = new int[ALL + 1];
    final int[] queued = new int[ALL + 1];
    /** The longest wait of a task queued now, per type; filled only when something is queued. */
    final long[] oldestWaitMillis = new long[ALL + 1];

    GroupState(String groupId, String name, long capacityMilliCu) {
        this.groupId = groupId;
        this.name = name;
        this.capacityMilliCu = capacityMilliCu;
    }

    /** used / capacity (0 for a group of no capacity). */
    double utilization() {
        return capacityMilliCu == 0 ? 0 : (double) usedMilliCu[ALL] / capacityMilliCu;
    }
}
