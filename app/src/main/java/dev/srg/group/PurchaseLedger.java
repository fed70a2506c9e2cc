package dev.srg.group;

import org.jdbi.v3.core.Handle;

/** Records a purchase as a priced order inside the caller's transaction; returns the order's id. */
public interface PurchaseLedger {
    String record(Handle h, Purchase purchase);

    /** What {@link #record} would charge for it, in micro-units of {@link #currency()} (a quote). */
    long priceMicros(Purchase purchase);

    String currency();
}
