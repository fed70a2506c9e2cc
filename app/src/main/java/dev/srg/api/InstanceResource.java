package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.access.Principal;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.sync.SyncMonitor;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager;
import dev.srg.task.InstanceManager.GroupUsage;
import dev.srg.task.InstanceManager.LogChunk;
import dev.srg.task.InstanceStatus;
import dev.srg.task.SubmitRequest;
import dev.srg.trace.SubmitTrace;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;

/** Task instances, their logs, and a group's usage now. */
final class InstanceResource {
    private static final int CHUNK = 64 * 1024;

    private InstanceResource() {}

    static void register(ApiRoutes api, InstanceManager instances, SyncMonitor syncs) {
        api.postWithDryRun("/instances", "instances", "Submit a task instance (type: a registered kind; its payload: script for SHELL"
                        + " and PYTHON); dryRun=true answers whether it would start now, else its position, reason, estimated start"
                        + " and cost, without submitting (docs/rules.md#BEY-1)",
                one(SubmitRequest.class), 201, one(InstanceInfo.class), one(InstanceManager.DryRunResult.class), ctx -> {
            if (Requests.booleanParam(ctx, "dryRun")) {
                ApiServer.dryRun(ctx);
                ctx.json(instances.dryRun(caller(ctx), body(ctx, SubmitRequest.class)));
                return;
            }
            InstanceManager.Submitted s = instances.submit(caller(ctx), body(ctx, SubmitRequest.class),
                    id -> ApiServer.createdEntry(ctx, api, id));
            if (s.audited()) {
                ApiServer.createdAudited(ctx, s.instance().id(), s.instance());
            } else {
                ApiServer.created(ctx, s.instance().id(), s.instance());
            }
            SubmitTrace.mark(SubmitTrace.Phase.HANDLED);
        });
        api.get("/instances", "instances", "List instances (queued ones with their position and why they wait)",
                page(InstanceInfo.class), ctx -> ctx.json(instances.list(caller(ctx), ctx.queryParam("resourceGroupId"),
                        Requests.enumParam(ctx, "status", InstanceStatus.class),
                        Requests.enumParam(ctx, "usageType", UsageType.class), Requests.page(ctx))),
                "resourceGroupId", "status", "usageType");
        api.get("/instances/{id}", "instances", "Read an instance (a sync with its progress)", one(InstanceInfo.class),
                ctx -> ctx.json(syncs.withProgress(caller(ctx), instances.get(caller(ctx), ctx.pathParam("id")))));
        api.post("/instances/{id}/cancel", "instances", "Cancel an instance (kills its whole process tree; stops a service for good)", ApiRoutes.NONE, 200,
                one(InstanceInfo.class), ctx -> ctx.json(instances.cancel(caller(ctx), ctx.pathParam("id"))));
        api.get("/instances/{id}/log", "instances",
                "Read the log (text/plain) from offset; follow=true streams it until the instance ends. X-Next-Offset tells where to go on",
                ApiRoutes.TEXT, ctx -> log(ctx, instances), "offset", "follow");
        api.get("/resource-groups/{id}/usage", "resource-groups", "Used CUs now, running and queued per usage type",
                one(GroupUsage.class), ctx -> ctx.json(instances.usage(caller(ctx), ctx.pathParam("id"))));
    }

    private static void log(Context ctx, InstanceManager instances) throws IOException {
        Principal caller = caller(ctx);
        String id = ctx.pathParam("id");
        long offset = offset(ctx);
        boolean follow = Requests.booleanParam(ctx, "follow");
        LogChunk first = instances.log(caller, id, offset, follow ? CHUNK : 16 * 1024 * 1024);
        ctx.contentType("text/plain; charset=utf-8");
        if (!follow) {
            ctx.header("X-Next-Offset", Long.toString(first.nextOffset()));
            ctx.header("X-Instance-Finished", Boolean.toString(first.finished()));
            ctx.result(first.bytes());
            return;
        }
        // stream: chunks as they are written, until the instance ended and everything was sent
        ctx.res().setStatus(200);
        OutputStream out = ctx.res().getOutputStream();
        LogChunk chunk = first;
        long idleSince = System.nanoTime();
        while (true) {
            if (chunk.bytes().length > 0) {
                out.write(chunk.bytes());
                out.flush();
                idleSince = System.nanoTime();
            } else if (chunk.finished()) {
                break;
            } else {
                if (System.nanoTime() - idleSince > 30_000_000_000L) {
                    out.flush(); // keep the connection checked; an idle task may print nothing for long
                    idleSince = System.nanoTime();
                }
                sleep(100);
            }
            chunk = instances.log(caller, id, chunk.nextOffset(), CHUNK);
        }
    }

    private static long offset(Context ctx) {
        String value = ctx.queryParam("offset");
        if (value == null || value.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw SrgException.invalid("offset", "InvalidParameter.Offset", "offset must be a number of bytes, 0 or more");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
