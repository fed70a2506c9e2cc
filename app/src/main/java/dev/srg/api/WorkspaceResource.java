package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.workspace.WorkspaceInfo;
import dev.srg.workspace.WorkspaceManager;
import dev.srg.workspace.WorkspaceManager.AssociateRequest;
import dev.srg.workspace.WorkspaceManager.CreateRequest;
import dev.srg.workspace.WorkspaceManager.MemberRequest;
import dev.srg.workspace.WorkspaceManager.UpdateRequest;

/** Workspaces, members and resource-group associations. */
final class WorkspaceResource {
    private WorkspaceResource() {}

    static void register(ApiRoutes api, WorkspaceManager workspaces) {
        api.post("/workspaces", "workspaces", "Create a workspace (the creator becomes its ADMIN)", one(CreateRequest.class), 201,
                one(WorkspaceInfo.class), ctx -> {
                    WorkspaceInfo ws = workspaces.create(caller(ctx), body(ctx, CreateRequest.class));
                    ApiServer.created(ctx, ws.id(), ws);
                });
        api.get("/workspaces", "workspaces", "List the workspaces the caller can see", page(WorkspaceInfo.class),
                ctx -> ctx.json(workspaces.list(caller(ctx), Requests.page(ctx))));
        api.get("/workspaces/{id}", "workspaces", "Read a workspace", one(WorkspaceInfo.class),
                ctx -> ctx.json(workspaces.get(caller(ctx), ctx.pathParam("id"))));
        api.patch("/workspaces/{id}", "workspaces", "Rename or change the default resource group (workspace ADMIN)",
                one(UpdateRequest.class), one(WorkspaceInfo.class),
                ctx -> ctx.json(workspaces.update(caller(ctx), ctx.pathParam("id"), body(ctx, UpdateRequest.class))));
        api.put("/workspaces/{id}/members/{userId}", "workspaces", "Add a member or change their role (workspace ADMIN)",
                one(MemberRequest.class), one(WorkspaceInfo.class),
                ctx -> ctx.json(workspaces.putMember(caller(ctx), ctx.pathParam("id"), ctx.pathParam("userId"),
                        body(ctx, MemberRequest.class))));
        api.delete("/workspaces/{id}/members/{userId}", "workspaces", "Remove a member (workspace ADMIN)", ctx -> {
            workspaces.removeMember(caller(ctx), ctx.pathParam("id"), ctx.pathParam("userId"));
            ctx.status(204);
        });
        api.post("/workspaces/{id}/resource-groups", "workspaces", "Associate a resource group (workspace ADMIN)",
                one(AssociateRequest.class), 201, one(WorkspaceInfo.class), ctx -> {
                    WorkspaceInfo ws = workspaces.associate(caller(ctx), ctx.pathParam("id"), body(ctx, AssociateRequest.class));
                    ApiServer.created(ctx, ws.id(), ws);
                });
        api.delete("/workspaces/{id}/resource-groups/{rgId}", "workspaces", "Dissociate a resource group (workspace ADMIN)", ctx -> {
            workspaces.dissociate(caller(ctx), ctx.pathParam("id"), ctx.pathParam("rgId"));
            ctx.status(204);
        });
    }
}
