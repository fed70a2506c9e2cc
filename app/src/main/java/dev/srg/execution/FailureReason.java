package dev.srg.execution;

/** Why an instance did not succeed; {@link #NONE} when it did. */
public enum FailureReason {
    /** The task exited with code 0. */
    NONE,
    /** The task exited with a non-zero code (or was killed by a signal it did not get from us). */
    NON_ZERO_EXIT,
    /** The task went over the memory of its CUs and was killed by the kernel. */
    OUT_OF_MEMORY,
    /**
     * The task's home went over its disk limit (the local backend: per CU, measured by its supervisor
     * every 2 s, as the kubelet evicts a Pod over its ephemeral storage) and its whole process tree
     * was killed.
     */
    DISK_LIMIT,
    /** The task ran past its timeout; its whole process tree was killed. */
    TIMEOUT,
    /** The instance was cancelled; its process tree was killed or it never started. */
    CANCELLED,
    /** The task could not be started. */
    LAUNCH_FAILED,
    /** The instance started but its supervisor disappeared without recording an outcome. */
    LOST;

    /** Whether the instance succeeded. */
    public boolean succeeded() {
        return this == NONE;
    }
}
