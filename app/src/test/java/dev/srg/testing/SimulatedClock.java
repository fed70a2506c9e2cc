package dev.srg.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** On a {@link ServerTestBase}: its server runs on the simulated clock (tests move it with {@code server.advanceClock}). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface SimulatedClock {
    /**
     * Whether the server keeps usage points (per minute, per hour) for an hour only instead of the
     * default 7 and 90 days. A jump of the clock fills every minute and hour it skipped within those
     * retentions for every group not released (the usage sampler's fill, docs/monitoring.md): a
     * 92-day jump writes and rolls up ~12,000 points a group, and a class whose tests share one server
     * accumulates groups, so that LifecycleApiTest's last jumps wrote over a million points (autoRenew
     * 198 s of the class's 438 at a load of 14). A class whose subject is not the usage history (it
     * never reads it) says true; the fill itself is UsageHistoryApiTest's (SPEC MON-1).
     */
    boolean shortUsageRetention() default false;
}
