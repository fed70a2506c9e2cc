package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.monitor.UsageHistory.UsageHistoryInfo;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code GET /resource-groups/{id}/usage/history?from=&to=&step=} (MON-1): the chart reads the
 * answer's JSON form ({@code {points: [{time, usedCu, byUsageType}]}}) as the API would answer it.
 * The monitoring reader fits as is: {@code monitoring.history()::history}.
 */
@FunctionalInterface
public interface UsageHistory {
    UsageHistoryInfo history(Principal caller, String groupId, Instant from, Instant to, Duration step);
}
