package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.billing.BudgetManager;
import dev.srg.billing.ChargebackReport;
import dev.srg.group.QuotaSchedule;
import dev.srg.task.InstanceManager;

/** Chargeback, budgets, quota schedules and right-sizing advice (SPEC BEY-2..BEY-5). */
final class BeyondResource {
    private BeyondResource() {}

    static void register(ApiRoutes api, BeyondApi features) {
        // SPEC BEY-5
        api.get("/chargeback", "billing", "CU-hours and cost per workspace and group for a calendar month (OrderAccess);"
                        + " the rows add up exactly to the month's orders and bill lines",
                one(ChargebackReport.Info.class), ctx -> ctx.json(features.chargeback().report(caller(ctx), ctx.queryParam("month"))),
                "month");
        api.get("/chargeback.csv", "billing", "The chargeback of a month as CSV (OrderAccess)", ApiRoutes.CSV,
                ctx -> ctx.contentType("text/csv; charset=utf-8")
                        .result(ChargebackReport.csv(features.chargeback().report(caller(ctx), ctx.queryParam("month")))),
                "month");
        // SPEC BEY-2
        api.get("/resource-groups/{id}/quota-schedule", "resource-groups", "The group's quota profiles on cron schedules and what applies now",
                one(QuotaSchedule.class), ctx -> ctx.json(features.schedules().get(caller(ctx), ctx.pathParam("id"))));
        api.put("/resource-groups/{id}/quota-schedule", "resource-groups", "Replace the group's quota profiles on cron schedules"
                        + " (ResourceGroupFullAccess; an empty list removes them; re-runs admission)",
                one(QuotaSchedule.class), one(QuotaSchedule.class),
                ctx -> ctx.json(features.schedules().put(caller(ctx), ctx.pathParam("id"), body(ctx, QuotaSchedule.class))));
        api.get("/resource-groups/{id}/quota-schedule/timeline", "resource-groups",
                "What applies when: the group's own quotas and threshold or a scheduled profile, from `from` (now) to `to` (7 days later, at most 31)",
                one(QuotaSchedule.Timeline.class), ctx -> ctx.json(features.schedules().timeline(caller(ctx), ctx.pathParam("id"),
                        Requests.instantParam(ctx, "from"), Requests.instantParam(ctx, "to"))),
                "from", "to");
        // SPEC BEY-3
        api.post("/budgets", "billing", "Create a monthly budget of a workspace or a resource group in CU-hours or money (OrderAccess):"
                        + " its alert rules' webhooks are notified at each threshold once a month",
                one(BudgetManager.CreateRequest.class), 201, one(BudgetManager.Summary.class), ctx -> {
                    BudgetManager.Summary b = features.budgets().create(caller(ctx), body(ctx, BudgetManager.CreateRequest.class));
                    ApiServer.created(ctx, b.id(), b);
                });
        api.get("/budgets", "billing", "List budgets with what this month spent (OrderAccess)", page(BudgetManager.Summary.class),
                ctx -> ctx.json(ApiRoutes.whole(ctx, () -> features.budgets().list(caller(ctx)))));
        api.get("/budgets/{id}", "billing", "Read a budget and what this month spent (OrderAccess)", one(BudgetManager.Summary.class),
                ctx -> ctx.json(features.budgets().get(caller(ctx), ctx.pathParam("id"))));
        api.patch("/budgets/{id}", "billing", "Change a budget: raise the amount, other thresholds or channels (OrderAccess)",
                one(BudgetManager.UpdateRequest.class), one(BudgetManager.Summary.class),
                ctx -> ctx.json(features.budgets().update(caller(ctx), ctx.pathParam("id"), body(ctx, BudgetManager.UpdateRequest.class))));
        api.delete("/budgets/{id}", "billing", "Delete a budget (OrderAccess)", ctx -> {
            features.budgets().delete(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.get("/budgets/{id}/events", "billing", "The thresholds a budget crossed, each once a month, with their notices",
                ApiRoutes.page(BudgetManager.Event.class),
                ctx -> ctx.json(ApiRoutes.whole(ctx, () -> features.budgets().events(caller(ctx), ctx.pathParam("id")))));
        // SPEC BEY-4
        api.get("/workspaces/{id}/advice", "workspaces", "Right-sizing: for each recurring task of a workspace (same name, at least 3 runs),"
                        + " the CU its runs' peak memory and CPU need, and the monthly saving at current prices",
                ApiRoutes.page(InstanceManager.TaskAdvice.class), ctx -> ctx.json(ApiRoutes.whole(ctx, () -> features.instances().advise(caller(ctx),
                        ctx.pathParam("id"), ctx.queryParam("name")))),
                "name");
    }
}
