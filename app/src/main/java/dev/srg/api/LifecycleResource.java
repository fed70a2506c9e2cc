package dev.srg.api;

import static dev.srg.api.ApiRoutes.NONE;
import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.billing.BillLineInfo;
import dev.srg.billing.BillSummary;
import dev.srg.billing.OrderInfo;
import dev.srg.error.SrgException;
import dev.srg.group.PurchaseType;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.PurchaseQuote;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.group.ResourceGroupLifecycle.ActionResult;
import dev.srg.group.ResourceGroupLifecycle.ConvertRequest;
import dev.srg.group.ResourceGroupLifecycle.RenewRequest;
import dev.srg.group.ResourceGroupLifecycle.ScaleRequest;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;

/** Group lifecycle actions (SPEC RG-3..RG-8), orders and bills (RG-9), and the simulated clock. */
final class LifecycleResource {
    /** At most ten years per move. */
    static final long MAX_ADVANCE_SECONDS = 10L * 366 * 24 * 3600;

    private LifecycleResource() {}

    public record AdvanceRequest(Long seconds) {}

    public record ClockInfo(Instant now, boolean simulated, long offsetSeconds) {}

    /** SPEC BEY-6. */
    public record ResumeOnDemandRequest(Boolean enabled) {}

    /** A {@code ?dryRun=true} request: answered with a quote, not audited (nothing changes). */
    static boolean quoted(io.javalin.http.Context ctx) {
        if (Requests.booleanParam(ctx, "dryRun")) {
            ApiServer.dryRun(ctx);
            return true;
        }
        return false;
    }

    static void register(ApiRoutes api, LifecycleApi features) {
        ResourceGroupLifecycle lifecycle = features.lifecycle();
        // each purchase can be quoted first: ?dryRun=true answers its order and price, writing nothing
        api.postWithDryRun("/resource-groups/{id}/scale", "resource-groups",
                "Scale a subscription group out or in (SCALING, then RUNNING; places an order); dryRun=true quotes it",
                one(ScaleRequest.class), 200, one(GroupActionResult.class), one(PurchaseQuote.class), ctx -> {
                    if (quoted(ctx)) {
                        ctx.json(lifecycle.quoteScale(caller(ctx), ctx.pathParam("id"), body(ctx, ScaleRequest.class)));
                        return;
                    }
                    ctx.json(result(features, caller(ctx), lifecycle.scale(caller(ctx), ctx.pathParam("id"),
                            body(ctx, ScaleRequest.class))));
                });
        api.postWithDryRun("/resource-groups/{id}/convert", "resource-groups",
                "Convert a pay-as-you-go group to subscription (CONVERTING, then RUNNING; places an order); dryRun=true quotes it",
                one(ConvertRequest.class), 200, one(GroupActionResult.class), one(PurchaseQuote.class), ctx -> {
                    if (quoted(ctx)) {
                        ctx.json(lifecycle.quoteConvert(caller(ctx), ctx.pathParam("id"), body(ctx, ConvertRequest.class)));
                        return;
                    }
                    ctx.json(result(features, caller(ctx), lifecycle.convert(caller(ctx), ctx.pathParam("id"),
                            body(ctx, ConvertRequest.class))));
                });
        api.postWithDryRun("/resource-groups/{id}/renew", "resource-groups",
                "Renew a subscription group (an EXPIRED one runs again; places an order); dryRun=true quotes it",
                one(RenewRequest.class), 200, one(GroupActionResult.class), one(PurchaseQuote.class), ctx -> {
                    if (quoted(ctx)) {
                        ctx.json(lifecycle.quoteRenew(caller(ctx), ctx.pathParam("id"), body(ctx, RenewRequest.class)));
                        return;
                    }
                    ctx.json(result(features, caller(ctx), lifecycle.renew(caller(ctx), ctx.pathParam("id"),
                            body(ctx, RenewRequest.class))));
                });
        api.post("/resource-groups/{id}/enable", "resource-groups", "Enable a FROZEN pay-as-you-go group",
                NONE, 200, one(ResourceGroupInfo.class),
                ctx -> ctx.json(lifecycle.enable(caller(ctx), ctx.pathParam("id"))));

        // SPEC BEY-6
        api.get("/resource-groups/{id}/resume-on-demand", "resource-groups",
                "Whether a FROZEN pay-as-you-go group resumes by itself when a task is submitted",
                one(ResourceGroupLifecycle.ResumeOnDemandSetting.class),
                ctx -> ctx.json(lifecycle.resumeOnDemand(caller(ctx), ctx.pathParam("id"))));
        api.put("/resource-groups/{id}/resume-on-demand", "resource-groups",
                "Opt a pay-as-you-go group in (or out) of resuming by itself from FROZEN when a task is submitted",
                one(ResumeOnDemandRequest.class), one(ResourceGroupLifecycle.ResumeOnDemandSetting.class),
                ctx -> ctx.json(lifecycle.setResumeOnDemand(caller(ctx), ctx.pathParam("id"),
                        body(ctx, ResumeOnDemandRequest.class).enabled())));

        api.get("/orders", "billing", "List orders (OrderAccess)", page(OrderInfo.class),
                ctx -> ctx.json(features.orders().list(caller(ctx), ctx.queryParam("resourceGroupId"),
                        Requests.enumParam(ctx, "type", PurchaseType.class), Requests.instantParam(ctx, "from"),
                        Requests.instantParam(ctx, "to"), Requests.page(ctx))),
                "resourceGroupId", "type", "from", "to");
        api.get("/orders/{id}", "billing", "Read an order (OrderAccess)", one(OrderInfo.class),
                ctx -> ctx.json(features.orders().get(caller(ctx), ctx.pathParam("id"))));
        api.get("/bills", "billing", "List hourly pay-as-you-go bill lines (OrderAccess); from/to select by hour",
                page(BillLineInfo.class),
                ctx -> ctx.json(features.meter().lines(caller(ctx), Requests.instantParam(ctx, "from"),
                        Requests.instantParam(ctx, "to"), ctx.queryParam("resourceGroupId"), Requests.page(ctx))),
                "from", "to", "resourceGroupId");
        api.get("/bills/summary", "billing", "Total CU-seconds and amount of the bill lines in a range (OrderAccess)",
                one(BillSummary.class),
                ctx -> ctx.json(features.meter().summary(caller(ctx), Requests.instantParam(ctx, "from"),
                        Requests.instantParam(ctx, "to"), ctx.queryParam("resourceGroupId"))),
                "from", "to", "resourceGroupId");

        if (features.clock() != null) {
            // only with srg server --simulated-clock: otherwise these paths do not exist (404)
            api.get("/clock", "clock", "The simulated clock's time (administrators)", one(ClockInfo.class), ctx -> {
                caller(ctx).requireAll("read the simulated clock", Policy.AdministratorAccess);
                ctx.json(clockInfo(features));
            });
            api.post("/clock/advance", "clock",
                    "Move the simulated clock forward and run every background job (administrators)",
                    one(AdvanceRequest.class), 200, one(ClockInfo.class), ctx -> advance(ctx, features));
        }
    }

    private static void advance(Context ctx, LifecycleApi features) {
        caller(ctx).requireAll("move the simulated clock", Policy.AdministratorAccess);
        AdvanceRequest r = body(ctx, AdvanceRequest.class);
        if (r.seconds() == null) {
            throw SrgException.invalid("seconds", "MissingParameter", "seconds is required (0 runs the background jobs only)");
        }
        if (r.seconds() < 0 || r.seconds() > MAX_ADVANCE_SECONDS) {
            throw SrgException.invalid("seconds", "InvalidParameter.Clock.Seconds",
                    "seconds must be 0 to " + MAX_ADVANCE_SECONDS + " (the clock only moves forward), got " + r.seconds());
        }
        features.clock().advance(Duration.ofSeconds(r.seconds()));
        ctx.json(clockInfo(features));
    }

    private static ClockInfo clockInfo(LifecycleApi features) {
        return new ClockInfo(features.clock().now(), true, features.clock().offset().toSeconds());
    }

    private static GroupActionResult result(LifecycleApi features, Principal caller, ActionResult r) {
        OrderInfo order = r.orderId() == null ? null : features.orders().get(caller, r.orderId());
        return new GroupActionResult(r.resourceGroup(), order, r.warnings());
    }
}
