package dev.srg.group;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/**
 * One kind of activity that keeps a pay-as-you-go group from being frozen (SPEC RG-7). Each
 * feature that uses groups contributes one: task instances of every usage type today; data
 * integration, data services, connectivity tests and the like add theirs as they arrive
 * (passed to the {@link ResourceGroupLifecycle} constructor).
 */
public interface GroupActivitySource {
    /** A name for logs and the freeze's audit detail ("instances", "data-services", ...). */
    String name();

    /**
     * For each of {@code groupIds} that has had this activity: the last time it was active, or
     * {@code now} when it is active now. Groups without any are left out.
     */
    Map<String, Instant> lastActivity(Collection<String> groupIds, Instant now);
}
