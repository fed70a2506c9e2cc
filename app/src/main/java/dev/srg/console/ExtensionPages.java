package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.console.Views.JsonTable;

import dev.srg.error.SrgException;
import dev.srg.json.Json;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Pages of features wired in through {@link ConsoleExtensions}: monitoring rules and their events,
 * orders and bills. Items are shown through their JSON form, the one the API answers with.
 */
final class ExtensionPages {
    static final List<String> RULE_FIELDS = List.of("resourceGroupId", "metric", "comparator", "threshold", "forSeconds", "webhookUrl");

    private ExtensionPages() {}


    static void register(Console c) {
        c.page("/console/alerts", r -> {
            var alerts = c.extensions.alertsAdapter();
            JsonTable rules = alerts.isPresent()
                    ? JsonTable.of(alerts.get().list(r.caller, PageRequest.parse("100", r.query("pageToken"))), Set.of())
                    : null;
            var groups = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
            r.render("alerts.jte", model("page", r.page("Monitoring rules", "alerts"), "available", alerts.isPresent(),
                    "rules", rules == null ? new JsonTable(List.of(), List.of(), "") : rules, "form", r.takeForm().of("rule"),
                    "groups", groups));
        });
        c.action("/console/alerts", r -> {
            FormInput in = r.form();
            try {
                AlertRules alerts = c.extensions.alertsAdapter().orElseThrow(ExtensionPages::unavailable);
                alerts.create(r.caller, new AlertRules.CreateRule(in.text("resourceGroupId"), in.text("metric"),
                        in.text("comparator"), in.decimal("threshold"), in.integer("forSeconds"), in.text("webhookUrl")));
                r.done("Monitoring rule created.", "/console/alerts");
            } catch (SrgException e) {
                r.refused("rule", in, e, RULE_FIELDS, "/console/alerts");
            }
        });
        c.action("/console/alerts/{id}/delete", r -> {
            c.extensions.alertsAdapter().orElseThrow(ExtensionPages::unavailable).delete(r.caller, r.path("id"));
            r.done("Monitoring rule deleted.", "/console/alerts");
        });
        c.page("/console/alerts/{id}/events", r -> {
            AlertRules alerts = c.extensions.alertsAdapter().orElseThrow(ExtensionPages::unavailable);
            JsonTable events = JsonTable.of(alerts.events(r.caller, r.path("id"), PageRequest.parse("100", r.query("pageToken"))),
                    Set.of());
            r.render("alert-events.jte", model("page", r.page("Events of " + r.path("id"), "alerts")
                    .crumb("Monitoring rules", "/console/alerts"), "ruleId", r.path("id"), "events", events));
        });
        c.page("/console/billing", r -> {
            var billing = c.extensions.billingAdapter();
            JsonTable orders = null;
            JsonTable bills = null;
            String group = r.query("resourceGroupId");
            Instant from = AccessPages.time("from", r.query("from"));
            Instant to = AccessPages.time("to", r.query("to"));
            if (billing.isPresent()) {
                orders = JsonTable.of(billing.get().orders(r.caller, PageRequest.parse("100", r.query("ordersPage"))), Set.of());
                bills = JsonTable.of(billing.get().bills(r.caller, from, to, group, PageRequest.parse("100", r.query("billsPage"))),
                        Set.of());
            }
            JsonTable none = new JsonTable(List.of(), List.of(), "");
            r.render("billing.jte", model("page", r.page("Orders and bills", "billing"), "available", billing.isPresent(),
                    "orders", orders == null ? none : orders, "bills", bills == null ? none : bills,
                    "resourceGroupId", group == null ? "" : group, "from", r.query("from") == null ? "" : r.query("from"),
                    "to", r.query("to") == null ? "" : r.query("to")));
        });
    }

    private static SrgException unavailable() {
        return new SrgException(404, "Console.NotAvailable", null, "This feature is not available in this version.");
    }
}
