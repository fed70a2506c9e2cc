package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.access.AccessManager;
import dev.srg.access.AccessManager.CreateUserRequest;
import dev.srg.access.AuditEvent;
import dev.srg.access.AuditLog;
import dev.srg.access.Policy;
import dev.srg.access.TokenInfo;
import dev.srg.access.UserInfo;
import java.util.List;

/** Users, policies, tokens and the audit log. */
final class AccessResource {
    private AccessResource() {}

    record PoliciesRequest(List<Policy> policies) {}

    record PasswordRequest(String password) {}

    static void register(ApiRoutes api, AccessManager access, AuditLog audit) {
        api.post("/users", "users", "Create a user (its token is shown once)", one(CreateUserRequest.class), 201, one(UserInfo.class), ctx -> {
            UserInfo user = access.createUser(caller(ctx), body(ctx, CreateUserRequest.class));
            ApiServer.created(ctx, user.id(), user);
        });
        api.get("/users", "users", "List users", page(UserInfo.class),
                ctx -> ctx.json(access.listUsers(caller(ctx), Requests.page(ctx))));
        api.get("/users/{id}", "users", "Read a user", one(UserInfo.class),
                ctx -> ctx.json(access.getUser(caller(ctx), ctx.pathParam("id"))));
        api.put("/users/{id}/policies", "users", "Replace a user's policies", one(PoliciesRequest.class), one(UserInfo.class),
                ctx -> ctx.json(access.setPolicies(caller(ctx), ctx.pathParam("id"), body(ctx, PoliciesRequest.class).policies())));
        api.post("/users/{id}/tokens", "users", "Issue a new token for a user (shown once)", ApiRoutes.NONE, 201, one(UserInfo.class), ctx -> {
            UserInfo user = access.issueToken(caller(ctx), ctx.pathParam("id"));
            ApiServer.created(ctx, user.id(), user);
        });
        api.get("/users/{id}/tokens", "users", "List a user's tokens (never the tokens themselves)", page(TokenInfo.class),
                ctx -> ctx.json(access.listTokens(caller(ctx), ctx.pathParam("id"), Requests.page(ctx))));
        api.delete("/users/{id}/tokens/{tokenId}", "users", "Revoke a user's token: it authenticates nothing from now on", ctx -> {
            access.revokeToken(caller(ctx), ctx.pathParam("id"), ctx.pathParam("tokenId"));
            ctx.status(204);
        });
        api.put("/users/{id}/password", "users", "Set a user's console password", one(PasswordRequest.class), ApiRoutes.NONE, ctx -> {
            access.setPassword(caller(ctx), ctx.pathParam("id"), body(ctx, PasswordRequest.class).password());
            ctx.status(204);
        });
        api.get("/audit-events", "audit", "Query the audit log", page(AuditEvent.class), ctx -> ctx.json(audit.list(caller(ctx),
                Requests.instantParam(ctx, "from"), Requests.instantParam(ctx, "to"), ctx.queryParam("actor"), Requests.page(ctx))),
                "from", "to", "actor");
    }
}
