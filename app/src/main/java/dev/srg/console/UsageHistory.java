package dev.srg.console;

import dev.srg.access.Principal;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code GET /resource-groups/{id}/usage/history?from=&to=&step=} (MON-1): the answer whose JSON form
 * is {@code {points: [{time, usedCu, byUsageType}]}}; the chart reads it as the API would answer.
 */
public interface UsageHistory {
    Object history(Principal caller, String groupId, Instant from, Instant to, Duration step);
}
