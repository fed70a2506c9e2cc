package dev.srg.monitor;

import java.time.Duration;
import java.time.Instant;

/**
 * The states of an alert rule (SPEC MON-4): OK → PENDING (the condition holds, not yet for
 * {@code forSeconds}) → FIRING → RESOLVED (the condition cleared) → OK. PENDING falls back to OK
 * without notice when the condition clears early. FIRING and RESOLVED are notified.
 */
public enum AlertState {
    OK, PENDING, FIRING, RESOLVED;

    public boolean notifies() {
        return this == FIRING || this == RESOLVED;
    }

    /** The state after an evaluation, and since when the condition has held (null when it does not). */
    public record Next(AlertState state, Instant pendingSince) {}

    /**
     * Decides the next state (pure): {@code pendingSince} is when the condition started to hold,
     * {@code holds} whether it holds at {@code now}.
     */
    public Next next(Instant pendingSince, boolean holds, Instant now, Duration forDuration) {
        if (!holds) {
            return new Next(this == FIRING ? RESOLVED : OK, null);
        }
        Instant since = this == PENDING || this == FIRING ? pendingSince : now;
        if (this == FIRING) {
            return new Next(FIRING, since);
        }
        if (!now.isBefore(since.plus(forDuration))) {
            return new Next(FIRING, since);
        }
        return new Next(PENDING, since);
    }
}
