package dev.srg.execution;

import static java.util.Objects.requireNonNull;

/** What {@link ExecutionBackend#recover} found for one instance. */
public record RecoveredInstance(String instanceId, State state) {

    public RecoveredInstance {
        requireNonNull(instanceId, "instanceId is null");
        requireNonNull(state, "state is null");
    }

    /** The state of a recovered instance. */
    public enum State {
        /** Still running; re-attached, its exit will be reported. */
        RUNNING,
        /** Finished while the server was down; its exit is reported. */
        FINISHED,
        /** Started, but its supervisor is gone without an outcome; reported as {@link FailureReason#LOST}. */
        LOST,
        /** Never started: the server may launch it again (it still runs at most once) or fail it. */
        NOT_STARTED
    }
}
