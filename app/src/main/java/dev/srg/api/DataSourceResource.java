package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.datasource.DataSourceInfo;
import dev.srg.datasource.DataSourceManager;
import dev.srg.datasource.DataSourceManager.CreateRequest;
import dev.srg.datasource.DataSourceManager.UpdateRequest;
import dev.srg.sync.SyncMonitor;

/** Data sources of workspaces (SPEC DI-1), the password going in, never out; a sync's dirty records (DI-4). */
final class DataSourceResource {
    private DataSourceResource() {}

    static void register(ApiRoutes api, DataSourceManager dataSources, SyncMonitor syncs) {
        api.get("/instances/{id}/dirty-records", "instances", "The dirty records of a sync (the first 1000 kept, with their reasons),"
                        + " a page of them with how many there were in all", one(SyncMonitor.DirtyRecords.class),
                ctx -> ctx.json(syncs.dirtyRecords(caller(ctx), ctx.pathParam("id"), Requests.page(ctx))), "pageSize", "pageToken");
        api.post("/data-sources", "data-sources", "Create a data source (workspace ADMIN or DEVELOPER); the password is stored"
                        + " encrypted and never returned", one(CreateRequest.class), 201, one(DataSourceInfo.class), ctx -> {
                    DataSourceInfo ds = dataSources.create(caller(ctx), body(ctx, CreateRequest.class));
                    ApiServer.created(ctx, ds.id(), ds);
                });
        api.get("/data-sources", "data-sources", "List a workspace's data sources (its members)", page(DataSourceInfo.class),
                ctx -> ctx.json(dataSources.list(caller(ctx), ctx.queryParam("workspaceId"), Requests.page(ctx))),
                "workspaceId");
        api.get("/data-sources/{id}", "data-sources", "Read a data source (without its password)", one(DataSourceInfo.class),
                ctx -> ctx.json(dataSources.get(caller(ctx), ctx.pathParam("id"))));
        api.patch("/data-sources/{id}", "data-sources", "Change a data source (workspace ADMIN or DEVELOPER)",
                one(UpdateRequest.class), one(DataSourceInfo.class),
                ctx -> ctx.json(dataSources.update(caller(ctx), ctx.pathParam("id"), body(ctx, UpdateRequest.class))));
        api.delete("/data-sources/{id}", "data-sources", "Delete a data source (workspace ADMIN or DEVELOPER)", ctx -> {
            dataSources.delete(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
    }
}
