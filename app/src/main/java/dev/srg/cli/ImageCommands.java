package dev.srg.cli;

import static dev.srg.cli.Column.field;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

/** {@code srg image build|list|get|log|delete}: custom images (SPEC RT-1; docs/images.md). */
@Command(name = "image", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Custom images: a Debian base plus packages and a build script, built once, named by tasks (--image).")
final class ImageCommands extends ClientCommand {
    static final View IMAGE = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("STATUS", "status"), field("BASE", "base"),
                    Column.bytes("SIZE", i -> i.path("sizeBytes"))),
            List.of(Column.joined("PACKAGES", "packages"), field("GROUP", "resourceGroupId"), field("BUILD-INSTANCE", "buildInstanceId"),
                    field("FAILURE", "failureReason"), Column.time("CREATED", "createdAt"), Column.time("FINISHED", "finishedAt")));

    @Command(name = "build", description = "Build an image as a task on a resource group; --follow streams the build log"
            + " and exits 0 when the image is AVAILABLE, 1 when it FAILED.")
    void build(@Option(names = "--name", required = true, paramLabel = "NAME") String name,
               @Option(names = "--base", required = true, paramLabel = "BASE",
                       description = "debian-<release>-slim (the server's Debian release, e.g. debian-bookworm-slim) or an image id to layer on")
               String base,
               @Option(names = {"-p", "--package"}, paramLabel = "PKG", split = ",", description = "a Debian package to add (repeat, or a,b,c)")
               List<String> packages,
               @Option(names = "--script", paramLabel = "FILE", description = "the build script (bash -e, run as root inside the image's own user namespace)")
               Path script,
               @Option(names = {"-g", "--resource-group", "--rg"}, required = true, paramLabel = "RG") String group,
               @Option(names = {"-w", "--workspace"}, paramLabel = "WS") String workspace,
               @Option(names = "--cu", paramLabel = "CU", description = "the build's CU (default 1)") java.math.BigDecimal cu,
               @Option(names = {"-f", "--follow"}, description = "stream the build log until it ends") boolean follow) {
        String text;
        try {
            text = script == null ? null : Files.readString(script, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException(1, "cannot read the build script " + script + ": " + ClientCommand.ioReason(e));
        }
        JsonNode image = api().post(API + "/images", body("name", name, "base", base, "packages", packages, "buildScript", text,
                "resourceGroupId", group, "workspaceId", workspace, "cu", cu));
        if (!follow) {
            out().one(image, IMAGE);
            return;
        }
        PrintWriter err = spec.commandLine().getErr();
        String id = image.get("id").asString();
        err.println("image " + id + " " + image.get("status").asString());
        err.flush();
        if ("BUILDING".equals(image.get("status").asString())) {
            stream(id, true, 0, spec.commandLine().getOut());
        }
        JsonNode done = api().get(path("/images/%s", id));
        for (int i = 0; i < 50 && "BUILDING".equals(done.get("status").asString()); i++) {
            sleep();
            done = api().get(path("/images/%s", id));
        }
        err.println("image " + id + " " + done.get("status").asString()
                + (done.hasNonNull("failureReason") ? ": " + done.get("failureReason").asString() : ""));
        err.flush();
        if (!"AVAILABLE".equals(done.get("status").asString())) {
            throw new CliException(1, "the image is " + done.get("status").asString());
        }
    }

    @Command(name = "list", description = "List the installation's images.")
    void list(@Mixin ListOptions page) {
        printList(API + "/images", Map.of(), page, IMAGE);
    }

    @Command(name = "get", description = "Show an image (status BUILDING, AVAILABLE or FAILED).")
    void get(@Parameters(paramLabel = "IMAGE") String id) {
        out().one(api().get(path("/images/%s", id)), IMAGE);
    }

    @Command(name = "log", description = "Print an image's build log; --follow streams it until the build ends.")
    void log(@Parameters(paramLabel = "IMAGE") String id,
             @Option(names = {"-f", "--follow"}, description = "stream until the build ends") boolean follow) {
        stream(id, follow, 0, spec.commandLine().getOut());
    }

    @Command(name = "delete", description = "Delete an image (its creator or an administrator); refused while a task uses it.")
    void delete(@Parameters(paramLabel = "IMAGE") String id) {
        api().delete(path("/images/%s", id));
        out().done("Deleted image " + id);
    }

    private void stream(String id, boolean follow, long offset, PrintWriter out) {
        var response = api().stream(path("/images/%s/log", id) + "?offset=" + offset + (follow ? "&follow=true" : ""));
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.print(new String(buffer, 0, n, StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            throw new CliException(4, "the log stream broke: " + e.getMessage());
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(1, "interrupted");
        }
    }
}
