package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.quantity.ComputeUnits;
import java.time.Instant;
import java.util.List;

/**
 * A purchase as the lifecycle decides it: what was bought, for which period. The billing feature
 * prices it and records it as an order in the same transaction as the change it pays for.
 *
 * @param specCu the spec bought (subscription) or the maximum (pay-as-you-go create)
 * @param previousSpecCu the spec before a scale, else null
 * @param cycle the billing cycle bought (create, renew, convert, auto-renew), else null
 * @param periodStart start of the period paid for (subscription), else null
 * @param periodEnd its end (the new expiry), else null
 * @param paidAhead a scale-out: the paid periods that reach past {@code at}, over which it is prorated (else empty)
 */
public record Purchase(String resourceGroupId, PurchaseType type, BillingMode billingMode, ComputeUnits specCu,
                       ComputeUnits previousSpecCu, BillingCycle cycle, Instant periodStart, Instant periodEnd,
                       String buyer, Instant at, String detail, List<PaidPeriod> paidAhead) {
    public Purchase(String resourceGroupId, PurchaseType type, BillingMode billingMode, ComputeUnits specCu,
                    ComputeUnits previousSpecCu, BillingCycle cycle, Instant periodStart, Instant periodEnd,
                    String buyer, Instant at, String detail) {
        this(resourceGroupId, type, billingMode, specCu, previousSpecCu, cycle, periodStart, periodEnd, buyer, at, detail, List.of());
    }

    public Purchase {
        paidAhead = paidAhead == null ? List.of() : List.copyOf(paidAhead);
        requireNonNull(resourceGroupId, "resourceGroupId is null");
        requireNonNull(type, "type is null");
        requireNonNull(billingMode, "billingMode is null");
        requireNonNull(buyer, "buyer is null");
        requireNonNull(at, "at is null");
    }
}
