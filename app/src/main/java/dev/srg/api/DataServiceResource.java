package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.dataservice.DataServiceManager;
import dev.srg.dataservice.DataServiceManager.ApiGroupInfo;
import dev.srg.dataservice.DataServiceManager.ApiInfo;
import dev.srg.dataservice.DataServiceManager.ApiVersionInfo;
import dev.srg.dataservice.DataServiceManager.AppInfo;
import dev.srg.dataservice.DataServiceManager.CallInfo;
import dev.srg.dataservice.DataServiceManager.CreateApiRequest;
import dev.srg.dataservice.DataServiceManager.CreateAppRequest;
import dev.srg.dataservice.DataServiceManager.CreateGroupRequest;
import dev.srg.dataservice.DataServiceManager.CreatedAppInfo;
import dev.srg.dataservice.DataServiceManager.ServiceRequest;
import dev.srg.dataservice.DataServiceManager.TestRequest;
import dev.srg.dataservice.DataServiceManager.TestResult;
import dev.srg.dataservice.DataServiceManager.UpdateApiRequest;
import dev.srg.dataservice.ServiceInstances;
import dev.srg.error.SrgException;
import java.util.Map;

/**
 * DataService Studio's definitions (SPEC DS-1..DS-6) under {@code /api/v1/dataservice}, and the
 * calls of published APIs at {@code /data/{basePath}/{path}} — outside {@code /api/v1}: callers are
 * apps (AppCode or signature), not users with bearer tokens.
 */
final class DataServiceResource {
    private static final String TAG = "dataservice";

    private DataServiceResource() {}

    static void register(ApiRoutes api, DataServiceManager ds) {
        api.post("/dataservice/api-groups", TAG, "Create an API group with its base path (workspace ADMIN or DEVELOPER)",
                one(CreateGroupRequest.class), 201, one(ApiGroupInfo.class), ctx -> {
                    ApiGroupInfo g = ds.createGroup(caller(ctx), body(ctx, CreateGroupRequest.class));
                    ApiServer.created(ctx, g.id(), g);
                });
        api.get("/dataservice/api-groups", TAG, "List a workspace's API groups", page(ApiGroupInfo.class),
                ctx -> ctx.json(ds.listGroups(caller(ctx), ctx.queryParam("workspaceId"), Requests.page(ctx))), "workspaceId");
        api.get("/dataservice/api-groups/{id}", TAG, "Read an API group", one(ApiGroupInfo.class),
                ctx -> ctx.json(ds.getGroup(caller(ctx), ctx.pathParam("id"))));
        api.post("/dataservice/apis", TAG, "Create an API (SCRIPT: one SELECT with ${name} parameters, always bound; WIZARD: one"
                        + " table); workspace ADMIN or DEVELOPER", one(CreateApiRequest.class), 201, one(ApiInfo.class), ctx -> {
                    ApiInfo a = ds.createApi(caller(ctx), body(ctx, CreateApiRequest.class));
                    ApiServer.created(ctx, a.id(), a);
                });
        api.get("/dataservice/apis", TAG, "List APIs of a workspace or an API group", page(ApiInfo.class),
                ctx -> ctx.json(ds.listApis(caller(ctx), ctx.queryParam("apiGroupId"), ctx.queryParam("workspaceId"),
                        Requests.page(ctx))), "workspaceId", "apiGroupId");
        api.get("/dataservice/apis/{id}", TAG, "Read an API (its draft and what is published)", one(ApiInfo.class),
                ctx -> ctx.json(ds.getApi(caller(ctx), ctx.pathParam("id"))));
        api.patch("/dataservice/apis/{id}", TAG, "Change an API's draft; calls keep the published version until it is published"
                        + " again (a new version)", one(UpdateApiRequest.class), one(ApiInfo.class),
                ctx -> ctx.json(ds.updateApi(caller(ctx), ctx.pathParam("id"), body(ctx, UpdateApiRequest.class))));
        api.delete("/dataservice/apis/{id}", TAG, "Delete an API that is not published", ctx -> {
            ds.deleteApi(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.post("/dataservice/apis/{id}/test", TAG, "Test the draft with values on the API's resource group: the rows, the time"
                + " and the SQL with its bound values", one(TestRequest.class), 200, one(TestResult.class),
                ctx -> ctx.json(ds.test(caller(ctx), ctx.pathParam("id"), ctx.bodyAsBytes().length == 0
                        ? new TestRequest(Map.of(), null, null) : body(ctx, TestRequest.class))));
        api.post("/dataservice/apis/{id}/publish", TAG, "Publish the tested draft as an immutable numbered version; the group's"
                + " DATA_SERVICE service serves it", ApiRoutes.NONE, 200, one(ApiInfo.class),
                ctx -> ctx.json(ds.publish(caller(ctx), ctx.pathParam("id"))));
        api.post("/dataservice/apis/{id}/unpublish", TAG, "Stop serving the API (calls get 404)", ApiRoutes.NONE, 200,
                one(ApiInfo.class), ctx -> ctx.json(ds.unpublish(caller(ctx), ctx.pathParam("id"))));
        api.get("/dataservice/apis/{id}/versions", TAG, "The API's published versions (immutable)", page(ApiVersionInfo.class),
                ctx -> ctx.json(ApiRoutes.whole(ctx, () -> ds.versions(caller(ctx), ctx.pathParam("id")))));
        api.get("/dataservice/apis/{id}/calls", TAG, "The API's calls, newest first: app, version, status, latency, rows",
                page(CallInfo.class), ctx -> ctx.json(ds.calls(caller(ctx), ctx.pathParam("id"), Requests.page(ctx))));
        api.get("/dataservice/apis/{id}/calls/series", TAG, "The API's calls per minute (calls, not 200, mean and p99 latency)"
                        + " over the last minutes (1 to 1440, default 60), oldest first", one(DataServiceManager.CallSeries.class),
                ctx -> ctx.json(new DataServiceManager.CallSeries(ds.callSeries(caller(ctx), ctx.pathParam("id"),
                        minutes(ctx.queryParam("minutes"))))), "minutes");
        api.post("/dataservice/apps", TAG, "Create an app: its appCode and appSecret are shown this once", one(CreateAppRequest.class),
                201, one(CreatedAppInfo.class), ctx -> {
                    CreatedAppInfo a = ds.createApp(caller(ctx), body(ctx, CreateAppRequest.class));
                    ApiServer.created(ctx, a.id(), a);
                });
        api.get("/dataservice/apps", TAG, "List your apps (without secrets)", page(AppInfo.class),
                ctx -> ctx.json(ds.listApps(caller(ctx), Requests.page(ctx))));
        api.get("/dataservice/apps/{id}", TAG, "Read an app and its grants (without secrets)", one(AppInfo.class),
                ctx -> ctx.json(ds.getApp(caller(ctx), ctx.pathParam("id"))));
        api.delete("/dataservice/apps/{id}", TAG, "Delete an app: its calls are refused from now on", ctx -> {
            ds.deleteApp(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.put("/dataservice/apps/{id}/grants/{apiId}", TAG, "Grant the app an API", ApiRoutes.NONE, one(AppInfo.class),
                ctx -> ctx.json(ds.grant(caller(ctx), ctx.pathParam("id"), ctx.pathParam("apiId"))));
        api.delete("/dataservice/apps/{id}/grants/{apiId}", TAG, "Revoke the app's grant of an API", ctx -> {
            ds.revoke(caller(ctx), ctx.pathParam("id"), ctx.pathParam("apiId"));
            ctx.status(204);
        });
        api.get("/dataservice/services/{resourceGroupId}", TAG, "The DATA_SERVICE service of a workspace on a group: its CU and"
                + " instance", one(ServiceInstances.ApiServiceInfo.class),
                ctx -> ctx.json(ds.service(caller(ctx), ctx.pathParam("resourceGroupId"), ctx.queryParam("workspaceId"))),
                "workspaceId");
        api.put("/dataservice/services/{resourceGroupId}", TAG, "Set the CU of a workspace's DATA_SERVICE service on a group"
                + " (workspace ADMIN or OPERATOR); a running one restarts with them", one(ServiceRequest.class),
                one(ServiceInstances.ApiServiceInfo.class),
                ctx -> ctx.json(ds.resizeService(caller(ctx), ctx.pathParam("resourceGroupId"), body(ctx, ServiceRequest.class))));
    }

    private static int minutes(String text) {
        if (text == null || text.isBlank()) {
            return 60;
        }
        if (!text.matches("[0-9]{1,5}")) {
            throw SrgException.invalid("minutes", "InvalidParameter.Minutes", "minutes must be 1 to 1440");
        }
        return Integer.parseInt(text);
    }
}
