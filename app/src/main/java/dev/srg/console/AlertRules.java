package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.monitor.AlertEventInfo;
import dev.srg.monitor.AlertRuleInfo;
import dev.srg.monitor.CreateAlertRuleRequest;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;

/**
 * Monitoring rules as API.md names them ({@code POST/GET /alert-rules}, {@code DELETE /alert-rules/{id}},
 * {@code GET /alert-rules/{id}/events}), MON-4.
 */
public interface AlertRules {
    AlertRuleInfo create(Principal caller, CreateAlertRuleRequest rule);

    Page<AlertRuleInfo> list(Principal caller, PageRequest page);

    AlertRuleInfo get(Principal caller, String ruleId);

    void delete(Principal caller, String ruleId);

    Page<AlertEventInfo> events(Principal caller, String ruleId, PageRequest page);
}
