package dev.srg.group;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A period a subscription has paid for, as its order says ({@code CREATE}, {@code CONVERT},
 * {@code RENEW}, {@code AUTO_RENEW}): [start, end) bought as {@code cycle}. A scale-out is priced
 * over the paid periods still ahead, each at its own cycle's price and length (RG-5).
 */
public record PaidPeriod(Instant start, Instant end, BillingCycle cycle) {
    public PaidPeriod {
        requireNonNull(start, "start is null");
        requireNonNull(end, "end is null");
        requireNonNull(cycle, "cycle is null");
        if (!end.isAfter(start)) {
            throw new IllegalArgumentException("a paid period ends after it starts: " + start + " .. " + end);
        }
    }
}
