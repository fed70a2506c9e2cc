package dev.srg.api;

import static java.util.Objects.requireNonNull;

import dev.srg.billing.Meter;
import dev.srg.billing.OrderBook;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.time.ClockControl;

/**
 * What the lifecycle, billing and clock routes serve.
 *
 * @param clock the simulated clock's control, or null: then {@code /clock} routes do not exist
 */
public record LifecycleApi(ResourceGroupLifecycle lifecycle, OrderBook orders, Meter meter, ClockControl clock) {
    public LifecycleApi {
        requireNonNull(lifecycle, "lifecycle is null");
        requireNonNull(orders, "orders is null");
        requireNonNull(meter, "meter is null");
    }
}
