package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.billing.BudgetManager;
import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import dev.srg.workspace.WorkspaceInfo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Budgets (SPEC BEY-3) and a group's quota schedule with its timeline (SPEC BEY-2). */
final class BeyondPages {
    static final List<String> BUDGET_FIELDS = List.of("name", "scope", "workspaceId", "resourceGroupId", "unit", "amount",
            "alertRuleIds", "holdNewTasks");

    private BeyondPages() {}

    static void register(Console c) {
        c.page("/console/budgets", r -> r.render("beyond/budgets.jte", model("page", r.page("Budgets", "budgets"),
                "budgets", c.features.beyond().budgets().list(r.caller), "form", r.takeForm().of("budget"),
                "scopes", scopes(c, r))));
        c.action("/console/budgets", r -> {
            FormInput in = r.form();
            try {
                String scope = in.text("scope");
                String workspace = scope != null && scope.startsWith("ws:") ? scope.substring(3) : null;
                String group = scope != null && scope.startsWith("rg:") ? scope.substring(3) : null;
                String rules = in.text("alertRuleIds");
                var b = c.features.beyond().budgets().create(r.caller, new BudgetManager.CreateRequest(in.text("name"), workspace, group,
                        in.enumValue("unit", BudgetManager.Unit.class), in.decimal("amount"), null,
                        rules == null || rules.isBlank() ? null : Arrays.stream(rules.split("[,\\s]+")).filter(s -> !s.isEmpty()).toList(),
                        in.checkbox("holdNewTasks"), in.text("clientToken")));
                r.auditResource(b.id());
                r.done("Budget " + b.name() + " created (" + b.id() + ").", "/console/budgets#budget-" + b.id());
            } catch (SrgException e) {
                r.refused("budget", in, e, BUDGET_FIELDS, "/console/budgets");
            }
        });
        // SPEC BEY-5: the month's chargeback, and the same as downloads (exact amounts)
        c.page("/console/chargeback", r -> r.render("beyond/chargeback.jte", model("page", r.page("Chargeback", "chargeback"),
                "report", c.features.beyond().chargeback().report(r.caller, r.query("month")))));
        c.page("/console/chargeback.csv", r -> {
            var report = c.features.beyond().chargeback().report(r.caller, r.query("month"));
            r.ctx.header("Content-Disposition", "attachment; filename=\"chargeback-" + report.month() + ".csv\"")
                    .contentType("text/csv; charset=utf-8").result(dev.srg.billing.ChargebackReport.csv(report));
        });
        c.page("/console/chargeback.json", r -> {
            var report = c.features.beyond().chargeback().report(r.caller, r.query("month"));
            r.ctx.header("Content-Disposition", "attachment; filename=\"chargeback-" + report.month() + ".json\"");
            GroupPages.json(r, report);
        });
        // SPEC BEY-1: what "Run" would do, without submitting: the form shown again with the estimate
        c.action("/console/instances/estimate", r -> {
            FormInput in = r.form();
            try {
                var d = c.features.instances().dryRun(r.caller, InstancePages.submitRequest(in));
                String cost = d.estimatedCost() == null ? "no estimated cost (" + d.costNote() + ")"
                        : "estimated cost " + BeyondFormat.money(d.estimatedCost()) + " " + d.currency() + " (" + d.costNote() + ")";
                String text = d.startsNow() ? "Would start now; " + cost + "."
                        : "Would wait at position " + d.position() + ": " + Fmt.waitReason(d.reason()) + " Estimated start: "
                        + (d.estimatedStartAt() == null ? "unknown" : Fmt.time(d.estimatedStartAt())) + " (" + d.estimate() + "); "
                        + cost + ".";
                r.again("submit", in, new Flash(Flash.Kind.OK, "Estimate (nothing submitted): " + text, d.warnings(), null),
                        "/console/instances/new");
            } catch (SrgException e) {
                r.refused("submit", in, e, InstancePages.SUBMIT_FIELDS, "/console/instances/new");
            }
        });
        c.action("/console/budgets/{id}/hold", r -> {
            boolean on = r.form().checkbox("holdNewTasks");
            var b = c.features.beyond().budgets().update(r.caller, r.path("id"), new BudgetManager.UpdateRequest(null, null, null, on));
            r.done("Budget " + b.name() + (on ? " holds new tasks once spent." : " holds no task."), "/console/budgets#budget-" + b.id());
        });
        c.action("/console/budgets/{id}/delete", r -> {
            c.features.beyond().budgets().delete(r.caller, r.path("id"));
            r.done("Budget " + r.path("id") + " deleted.", "/console/budgets");
        });
        // the price before "Buy now": the purchase quoted (nothing bought), the form shown again as typed
        c.action("/console/groups/quote", r -> {
            FormInput in = r.form();
            try {
                var q = c.features.groups().quoteCreate(r.caller, GroupPages.createRequest(in));
                r.again("create", in, Flash.ok("Price: " + q.amountShown() + " (" + q.type() + ", "
                        + (q.specCu() == null ? "pay-as-you-go: billed per CU-hour used" : q.specCu().toCu().toPlainString() + " CU until "
                        + q.periodEnd()) + "). Nothing is bought until you press Buy now."), "/console/groups/new#create");
            } catch (SrgException e) {
                r.refused("create", in, e, GroupPages.CREATE_FIELDS, "/console/groups/new");
            }
        });
        c.page("/console/groups/{id}/schedule", r -> {
            String id = r.path("id");
            var group = c.features.groups().get(r.caller, id);
            r.render("beyond/schedule.jte", model("page", r.page("Quota schedule of " + group.name(), "groups")
                            .crumb("Resource groups", "/console/groups").crumb(group.name(), "/console/groups/" + id),
                    "groupId", id, "schedule", c.features.beyond().schedules().get(r.caller, id),
                    "timeline", c.features.beyond().schedules().timeline(r.caller, id, null, null)));
        });
    }

    /** What a budget may cover: "ws:ID" and "rg:ID", with names. */
    private static Map<String, String> scopes(Console c, ConsoleRequest r) {
        Map<String, String> scopes = new LinkedHashMap<>();
        for (WorkspaceInfo w : c.features.workspaces().list(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items()) {
            scopes.put("ws:" + w.id(), "Workspace " + w.name() + " (" + w.id() + ")");
        }
        r.names().groups().forEach((id, name) -> scopes.put("rg:" + id, "Resource group " + name + " (" + id + ")"));
        return scopes;
    }
}
