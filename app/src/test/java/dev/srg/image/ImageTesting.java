package dev.srg.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.testing.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/** What the image tests share: the base cache they reuse, the host's checks, waiting for a build. */
final class ImageTesting {
    /**
     * The base root file systems, shared by every image test class and run on this machine (one a
     * day per release): a cold build fetches the base once, later ones copy it.
     */
    static final Path BASE_CACHE = Path.of(System.getProperty("srg.image.cache", "/var/tmp/srg-test-image-base"));

    private ImageTesting() {}

    /** Builds need root, mmdebstrap, bubblewrap and the Debian archive; without them the tests say so and skip. */
    static void assumeBuildable() {
        assumeThat(System.getProperty("user.name")).as("image builds need root").isEqualTo("root");
        assumeThat(Files.isExecutable(Path.of("/usr/bin/mmdebstrap"))).as("mmdebstrap installed").isTrue();
        assumeThat(Files.isExecutable(Path.of("/usr/bin/bwrap"))).as("bubblewrap installed").isTrue();
    }

    static ImageConfig config(int quota, int buildsPerRegion) {
        ImageConfig d = ImageConfig.defaults().withBaseCache(BASE_CACHE).withQuota(quota);
        return new ImageConfig(d.quota(), d.maxImageBytes(), buildsPerRegion, d.mirror(), d.suite(), d.baseCache());
    }

    static JsonNode awaitFinished(TestHttp http, String imageId, Duration within) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(500)).until(() -> {
            var r = http.get("images/" + imageId);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            last[0] = r.json();
            return !"BUILDING".equals(last[0].get("status").asString());
        });
        return last[0];
    }

    static JsonNode awaitInstance(TestHttp http, String instanceId, Duration within) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = http.get("instances/" + instanceId).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].get("status").asString());
        });
        return last[0];
    }

    static Map<String, Object> recipe(String name, String base, List<String> packages, String script, String group) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("name", name);
        body.put("base", base);
        if (packages != null) {
            body.put("packages", new ArrayList<>(packages));
        }
        if (script != null) {
            body.put("buildScript", script);
        }
        if (group != null) {
            body.put("resourceGroupId", group);
        }
        return body;
    }

    /** What is in the images directory besides complete images (staging, trash). */
    static List<String> leftovers(Path imagesDir) throws java.io.IOException {
        if (!Files.isDirectory(imagesDir)) {
            return List.of();
        }
        try (var list = Files.list(imagesDir)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-") || n.startsWith(".deleted-"))
                    .toList();
        }
    }
}
