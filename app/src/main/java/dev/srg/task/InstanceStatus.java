package dev.srg.task;

/** The state machine of an instance: QUEUED → STARTING → RUNNING → one of the final states. */
public enum InstanceStatus {
    QUEUED, STARTING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT;

    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == TIMED_OUT;
    }
}
