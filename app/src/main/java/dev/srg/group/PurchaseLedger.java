package dev.srg.group;

import org.jdbi.v3.core.Handle;

/** Records a purchase as a priced order inside the caller's transaction; returns the order's id. */
public interface PurchaseLedger {
    String record(Handle h, Purchase purchase);
}
