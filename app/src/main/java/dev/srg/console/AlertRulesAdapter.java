package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.monitor.AlertEventInfo;
import dev.srg.monitor.AlertRuleInfo;
import dev.srg.monitor.AlertRuleManager;
import dev.srg.monitor.CreateAlertRuleRequest;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;

/** {@link AlertRules} on the monitoring alert manager, as {@code /alert-rules} calls it. */
public final class AlertRulesAdapter implements AlertRules {
    private final AlertRuleManager alerts;

    public AlertRulesAdapter(AlertRuleManager alerts) {
        this.alerts = requireNonNull(alerts, "alerts is null");
    }

    @Override
    public AlertRuleInfo create(Principal caller, CreateAlertRuleRequest rule) {
        return alerts.create(caller, rule);
    }

    @Override
    public Page<AlertRuleInfo> list(Principal caller, PageRequest page) {
        return alerts.list(caller, null, page);
    }

    @Override
    public AlertRuleInfo get(Principal caller, String ruleId) {
        return alerts.get(caller, ruleId);
    }

    @Override
    public void delete(Principal caller, String ruleId) {
        alerts.delete(caller, ruleId);
    }

    @Override
    public Page<AlertEventInfo> events(Principal caller, String ruleId, PageRequest page) {
        return alerts.events(caller, ruleId, page);
    }
}
