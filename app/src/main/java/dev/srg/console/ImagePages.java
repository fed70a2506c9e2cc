package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.error.SrgException;
import dev.srg.image.ImageInfo;
import dev.srg.image.ImageManager;
import dev.srg.store.PageRequest;
import dev.srg.task.InstanceManager.LogChunk;
import java.util.Arrays;
import java.util.List;

/** Custom images (SPEC RT-1): the list with a build form, an image with its build log, delete. */
final class ImagePages {
    private static final int LOG_CHUNK = 256 * 1024;

    private ImagePages() {}

    static void register(Console c) {
        c.page("/console/images", r -> list(c, r));
        c.action("/console/images", "Build an image", r -> {
            FormInput in = r.form();
            try {
                String packages = in.text("packages");
                List<String> names = packages == null ? List.of()
                        : Arrays.stream(packages.split("[,\\s]+")).filter(s -> !s.isBlank()).toList();
                ImageInfo image = c.features.images().create(r.caller, new ImageManager.CreateRequest(in.text("name"),
                        in.text("base"), names, in.text("buildScript"), in.text("resourceGroupId"), null, in.cu("cu"), null, null));
                r.auditResource(image.id());
                r.done("Image " + image.name() + " is " + image.status() + ".", "/console/images/" + image.id());
            } catch (SrgException e) {
                r.refused("build", in, e, List.of("name", "base", "packages", "buildScript", "resourceGroupId", "cu"),
                        "/console/images");
            }
        });
        c.page("/console/images/{id}", r -> details(c, r));
        c.page("/console/images/{id}/log", r -> {
            long offset;
            try {
                offset = r.query("offset") == null ? 0 : Long.parseLong(r.query("offset"));
            } catch (NumberFormatException e) {
                throw SrgException.invalid("offset", "InvalidParameter.Offset", "offset must be a number of bytes, 0 or more");
            }
            LogChunk chunk = c.features.images().log(r.caller, r.path("id"), offset, LOG_CHUNK);
            r.ctx.header("X-Next-Offset", Long.toString(chunk.nextOffset()));
            r.ctx.header("X-Instance-Finished", Boolean.toString(chunk.finished()));
            r.ctx.contentType("text/plain; charset=utf-8").result(chunk.bytes());
        });
        c.action("/console/images/{id}/delete", "Delete an image", r -> {
            c.features.images().delete(r.caller, r.path("id"));
            r.done("Image deleted.", "/console/images");
        });
    }

    private static void list(Console c, ConsoleRequest r) {
        List<ImageInfo> images = c.features.images().list(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        var groups = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        r.render("images/list.jte", model("page", r.page("Images", "images"), "images", images, "groups", groups,
                "bases", c.features.images().bases(), "form", r.takeForm().of("build")));
    }

    private static void details(Console c, ConsoleRequest r) {
        ImageInfo image = c.features.images().get(r.caller, r.path("id"));
        r.render("images/detail.jte", model("page", r.page(image.name(), "images").crumb("Images", "/console/images"),
                "image", image, "names", r.names()));
    }
}
