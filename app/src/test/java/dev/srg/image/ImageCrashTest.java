package dev.srg.image;

import static dev.srg.image.ImageTesting.BASE_CACHE;
import static dev.srg.image.ImageTesting.awaitFinished;
import static dev.srg.image.ImageTesting.recipe;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Builds and crashes (SPEC RT-1): the server killed with SIGKILL in the middle of a build, and a
 * build killed with SIGKILL. Tagged {@code images} (excluded by default: two more builds, about a
 * minute with the base cached): {@code ./run-tests -Dgroups=images -Dsrg.test.excludedGroups=stress}.
 */
@Tag("images")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ImageCrashTest {

    @Test
    @DisplayName("SPEC RT-1: kill -9 of the server during a build leaves nothing half-made and the build is recovered; "
            + "kill -9 of a build ends it FAILED with nothing left")
    void crashes() throws Exception {
        ImageTesting.assumeBuildable();
        Path dir = TestDatabases.dataDirectory("srg-image-crash");
        Path config = dir.resolve("srg.properties");
        Files.writeString(config, "image-base-cache=" + BASE_CACHE + "\nprovisioning-delay-ms=0\n");
        Path images = dir.resolve("images");
        String base = ImageConfig.defaults().debianBase();
        String imageId;
        String rg;
        try (ServerProcess first = ServerProcess.start(dir, "--config", config.toString())) {
            TestHttp http = first.http(dir);
            String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.0/16")).id();
            String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.0.1.0/24")).id();
            rg = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 4, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "vpcId", vpc, "vswitchId", vsw)).id();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                    http.get("resource-groups/" + rg).json().get("status").asString().equals("RUNNING"));
            http.post("workspaces", Map.of("name", "w", "regionId", "local", "defaultResourceGroupId", rg));
            var created = http.post("images", recipe("slow", base, List.of("hello"),
                    "echo slow-start\nsleep 8\necho slow-end > /etc/slow", rg));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            imageId = created.id();
            Awaitility.await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(300)).until(() ->
                    http.get("images/" + imageId + "/log").text().contains("slow-start"));
            first.kill();
        }
        // the build goes on without the server (its supervisor outlives it); nothing is in place yet
        assertThat(Files.exists(images.resolve(imageId))).isFalse();
        assertThat(ImageTesting.leftovers(images)).anyMatch(n -> n.startsWith(".tmp-" + imageId));

        try (ServerProcess second = ServerProcess.start(dir, "--config", config.toString())) {
            TestHttp http = second.http(dir);
            JsonNode done = awaitFinished(http, imageId, Duration.ofMinutes(3));
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("AVAILABLE");
            assertThat(Files.readString(images.resolve(imageId).resolve("root/etc/slow"))).contains("slow-end");
            assertThat(ImageTesting.leftovers(images)).isEmpty();

            // a layered build that succeeds (measured), then one killed with SIGKILL
            long start = System.nanoTime();
            var layered = http.post("images", recipe("layered", imageId, null, "echo layered > /etc/layer", rg));
            JsonNode layer = awaitFinished(http, layered.id(), Duration.ofMinutes(3));
            System.out.printf("layered build: %d ms%n", (System.nanoTime() - start) / 1_000_000);
            assertThat(layer.get("status").asString()).as(layer.toString()).isEqualTo("AVAILABLE");

            var doomed = http.post("images", recipe("doomed", imageId, null, "echo build-running\nsleep 120", rg));
            assertThat(doomed.status()).as(doomed.toString()).isEqualTo(201);
            String build = doomed.json().get("buildInstanceId").asString();
            Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300)).until(() ->
                    http.get("images/" + doomed.id() + "/log").text().contains("build-running"));
            List<Long> builders = builderProcesses(build);
            assertThat(builders).as("the builder of " + build).isNotEmpty();
            for (long pid : builders) {
                new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
            }
            JsonNode failed = awaitFinished(http, doomed.id(), Duration.ofMinutes(2));
            assertThat(failed.get("status").asString()).as(failed.toString()).isEqualTo("FAILED");
            assertThat(failed.get("failureReason").asString()).contains("NON_ZERO_EXIT");
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ImageTesting.leftovers(images).isEmpty());
            assertThat(Files.exists(images.resolve(doomed.id()))).isFalse();
        }
    }

    /** The image-build.sh processes of one build (found by the instance id in their environment). */
    private static List<Long> builderProcesses(String instanceId) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = Files.readString(p.resolve("cmdline"), StandardCharsets.ISO_8859_1);
                    String environ = Files.readString(p.resolve("environ"), StandardCharsets.ISO_8859_1);
                    if (cmdline.contains("image-build.sh") && environ.contains("SRG_INSTANCE_ID=" + instanceId + "\0")) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // gone
                }
            }
        }
        return pids;
    }
}
