package dev.srg.group;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long lifecycle transitions take and how long an expired group is kept (SPEC RG-5..RG-8).
 *
 * @param scaleDuration how long a group stays SCALING before the new spec takes effect
 * @param convertDuration how long a group stays CONVERTING (the guide: 1 to 2 minutes)
 * @param retention how long an EXPIRED group is kept before it is released
 * @param autoRenewLead how long before expiry an auto-renewing group is renewed
 */
public record LifecycleConfig(Duration scaleDuration, Duration convertDuration, Duration retention, Duration autoRenewLead) {
    /** RG-7: a pay-as-you-go group idle this long is frozen. */
    public static final Duration FREEZE_AFTER = Duration.ofDays(7);
    public static final LifecycleConfig DEFAULTS =
            new LifecycleConfig(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofDays(15), Duration.ofDays(1));

    public LifecycleConfig {
        requireNonNull(scaleDuration, "scaleDuration is null");
        requireNonNull(convertDuration, "convertDuration is null");
        requireNonNull(retention, "retention is null");
        requireNonNull(autoRenewLead, "autoRenewLead is null");
    }

    public LifecycleConfig withConvertDuration(Duration d) {
        return new LifecycleConfig(scaleDuration, d, retention, autoRenewLead);
    }

    public LifecycleConfig withScaleDuration(Duration d) {
        return new LifecycleConfig(d, convertDuration, retention, autoRenewLead);
    }

    public LifecycleConfig withRetention(Duration d) {
        return new LifecycleConfig(scaleDuration, convertDuration, d, autoRenewLead);
    }
}
