package dev.srg.monitor;

import java.time.Instant;

/** An alert rule as the API shows it, with its current state and the value last evaluated. */
public record AlertRuleInfo(String id, String name, String resourceGroupId, AlertMetric metric, AlertComparator comparator,
                            double threshold, int forSeconds, String webhookUrl, AlertState state, Instant stateSince,
                            Double lastValue, Instant lastEvaluatedAt, String createdBy, Instant createdAt) {}
