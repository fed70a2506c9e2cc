package dev.srg.monitor;

/**
 * Where an alert event stands in the webhook outbox ({@code alert_events.delivery}; the SQL names
 * PENDING literally so the outbox's partial index serves it).
 */
public enum Delivery {
    /** Not notified (PENDING and OK transitions). */
    NONE,
    /** To be sent, or sent again after a failed attempt. */
    PENDING,
    DELIVERED,
    /** Given up after every attempt. */
    FAILED
}
