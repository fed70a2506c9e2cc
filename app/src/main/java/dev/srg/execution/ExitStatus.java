package dev.srg.execution;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;

/**
 * The outcome and consumption of one instance (MON-3).
 *
 * @param exitCode the task's exit status as a shell reports it (128 + n when killed by signal n);
 *     null when the task did not end by itself (timeout, cancel, never started, lost)
 * @param reason why it did not succeed, {@link FailureReason#NONE} if it did
 * @param startedAt when the task was started; null if it never was (or is unknown, when lost)
 * @param finishedAt when it ended (or was found to have ended)
 * @param cpuSeconds CPU time of the whole process tree
 * @param peakMemoryBytes peak memory of the whole process tree; null when not measurable (no cgroup)
 * @param limitsEnforced whether the CPU and memory of the CUs were enforced (ADM-7)
 * @param limitsNote how they were enforced, or why not
 */
public record ExitStatus(
        Integer exitCode,
        FailureReason reason,
        Instant startedAt,
        Instant finishedAt,
        double cpuSeconds,
        Long peakMemoryBytes,
        boolean limitsEnforced,
        String limitsNote) {

    public ExitStatus {
        requireNonNull(reason, "reason is null");
        requireNonNull(finishedAt, "finishedAt is null");
        requireNonNull(limitsNote, "limitsNote is null");
        if (cpuSeconds < 0 || Double.isNaN(cpuSeconds)) {
            throw new IllegalArgumentException("cpuSeconds must not be negative: " + cpuSeconds);
        }
        if (reason == FailureReason.NONE && (exitCode == null || exitCode != 0)) {
            throw new IllegalArgumentException("a success needs exit code 0, got " + exitCode);
        }
    }

    /** An outcome without a run: the task never started (or nothing is known of its run). */
    public static ExitStatus withoutRun(FailureReason reason, Instant finishedAt, String note) {
        return new ExitStatus(null, reason, null, finishedAt, 0, null, false, note);
    }

    /** Whether the task succeeded. */
    public boolean succeeded() {
        return reason.succeeded();
    }

    /** How long the task ran; zero if it never started. */
    public Duration wallTime() {
        return startedAt == null ? Duration.ZERO : Duration.between(startedAt, finishedAt);
    }
}
