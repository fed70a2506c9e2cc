package dev.srg.execution;

/** The two shapes of work. */
public enum WorkShape {
    /** Runs to completion, within its timeout; its CU are released when it ends. */
    TASK,
    /**
     * Runs until stopped (cancel), without a timeout; holds its CU all that time, and srg restarts
     * it (with a backoff, counting restarts) when its process dies.
     */
    SERVICE
}
