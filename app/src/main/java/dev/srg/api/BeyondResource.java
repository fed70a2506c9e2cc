package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.Requests.caller;

import dev.srg.billing.ChargebackReport;

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
    }
}
