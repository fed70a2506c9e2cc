package dev.srg.execution;

import static java.util.Objects.requireNonNull;

/** The answer of {@link ExecutionBackend#launch}. */
public record Launched(String instanceId, LaunchOutcome outcome) {

    public Launched {
        requireNonNull(instanceId, "instanceId is null");
        requireNonNull(outcome, "outcome is null");
    }
}
