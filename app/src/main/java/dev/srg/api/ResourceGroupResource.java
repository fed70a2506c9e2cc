package dev.srg.api;

import static dev.srg.api.ApiRoutes.array;
import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.group.ConcurrencySettings;
import dev.srg.group.GroupNetwork;
import dev.srg.group.GroupStatus;
import dev.srg.group.QuotaSettings;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.group.ResourceGroupManager;
import dev.srg.group.ResourceGroupManager.BindRequest;
import dev.srg.group.ResourceGroupManager.CreateRequest;
import dev.srg.group.ResourceGroupManager.UpdateRequest;
import dev.srg.group.WorkspaceWeights;

/** Resource groups and their network bindings. */
final class ResourceGroupResource {
    private ResourceGroupResource() {}

    /** {@code lifecycle}: DELETE is the lifecycle's unsubscribe (RG-8). */
    static void register(ApiRoutes api, ResourceGroupManager groups, ResourceGroupLifecycle lifecycle) {
        api.postWithDryRun("/resource-groups", "resource-groups", "Buy a resource group (asynchronous: CREATING, then RUNNING);"
                        + " dryRun=true quotes it: its order and price, writing nothing",
                one(CreateRequest.class), 201, one(ResourceGroupInfo.class), one(dev.srg.group.PurchaseQuote.class), ctx -> {
                    if (LifecycleResource.quoted(ctx)) {
                        ctx.json(groups.quoteCreate(caller(ctx), body(ctx, CreateRequest.class)));
                        return;
                    }
                    ResourceGroupInfo g = groups.create(caller(ctx), body(ctx, CreateRequest.class));
                    ApiServer.created(ctx, g.id(), g);
                });
        api.get("/resource-groups", "resource-groups", "List resource groups", page(ResourceGroupInfo.class),
                ctx -> ctx.json(groups.list(caller(ctx), ctx.queryParam("regionId"),
                        Requests.enumParam(ctx, "status", GroupStatus.class), Requests.page(ctx))),
                "regionId", "status");
        api.get("/resource-groups/{id}", "resource-groups", "Read a resource group", one(ResourceGroupInfo.class),
                ctx -> ctx.json(groups.get(caller(ctx), ctx.pathParam("id"))));
        api.patch("/resource-groups/{id}", "resource-groups", "Rename a group, change its remark, auto-renewal, queue policy (ARRIVAL or FAIR_SHARE)"
                + " or its shares' half-life (shareHalfLifeSeconds, 60..2592000)", one(UpdateRequest.class),
                one(ResourceGroupInfo.class),
                ctx -> ctx.json(groups.update(caller(ctx), ctx.pathParam("id"), body(ctx, UpdateRequest.class))));
        api.delete("/resource-groups/{id}", "resource-groups", "Unsubscribe / release a group", ctx -> {
            lifecycle.release(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.get("/resource-groups/{id}/quotas", "resource-groups", "Read the CU quotas per usage type", one(QuotaSettings.class),
                ctx -> ctx.json(groups.quotas(caller(ctx), ctx.pathParam("id"))));
        api.put("/resource-groups/{id}/quotas", "resource-groups", "Replace the CU quotas per usage type (re-runs admission)",
                one(QuotaSettings.class), one(QuotaSettings.class),
                ctx -> ctx.json(groups.setQuotas(caller(ctx), ctx.pathParam("id"), body(ctx, QuotaSettings.class))));
        api.get("/resource-groups/{id}/concurrency", "resource-groups", "Read the scheduling concurrency threshold",
                one(ConcurrencySettings.class), ctx -> ctx.json(groups.concurrency(caller(ctx), ctx.pathParam("id"))));
        api.put("/resource-groups/{id}/concurrency", "resource-groups", "Set the scheduling concurrency threshold, 1..200 (re-runs admission)",
                one(ConcurrencySettings.class), one(ConcurrencySettings.class),
                ctx -> ctx.json(groups.setConcurrency(caller(ctx), ctx.pathParam("id"), body(ctx, ConcurrencySettings.class))));
        api.get("/resource-groups/{id}/workspace-weights", "resource-groups",
                "Read each workspace's FAIR_SHARE weight in the group (default 1) and the shares' half-life",
                one(WorkspaceWeights.class), ctx -> ctx.json(groups.workspaceWeights(caller(ctx), ctx.pathParam("id"))));
        api.put("/resource-groups/{id}/workspace-weights/{workspaceId}", "resource-groups",
                "Set a workspace's FAIR_SHARE weight in the group, 0..100 (re-orders the queue)",
                one(WorkspaceWeights.SetRequest.class), one(WorkspaceWeights.class),
                ctx -> ctx.json(groups.setWorkspaceWeight(caller(ctx), ctx.pathParam("id"), ctx.pathParam("workspaceId"),
                        body(ctx, WorkspaceWeights.SetRequest.class))));
        api.delete("/resource-groups/{id}/workspace-weights/{workspaceId}", "resource-groups",
                "Give a workspace the default FAIR_SHARE weight (1) again", ctx -> {
                    groups.resetWorkspaceWeight(caller(ctx), ctx.pathParam("id"), ctx.pathParam("workspaceId"));
                    ctx.status(204);
                });
        api.get("/resource-groups/{id}/networks", "resource-groups", "List the VPCs bound to a group", page(GroupNetwork.class),
                ctx -> ctx.json(ApiRoutes.whole(ctx, () -> groups.networks(caller(ctx), ctx.pathParam("id")))));
        api.post("/resource-groups/{id}/networks", "resource-groups", "Bind another VPC", one(BindRequest.class), 201,
                one(GroupNetwork.class), ctx -> {
                    GroupNetwork n = groups.bind(caller(ctx), ctx.pathParam("id"), body(ctx, BindRequest.class));
                    ApiServer.created(ctx, n.id(), n);
                });
        api.delete("/resource-groups/{id}/networks/{networkId}", "resource-groups",
                "Remove a VPC binding (force=true when running tasks may use it)", ctx -> {
                    groups.unbind(caller(ctx), ctx.pathParam("id"), ctx.pathParam("networkId"), Requests.booleanParam(ctx, "force"));
                    ctx.status(204);
                }, "force");
    }
}
