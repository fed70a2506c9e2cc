package dev.srg.execution;

/** Receives the outcome of instances; see {@link ExecutionBackend} for when it is called. */
@FunctionalInterface
public interface ExitListener {

    /** Called once per instance per backend lifetime, from a backend thread; must not block long. */
    void onExit(String instanceId, ExitStatus status);

    /**
     * The launch of {@code instanceId} met a full disk before its task could start (the local
     * backend: its instance directory could not be written, or its supervisor could not claim the
     * run): nothing of it ran and nothing of it is left, and it may be launched again once there is
     * room. Not the task's fault, so never an outcome: the server puts it back in its queue. Called
     * at most once per launch, from a backend thread, also when {@link ExecutionBackend#launch}
     * answered {@link LaunchOutcome#STARTED} (the supervisor failed after the launch returned).
     * Default: an outcome {@link FailureReason#LAUNCH_FAILED}, for listeners that cannot queue.
     */
    default void onLaunchDeferred(String instanceId, String why) {
        onExit(instanceId, ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, java.time.Instant.now(), why));
    }
}
