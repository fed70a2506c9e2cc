package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.Requests.caller;

import dev.srg.billing.ChargebackReport;
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
        // SPEC BEY-4
        api.get("/workspaces/{id}/advice", "workspaces", "Right-sizing: for each recurring task of a workspace (same name, at least 3 runs),"
                        + " the CU its runs' peak memory and CPU need, and the monthly saving at current prices",
                ApiRoutes.array(InstanceManager.TaskAdvice.class), ctx -> ctx.json(features.instances().advise(caller(ctx),
                        ctx.pathParam("id"), ctx.queryParam("name"))),
                "name");
    }
}
