package dev.srg.group;

import dev.srg.quantity.ComputeUnits;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;

/**
 * What a purchase (create, scale, renew, convert) would cost, answered to {@code ?dryRun=true}:
 * decided by the same rules the purchase runs, priced at the same price list, with nothing written.
 * {@code amount} is exact (as the ledger records it); {@code amountShown} is rounded half up to the
 * currency's cents, for people. {@code confirmationRequired}: the purchase lowers the group below
 * what it runs now (a scale-in below use), which the CLI and the console ask to confirm.
 */
public record PurchaseQuote(boolean dryRun, String resourceGroupId, PurchaseType type, BillingMode billingMode,
                            ComputeUnits specCu, ComputeUnits previousSpecCu, BillingCycle billingCycle, Instant periodStart,
                            Instant periodEnd, BigDecimal amount, String currency, String amountShown,
                            boolean confirmationRequired, List<String> warnings) {
    public PurchaseQuote {
        warnings = List.copyOf(warnings);
    }

    /** {@code resourceGroupId}: null for a group not bought yet. */
    static PurchaseQuote of(String resourceGroupId, Purchase p, PurchaseLedger ledger, List<String> warnings) {
        BigDecimal amount = BigDecimal.valueOf(ledger.priceMicros(p), 6).stripTrailingZeros();
        if (amount.scale() < 2) {
            amount = amount.setScale(2);
        }
        String shown = amount.setScale(2, RoundingMode.HALF_UP).toPlainString() + " " + ledger.currency();
        return new PurchaseQuote(true, resourceGroupId, p.type(), p.billingMode(), p.specCu(), p.previousSpecCu(), p.cycle(),
                p.periodStart(), p.periodEnd(), amount, ledger.currency(), shown, !warnings.isEmpty(), warnings);
    }
}
