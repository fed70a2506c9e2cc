package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.error.SrgException;
import dev.srg.monitor.AlertComparator;
import dev.srg.monitor.AlertMetric;
import dev.srg.monitor.CreateAlertRuleRequest;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Pages of features wired in through {@link ConsoleExtensions}: monitoring rules and their events,
 * orders and bills. Without the feature a page says it is not available (no fake data).
 */
final class ExtensionPages {
    static final List<String> RULE_FIELDS = List.of("name", "resourceGroupId", "metric", "comparator", "threshold", "forSeconds",
            "webhookUrl");

    private ExtensionPages() {}

    static void register(Console c) {
        c.page("/console/alerts", r -> {
            var alerts = c.extensions.alertsAdapter();
            var rules = alerts.isPresent() ? alerts.get().list(r.caller, PageRequest.parse("100", r.query("pageToken"))) : empty();
            r.render("alerts.jte", model("page", r.page("Monitoring rules", "alerts"), "available", alerts.isPresent(),
                    "rules", rules, "form", r.takeForm().of("rule"), "groups", r.names().groups(),
                    "clientToken", ConsoleSessions.random()));
        });
        c.action("/console/alerts", "Create an alert rule", r -> {
            FormInput in = r.form();
            try {
                AlertRules alerts = c.extensions.alertsAdapter().orElseThrow(ExtensionPages::unavailable);
                var rule = alerts.create(r.caller, new CreateAlertRuleRequest(in.text("name"), in.text("resourceGroupId"),
                        in.enumValue("metric", AlertMetric.class), in.enumValue("comparator", AlertComparator.class),
                        in.decimal("threshold"), in.integer("forSeconds"), in.text("webhookUrl"), in.text("clientToken")));
                r.auditResource(rule.id());
                r.done("Monitoring rule " + (rule.name() == null ? rule.id() : rule.name()) + " created (" + rule.id() + ").",
                        "/console/alerts#rule-" + rule.id());
            } catch (SrgException e) {
                r.refused("rule", in, e, RULE_FIELDS, "/console/alerts");
            }
        });
        c.action("/console/alerts/{id}/delete", "Delete an alert rule", r -> {
            c.extensions.alertsAdapter().orElseThrow(ExtensionPages::unavailable).delete(r.caller, r.path("id"));
            r.done("Monitoring rule " + r.path("id") + " deleted.", "/console/alerts");
        });
        c.page("/console/alerts/{id}/events", r -> {
            AlertRules alerts = c.extensions.alertsAdapter().orElseThrow(ExtensionPages::unavailable);
            var rule = alerts.get(r.caller, r.path("id"));
            var events = alerts.events(r.caller, rule.id(), PageRequest.parse("100", r.query("pageToken")));
            r.render("alert-events.jte", model("page", r.page("Events of " + (rule.name() == null ? rule.id() : rule.name()), "alerts")
                    .crumb("Monitoring rules", "/console/alerts"), "rule", rule, "events", events,
                    "groups", r.names().groups()));
        });
        c.page("/console/billing", r -> {
            var billing = c.extensions.billingAdapter();
            String group = r.query("resourceGroupId");
            Instant from = AccessPages.time("from", r.query("from"));
            Instant to = AccessPages.time("to", r.query("to"));
            Map<String, Object> m = model("page", r.page("Orders and bills", "billing"), "available", billing.isPresent(),
                    "resourceGroupId", group == null ? "" : group, "from", r.query("from") == null ? "" : r.query("from"),
                    "to", r.query("to") == null ? "" : r.query("to"), "groups", r.names().groups(),
                    "orders", empty(), "bills", empty(), "total", "");
            if (billing.isPresent()) {
                m.put("orders", billing.get().orders(r.caller, group, PageRequest.parse("50", r.query("ordersPage"))));
                m.put("bills", billing.get().bills(r.caller, from, to, group, PageRequest.parse("50", r.query("billsPage"))));
                var total = billing.get().billTotal(r.caller, from, to, group);
                m.put("total", total.amount() + " " + total.currency() + " for " + total.cuSeconds().toPlainString()
                        + " CU-seconds in " + total.lines() + " hourly line" + (total.lines() == 1 ? "" : "s"));
            }
            r.render("billing.jte", m);
        });
    }

    private static <T> Page<T> empty() {
        return new Page<>(List.of(), null);
    }

    private static SrgException unavailable() {
        return new SrgException(404, "Console.NotAvailable", null, "This feature is not available in this version.");
    }
}
