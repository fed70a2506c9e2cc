package dev.srg.admission;

/**
 * How a group orders its queued tasks within one priority (higher priorities always come first).
 * See docs/rules.md "Queue policy".
 */
public enum QueuePolicy {
    /** DESIGN.md's rule and the default: priority, then arrival. */
    ARRIVAL,
    /**
     * Opt-in beyond DESIGN.md: within a priority, the task of the workspace with the smallest
     * share of this group goes next ({@link GroupLedger#shareCu}: the CU it runs now plus its
     * decayed average CU use), then arrival inside a workspace.
     */
    FAIR_SHARE
}
