package dev.srg.image;

import static dev.srg.image.ImageTesting.awaitFinished;
import static dev.srg.image.ImageTesting.awaitInstance;
import static dev.srg.image.ImageTesting.recipe;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Custom images for real (SPEC RT-1, RT-3): one image built with mmdebstrap from the Debian archive
 * (a package this host does not have, a build script), tasks run in it with bubblewrap, a task
 * without it that cannot see it, a failing build, deletes refused while used. One build from the
 * archive in the whole class (the base is cached between classes and runs, see ImageTesting).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageApiTest {
    static final String BASE = ImageConfig.defaults().debianBase();
    /** Not on this host (checked): GNU hello, and a Python module. */
    static final List<String> PACKAGES = List.of("python3-tabulate", "hello");
    static final String SCRIPT = """
            echo "building as $(id -u) in $(pwd)"
            mkdir -p /opt/tool
            printf '#!/bin/sh\\necho tool-from-build-script\\n' > /opt/tool/run
            chmod 755 /opt/tool/run
            echo built-by-srg > /etc/srg-built
            """;

    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static String group;
    static String workspace;
    static JsonNode image;
    static long buildMillis;

    @BeforeAll
    static void buildOnce() {
        ImageTesting.assumeBuildable();
        server = TestServer.start(cfg -> cfg.withImages(ImageTesting.config(2, 1)));
        fx = new Fixtures(server);
        admin = server.admin();
        group = fx.awaitRunning(fx.subscriptionGroup(4).get("id").asString()).get("id").asString();
        workspace = fx.workspace(group).get("id").asString();
        long start = System.nanoTime();
        var created = admin.post("images", recipe("tools", BASE, PACKAGES, SCRIPT, group));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().get("status").asString()).isEqualTo("BUILDING");
        image = created.json();
        // SPEC RT-1: at most the region's builds at a time (1 in this class): a second waits its turn
        var second = admin.post("images", recipe("other", BASE, List.of("hello"), null, group));
        assertThat(second.status()).as(second.toString()).isEqualTo(429);
        assertThat(second.code()).isEqualTo("Image.TooManyBuilds");
        image = awaitFinished(admin, image.get("id").asString(), Duration.ofMinutes(8));
        buildMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("image build (base %s cache %s): %d ms%n", BASE, ImageTesting.BASE_CACHE, buildMillis);
        // the builder's own timings (base from the archive or the cache, packages, script)
        image.get("buildLog").asString().lines().filter(l -> l.startsWith("[srg] ")).forEach(System.out::println);
        assertThat(image.get("status").asString()).as(image.toString()).isEqualTo("AVAILABLE");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static String id() {
        return image.get("id").asString();
    }

    static JsonNode run(String type, String script, String imageId) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("workspaceId", workspace, "resourceGroupId", group,
                "type", type, "script", script, "cu", 0.5));
        if (imageId != null) {
            body.put("imageId", imageId);
        }
        var r = admin.post("instances", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return awaitInstance(admin, r.id(), Duration.ofMinutes(2));
    }

    static String log(JsonNode instance) {
        return admin.get("instances/" + instance.get("id").asString() + "/log").text();
    }

    @Test
    @Order(1)
    @DisplayName("SPEC RT-1: a build is an IMAGE_BUILD task on the named group (its CU used and billed); the image is content-addressed and built once")
    void builtAsATaskOnce() throws Exception {
        JsonNode build = admin.get("instances/" + image.get("buildInstanceId").asString()).json();
        assertThat(build.get("type").asString()).isEqualTo("IMAGE_BUILD");
        assertThat(build.get("resourceGroupId").asString()).isEqualTo(group);
        assertThat(build.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(build.get("consumption").get("cuSeconds").asDouble()).isPositive();
        assertThat(image.get("sizeBytes").asLong()).isGreaterThan(10_000_000L);
        assertThat(image.get("buildLog").asString()).contains("installing hello python3-tabulate")
                .contains("building as 0 in /root").contains("ready");
        var log = admin.get("images/" + id() + "/log");
        assertThat(log.status()).isEqualTo(200);
        assertThat(log.text()).contains("build script done");
        // the same recipe, packages in another order: the same image, no second build
        var again = admin.post("images", recipe("tools-again", BASE, List.of("hello", "python3-tabulate", "hello"), SCRIPT, group));
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertThat(again.json().get("id").asString()).isEqualTo(id());
        assertThat(again.json().get("buildInstanceId").asString()).isEqualTo(image.get("buildInstanceId").asString());
        assertThat(admin.get("images").json().get("items").size()).isEqualTo(1);
        // immutable and closed: root-owned, and the images directory only root may enter
        Path images = server.dataDir().resolve("images");
        assertThat(Files.getPosixFilePermissions(images)).isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getOwner(images.resolve(id()).resolve("root/etc/srg-built")).getName()).isEqualTo("root");
        assertThat(ImageTesting.leftovers(images)).isEmpty();
    }

    @Test
    @Order(2)
    @DisplayName("SPEC RT-1 RT-3: a SHELL task that names the image runs in it, read-only, as its own uid, and says the image was applied")
    void shellInImage() {
        JsonNode done = run("SHELL", """
                hello
                cat /etc/srg-built
                /opt/tool/run
                echo "uid=$(id -u) home=$HOME pwd=$(pwd)"
                touch /usr/should-fail 2>/dev/null && echo WROTE-ROOT
                ls /home
                test -e %s && echo SEES-HOST-DATA
                echo ok > written-in-home && cat written-in-home
                grep -E '^tmpfs /(tmp|home) ' /proc/self/mounts | cut -d' ' -f2,4 | tr ',' ' ' | sed 's/^/mount: /'
                """.formatted(server.dataDir()), id());
        String out = log(done);
        assertThat(done.get("status").asString()).as(out).isEqualTo("SUCCEEDED");
        assertThat(out).contains("Hello, world!").contains("built-by-srg").contains("tool-from-build-script")
                .contains("home=/home/task pwd=/home/task").doesNotContain("uid=0 ").doesNotContain("WROTE-ROOT")
                .doesNotContain("SEES-HOST-DATA").contains("ok");
        JsonNode enforcement = done.get("enforcement").get("image");
        assertThat(enforcement.get("enforced").asBoolean()).as(enforcement.toString()).isTrue();
        assertThat(enforcement.get("note").asString()).contains(id()).contains("bubblewrap");
        assertThat(done.get("imageId").asString()).isEqualTo(id());
        // its private /tmp, /proc and IPC are bubblewrap's, said as on the host (README "Isolation between tasks")
        assertThat(done.get("limitsNote").asString()).contains("private /tmp and /dev/shm (bubblewrap's tmpfs;",
                "/proc of its own pid namespace; own IPC namespace");
        // its /tmp and /home hold at most its memory (0.5 CU: 2 GiB): bubblewrap 0.8 has --size (docs/images.md)
        assertThat(out).containsPattern("mount: /tmp .*size=2097152k").containsPattern("mount: /home .*size=2097152k");
        assertThat(done.get("limitsNote").asString()).contains("/tmp and /home each of at most 2147483648 bytes, the task's memory limit");
    }

    @Test
    @Order(2)
    @DisplayName("the CLI takes an image's name where its id goes: srg run --image tools, srg image get tools")
    void imageByNameInTheCli() throws Exception {
        String[] as = {"--url", server.url(), "--token", server.adminToken()};
        var run = dev.srg.testing.ServerProcess.run(concat(new String[] {"run", "-w", workspace, "--rg", group, "--image", "tools",
                "--follow", "cat /etc/srg-built"}, as));
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("built-by-srg");
        var get = dev.srg.testing.ServerProcess.run(concat(new String[] {"image", "get", "tools", "-o", "name"}, as));
        assertThat(get.output()).as(get.output()).isEqualTo(id() + "\n");
    }

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    @Order(3)
    @DisplayName("SPEC RT-1: a PYTHON task in the image uses the image's python3 and its packages")
    void pythonInImage() {
        JsonNode done = run("PYTHON", """
                import sys, tabulate
                print(sys.executable, sys.version_info[:2])
                print(tabulate.tabulate([["a", 1]], tablefmt="plain"))
                """, id());
        String out = log(done);
        assertThat(done.get("status").asString()).as(out).isEqualTo("SUCCEEDED");
        assertThat(out).contains("/usr/bin/python3").containsPattern("a\\s+1");
    }

    @Test
    @Order(4)
    @DisplayName("SPEC RT-1: a task without the image sees neither its packages nor its files; without an image it says it runs on the host")
    void taskWithoutImageCannotSeeIt() {
        Path root = server.dataDir().resolve("images").resolve(id()).resolve("root");
        JsonNode done = run("SHELL", """
                command -v hello && exit 3
                python3 -c 'import tabulate' 2>/dev/null && exit 4
                cat %s/etc/srg-built 2>&1 && exit 5
                ls %s 2>&1 && exit 6
                echo isolated
                """.formatted(root, root.getParent().getParent()), null);
        String out = log(done);
        assertThat(done.get("status").asString()).as(out).isEqualTo("SUCCEEDED");
        // refused by the images directory's mode (0700 root); where the data directory is under /tmp (here),
        // of which the task has its own, the task does not even find it
        assertThat(out).contains("isolated").containsAnyOf("Permission denied", "No such file or directory");
        try {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(root.getParent().getParent()))).isEqualTo("rwx------");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        JsonNode enforcement = done.get("enforcement").get("image");
        assertThat(enforcement.get("enforced").asBoolean()).isFalse();
        assertThat(enforcement.get("note").asString()).contains("host's file system");
        assertThat(done.get("limitsNote").asString()).contains("private /tmp, /var/tmp, /dev/shm", "/proc hidepid=invisible");
    }

    @Test
    @Order(5)
    @DisplayName("SPEC RT-1: a failing build script ends FAILED with its log; nothing half-made stays")
    void failingBuild() throws Exception {
        var created = admin.post("images", recipe("broken", id(), null, "echo about-to-fail\nfalse\necho never", group));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        long start = System.nanoTime();
        JsonNode failed = awaitFinished(admin, created.id(), Duration.ofMinutes(3));
        System.out.printf("layered build (failing): %d ms%n", (System.nanoTime() - start) / 1_000_000);
        assertThat(failed.get("status").asString()).as(failed.toString()).isEqualTo("FAILED");
        assertThat(failed.get("failureReason").asString()).contains("the build script exited with 1");
        assertThat(failed.get("buildLog").asString()).contains("about-to-fail").doesNotContain("never");
        Path images = server.dataDir().resolve("images");
        assertThat(Files.exists(images.resolve(created.id()))).isFalse();
        assertThat(ImageTesting.leftovers(images)).isEmpty();
        // a task cannot use it
        var use = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", group, "type", "SHELL",
                "script", "true", "cu", 0.25, "imageId", created.id()));
        assertThat(use.status()).isEqualTo(409);
        assertThat(use.code()).isEqualTo("Image.NotAvailable");
    }

    @Test
    @Order(6)
    @DisplayName("SPEC RT-1: bad recipes are refused with 400 naming the field; the installation's quota holds; IMAGE_BUILD is not submitted directly")
    void badInput() {
        Map<String, Object> before = Map.copyOf(server.snapshot());
        record Case(Map<String, Object> body, int status, String code, String field) {}
        List<Case> cases = List.of(
                new Case(recipe("x", "ubuntu-noble", null, "true", group), 400, "InvalidParameter.Base", "base"),
                new Case(recipe("x", null, null, "true", group), 400, "MissingParameter", "base"),
                new Case(recipe("x", BASE, List.of("Bad Name"), null, group), 400, "InvalidParameter.Packages", "packages"),
                new Case(recipe("x", BASE, List.of("hello;rm"), null, group), 400, "InvalidParameter.Packages", "packages"),
                new Case(recipe("x", id(), List.of("hello"), "true", group), 400, "InvalidParameter.Packages", "packages"),
                new Case(recipe("x", "img-000000000000000000000000", null, "true", group), 400, "InvalidParameter.Base", "base"),
                new Case(recipe("x", BASE, null, "true", null), 400, "MissingParameter", "resourceGroupId"),
                new Case(recipe(null, BASE, null, "true", group), 400, "MissingParameter", "name"),
                new Case(recipe("x", BASE, null, "true", "rg-nope"), 404, "ResourceGroup.NotFound", "resourceGroupId"));
        for (Case c : cases) {
            var r = admin.post("images", c.body());
            assertThat(r.status()).as(c + " -> " + r).isEqualTo(c.status());
            assertThat(r.code()).as(r.toString()).isEqualTo(c.code());
            assertThat(r.field()).as(r.toString()).isEqualTo(c.field());
        }
        var direct = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", group, "type", "IMAGE_BUILD",
                "script", "true", "cu", 1));
        assertThat(direct.status()).as(direct.toString()).isEqualTo(400);
        var notAScript = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", group,
                "type", "CONNECTIVITY_TEST", "cu", 0.25, "imageId", id()));
        assertThat(notAScript.status()).as(notAScript.toString()).isEqualTo(400);
        assertThat(notAScript.field()).isEqualTo("imageId");
        var unknown = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", group, "type", "SHELL",
                "script", "true", "cu", 0.25, "imageId", "img-000000000000000000000000"));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(server.snapshot()).isEqualTo(before);
        // quota 2 in this class (tools and broken, FAILED ones count too): a third is refused
        var third = admin.post("images", recipe("third", id(), null, "exit 9", group));
        assertThat(third.status()).as(third.toString()).isEqualTo(409);
        assertThat(third.code()).isEqualTo("Image.QuotaExceeded");
        assertThat(server.snapshot()).isEqualTo(before);
    }

    @Test
    @Order(7)
    @DisplayName("SPEC RT-1: the console lists images, shows one with its build log, refuses a bad recipe with the field's error")
    void console() throws Exception {
        String name = "imgadmin" + System.nanoTime() % 1_000_000;
        var user = admin.post("users", Map.of("name", name, "policies", List.of("AdministratorAccess"), "password", "image pass phrase 1"));
        assertThat(user.status()).as(user.toString()).isEqualTo(201);
        var http = java.net.http.HttpClient.newHttpClient();
        java.util.Map<String, String> cookies = new java.util.LinkedHashMap<>();
        java.util.function.BiFunction<String, String, java.net.http.HttpResponse<String>> send = (path, form) -> {
            var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + path));
            if (form != null) {
                b.header("Content-Type", "application/x-www-form-urlencoded").POST(java.net.http.HttpRequest.BodyPublishers.ofString(form));
            }
            if (!cookies.isEmpty()) {
                b.header("Cookie", String.join("; ", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
            }
            try {
                var r = http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                for (String c : r.headers().allValues("Set-Cookie")) {
                    String[] kv = c.split(";", 2)[0].split("=", 2);
                    cookies.put(kv[0], kv[1]);
                }
                return r;
            } catch (java.io.IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        java.util.function.Function<String, String> csrf = html -> {
            var m = java.util.regex.Pattern.compile("name=\"_csrf\" value=\"([^\"]*)\"").matcher(html);
            assertThat(m.find()).as(html).isTrue();
            return m.group(1);
        };
        java.util.function.Function<Map<String, String>, String> form = fields -> String.join("&", fields.entrySet().stream()
                .map(e -> e.getKey() + "=" + java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8)).toList());
        String token = csrf.apply(send.apply("/console/sign-in", null).body());
        var signedIn = send.apply("/console/sign-in", form.apply(Map.of("_csrf", token, "method", "password", "name", name,
                "password", "image pass phrase 1", "next", "/console/images")));
        assertThat(signedIn.statusCode()).isEqualTo(303);
        var list = send.apply("/console/images", null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains(id()).contains("AVAILABLE").contains("Build an image").contains(BASE);
        var detail = send.apply("/console/images/" + id(), null);
        assertThat(detail.statusCode()).isEqualTo(200);
        assertThat(detail.body()).contains("data-log-url=\"/console/images/" + id() + "/log\"").contains("hello");
        String groupName = admin.get("resource-groups/" + group).json().get("name").asString();
        assertThat(detail.body()).contains("Built on group <a href=\"/console/groups/" + group + "\" title=\"" + group + "\">" + groupName + "</a>");
        var log = send.apply("/console/images/" + id() + "/log", null);
        assertThat(log.body()).contains("build script done");
        var refused = send.apply("/console/images", form.apply(Map.of("_csrf", csrf.apply(list.body()), "name", "bad", "base", BASE,
                "packages", "Not A Package", "resourceGroupId", group, "cu", "1")));
        assertThat(refused.statusCode()).isEqualTo(303);
        var back = send.apply(refused.headers().firstValue("Location").orElseThrow(), null);
        assertThat(back.body()).contains("a package is a Debian package name");
    }

    @Test
    @Order(8)
    @DisplayName("SPEC RT-1: deleting an image is refused while a task uses it, then removes its files; tasks can no longer name it")
    void deleteInUse() throws Exception {
        var running = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", group, "type", "SHELL",
                "script", "echo started; sleep 120", "cu", 0.25, "imageId", id()));
        assertThat(running.status()).isEqualTo(201);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                "RUNNING".equals(admin.get("instances/" + running.id()).json().get("status").asString()));
        var refused = admin.delete("images/" + id());
        assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("Image.InUse");
        assertThat(refused.json().get("detail").asString()).contains(running.id());
        assertThat(admin.post("instances/" + running.id() + "/cancel", Map.of()).status()).isEqualTo(200);
        awaitInstance(admin, running.id(), Duration.ofSeconds(30));
        var deleted = admin.delete("images/" + id());
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
        assertThat(admin.get("images/" + id()).status()).isEqualTo(404);
        Path images = server.dataDir().resolve("images");
        assertThat(Files.exists(images.resolve(id()))).isFalse();
        assertThat(ImageTesting.leftovers(images)).isEmpty();
        var named = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", group, "type", "SHELL",
                "script", "true", "cu", 0.25, "imageId", id()));
        assertThat(named.status()).isEqualTo(404);
    }
}
