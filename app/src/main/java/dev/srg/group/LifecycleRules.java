package dev.srg.group;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** The time rules of the lifecycle as pure functions (decide here, apply in {@link ResourceGroupLifecycle}). */
public final class LifecycleRules {
    private LifecycleRules() {}

    /** A period paid for: [start, end). */
    public record Period(Instant start, Instant end) {}

    /**
     * RG-7: when an idle pay-as-you-go group is frozen — {@link LifecycleConfig#FREEZE_AFTER} after the
     * later of the start of its idle window (provisioned, enabled) and its last activity — or empty
     * while that moment has not come (exactly 7 days idle freezes; a minute less does not).
     */
    public static Optional<Instant> freezeAt(Instant now, Instant activeSince, Collection<Instant> lastActivities) {
        Instant last = activeSince;
        for (Instant a : lastActivities) {
            if (a != null && a.isAfter(last)) {
                last = a;
            }
        }
        Instant due = last.plus(LifecycleConfig.FREEZE_AFTER);
        return due.isAfter(now) ? Optional.empty() : Optional.of(due);
    }

    /**
     * RG-3: the monthly renewals an auto-renewing subscription is due by {@code now}: each is made
     * {@code lead} before the expiry it extends, so after a clock jump every missed month is renewed.
     */
    public static List<Period> autoRenewals(Instant expiresAt, Instant now, Duration lead) {
        return autoRenewals(expiresAt, null, now, lead);
    }

    /** ... each month ending on the day of the month of {@code anchor} (the subscription's start) where it can. */
    public static List<Period> autoRenewals(Instant expiresAt, Instant anchor, Instant now, Duration lead) {
        List<Period> periods = new ArrayList<>();
        BillingCycle month = new BillingCycle(BillingCycle.Unit.MONTH, 1);
        Instant end = expiresAt;
        while (!end.minus(lead).isAfter(now)) {
            Instant next = month.addTo(end, anchor);
            periods.add(new Period(end, next));
            end = next;
        }
        return periods;
    }

    /** RG-3, RG-8: a renewal of an expired group starts now; of a live one, at its expiry. */
    public static Period renewal(Instant expiresAt, boolean expired, Instant now, BillingCycle cycle) {
        return renewal(expiresAt, null, expired, now, cycle);
    }

    /** ... a live one's on the day of the month of {@code anchor} (its start) where it can; an expired one's starts anew. */
    public static Period renewal(Instant expiresAt, Instant anchor, boolean expired, Instant now, BillingCycle cycle) {
        boolean anew = expired || expiresAt.isBefore(now);
        Instant start = anew ? now : expiresAt;
        return new Period(start, anew ? cycle.addTo(start) : cycle.addTo(start, anchor));
    }
}
