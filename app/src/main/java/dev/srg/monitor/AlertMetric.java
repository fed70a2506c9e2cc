package dev.srg.monitor;

/** What an alert rule watches (SPEC MON-4). */
public enum AlertMetric {
    /** Used CU / capacity of the group, a ratio: 0.8 is 80 %. Above 1 after a scale-in (RG-5). */
    CU_UTILIZATION,
    /** Instances queued (pending) in the group, all usage types. */
    PENDING_INSTANCES
}
