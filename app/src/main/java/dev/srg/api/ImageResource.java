package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.image.ImageInfo;
import dev.srg.image.ImageManager;
import dev.srg.task.InstanceManager.LogChunk;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;

/** Custom images (SPEC RT-1): recipes built once as IMAGE_BUILD tasks, then named by tasks ({@code imageId}). */
final class ImageResource {
    private static final int CHUNK = 64 * 1024;

    private ImageResource() {}

    static void register(ApiRoutes api, ImageManager images) {
        api.post("/images", "images", "Build an image from a recipe (base, packages, buildScript) as an IMAGE_BUILD task on"
                        + " resourceGroupId; an identical recipe answers the image it already is (content-addressed)",
                one(ImageManager.CreateRequest.class), 201, one(ImageInfo.class), ctx -> {
                    ImageInfo image = images.create(caller(ctx), body(ctx, ImageManager.CreateRequest.class));
                    ApiServer.created(ctx, image.id(), image);
                });
        api.get("/images", "images", "List the installation's images", page(ImageInfo.class),
                ctx -> ctx.json(images.list(caller(ctx), Requests.page(ctx))));
        api.get("/images/{id}", "images", "Read an image: status BUILDING, AVAILABLE or FAILED, and the end of its build log",
                one(ImageInfo.class), ctx -> ctx.json(images.get(caller(ctx), ctx.pathParam("id"))));
        api.get("/images/{id}/log", "images", "Read the build log (text/plain) from offset; follow=true streams it until the"
                + " build ends. X-Next-Offset tells where to go on", ApiRoutes.TEXT, ctx -> log(ctx, images), "offset", "follow");
        api.delete("/images/{id}", "images", "Delete an image (its creator or an administrator); refused while it is built or used",
                ctx -> {
                    images.delete(caller(ctx), ctx.pathParam("id"));
                    ctx.status(204);
                });
    }

    private static void log(Context ctx, ImageManager images) throws IOException {
        Principal caller = caller(ctx);
        String id = ctx.pathParam("id");
        long offset = offset(ctx);
        boolean follow = Requests.booleanParam(ctx, "follow");
        LogChunk chunk = images.log(caller, id, offset, follow ? CHUNK : 16 * 1024 * 1024);
        ctx.contentType("text/plain; charset=utf-8");
        if (!follow) {
            ctx.header("X-Next-Offset", Long.toString(chunk.nextOffset()));
            ctx.header("X-Instance-Finished", Boolean.toString(chunk.finished()));
            ctx.result(chunk.bytes());
            return;
        }
        ctx.res().setStatus(200);
        OutputStream out = ctx.res().getOutputStream();
        while (true) {
            if (chunk.bytes().length > 0) {
                out.write(chunk.bytes());
                out.flush();
            } else if (chunk.finished()) {
                break;
            } else {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            chunk = images.log(caller, id, chunk.nextOffset(), CHUNK);
        }
    }

    private static long offset(Context ctx) {
        String value = ctx.queryParam("offset");
        if (value == null || value.isEmpty()) {
            return 0;
        }
        try {
            long offset = Long.parseLong(value);
            if (offset < 0) {
                throw new NumberFormatException();
            }
            return offset;
        } catch (NumberFormatException e) {
            throw SrgException.invalid("offset", "InvalidParameter.Offset", "offset must be a number of bytes, 0 or more");
        }
    }
}
