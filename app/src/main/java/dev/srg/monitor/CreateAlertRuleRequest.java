package dev.srg.monitor;

import java.math.BigDecimal;

/** {@code POST /alert-rules}. */
public record CreateAlertRuleRequest(String name, String resourceGroupId, AlertMetric metric, AlertComparator comparator,
                                     BigDecimal threshold, Integer forSeconds, String webhookUrl, String clientToken) {
    String fingerprint() {
        return String.join("|", String.valueOf(name), String.valueOf(resourceGroupId), String.valueOf(metric),
                String.valueOf(comparator), threshold == null ? "null" : threshold.stripTrailingZeros().toPlainString(),
                String.valueOf(forSeconds), String.valueOf(webhookUrl));
    }
}
