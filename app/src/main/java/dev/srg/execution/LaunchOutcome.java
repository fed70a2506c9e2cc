package dev.srg.execution;

/** What a {@link ExecutionBackend#launch} call did. */
public enum LaunchOutcome {
    /** The instance was started by this call. */
    STARTED,
    /** The instance had already been started (by this or an earlier backend) and still runs. */
    ALREADY_RUNNING,
    /**
     * The instance has an outcome already: it ran, was cancelled, or could not be started (then
     * with {@link FailureReason#LAUNCH_FAILED}). The outcome is or was delivered to the listener.
     */
    FINISHED,
    /**
     * Not started, for want of room where the backend keeps its instances (a full disk): nothing of
     * it ran and nothing of it is left; the caller launches it again once
     * {@link ExecutionBackend#storageShortage} is empty. No outcome is delivered.
     */
    DEFERRED
}
