package dev.srg.billing;

import dev.srg.group.BillingCycle;
import dev.srg.group.BillingMode;
import dev.srg.group.PurchaseType;
import dev.srg.quantity.ComputeUnits;
import java.time.Instant;

/**
 * An order as the API shows it (SPEC RG-9). Orders are paid when placed (there is no payment
 * step in a self-hosted installation), so {@code status} is always PAID.
 */
public record OrderInfo(String id, String resourceGroupId, PurchaseType type, BillingMode billingMode, ComputeUnits specCu,
                        ComputeUnits previousSpecCu, BillingCycle billingCycle, Instant periodStart, Instant periodEnd,
                        Money amount, String currency, String status, String createdBy, Instant createdAt, String detail) {}
