package dev.srg.admission;

/**
 * Why a queued task has not started (SPEC ADM-5, MON-2). When several hold, the first in this
 * order is given.
 */
public enum WaitReason {
    /** The group is not RUNNING, SCALING or CONVERTING (SPEC RG-4), e.g. frozen or expired. */
    GROUP_NOT_ADMITTING,
    /**
     * A spent budget that holds new tasks covers its workspace or its group (SPEC BEY-3): it
     * waits until the next month, a raised budget or the hold turned off; running tasks go on.
     */
    BUDGET,
    /**
     * The disk where the group's tasks run (the local backend's task directory) is short of space:
     * nothing of the group starts until there is room again; a launch that met a full disk came back
     * here (it is not the task's fault, and nothing of it ran).
     */
    INSUFFICIENT_STORAGE,
    /** The SCHEDULING concurrency threshold is reached (SPEC ADM-4). */
    CONCURRENCY,
    /** Its type would exceed its maximum quota (SPEC ADM-2). */
    MAX_QUOTA,
    /** The group's used CU plus this task would exceed the capacity (SPEC ADM-6, RG-5). */
    CAPACITY,
    /** It would fit the capacity, but only by eating another type's unused minimum (SPEC ADM-6). */
    RESERVED_FOR_OTHER_TYPES,
    /**
     * It fits, but an earlier task that has waited past the starvation bound holds what it
     * would take.
     */
    HELD_FOR_HEAD,
    /**
     * Nothing stops it: the next {@link GroupLedger#admit} starts it. Seen only when the
     * ledger changed (a release, new limits) and admission has not run since.
     */
    READY
}
