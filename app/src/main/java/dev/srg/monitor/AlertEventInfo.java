package dev.srg.monitor;

import java.time.Instant;

/**
 * One transition of a rule (its history, {@code GET /alert-rules/{id}/events}). FIRING and
 * RESOLVED carry a webhook notification and how its delivery went.
 */
public record AlertEventInfo(String id, String ruleId, int sequence, AlertState fromState, AlertState toState, double value,
                             double threshold, Instant time, Notification notification) {
    /**
     * @param status PENDING (to be sent or retried), DELIVERED, FAILED (given up after every attempt); never NONE
     */
    public record Notification(Delivery status, int attempts, Instant nextAttemptAt, Instant deliveredAt, String lastError) {}
}
