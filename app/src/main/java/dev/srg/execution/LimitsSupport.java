package dev.srg.execution;

import static java.util.Objects.requireNonNull;

/**
 * Whether a backend enforces the CPU and memory of the CUs (ADM-7); {@code note} says how, or why not.
 */
public record LimitsSupport(boolean enforced, String note) {

    public LimitsSupport {
        requireNonNull(note, "note is null");
    }
}
