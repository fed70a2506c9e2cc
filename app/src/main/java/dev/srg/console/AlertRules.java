package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.math.BigDecimal;

/**
 * Monitoring rules as API.md names them ({@code POST/GET /alert-rules}, {@code DELETE /alert-rules/{id}},
 * {@code GET /alert-rules/{id}/events}), MON-4. Rules and events are shown through their JSON form.
 */
public interface AlertRules {
    /** The body of {@code POST /alert-rules}, field for field. */
    record CreateRule(String resourceGroupId, String metric, String comparator, BigDecimal threshold, Integer forSeconds,
                      String webhookUrl) {}

    Object create(Principal caller, CreateRule rule);

    Page<?> list(Principal caller, PageRequest page);

    void delete(Principal caller, String ruleId);

    Page<?> events(Principal caller, String ruleId, PageRequest page);
}
