package dev.srg.execution.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.server.ServerExtensions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import tools.jackson.databind.JsonNode;

/**
 * SPEC HA-3 against a REAL cluster (kind, k3s, any): the scenarios of {@link KubernetesBackendTest}
 * with a real kubelet, real OOM kills, real activeDeadlineSeconds and the API server's own quota.
 * Tagged {@code kubernetes} (excluded by default) and run only when {@code KUBECONFIG} is set:
 * {@code KUBECONFIG=~/.kube/config ./run-tests -Dtest=KubernetesClusterE2ETest -Dgroups=kubernetes -Dsrg.test.excludedGroups=
 * -Dsurefire.failIfNoSpecifiedTests=false}. Ended Pods are kept 10 minutes here (the restart scenario reads its Pod).
 * The image ({@code SRG_K8S_TEST_IMAGE}, default
 * {@value KubernetesBackendConfig#DEFAULT_IMAGE}) must have bash and python3. Everything it makes is
 * in namespaces with a prefix of its own, deleted at the end. See docs/kubernetes.md.
 */
@Tag("kubernetes")
@Tag("database")
@EnabledIfEnvironmentVariable(named = "KUBECONFIG", matches = ".+")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class KubernetesClusterE2ETest {
    static final String PREFIX = "srg-e2e-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36) + "-";
    static KubernetesClient cluster;
    static TestServer server;
    static TestHttp admin;
    static Fixtures fx;

    @BeforeAll
    static void start() throws Exception {
        Path kubeconfig = Path.of(System.getenv("KUBECONFIG").split(File.pathSeparator)[0]);
        String image = System.getenv().getOrDefault("SRG_K8S_TEST_IMAGE", KubernetesBackendConfig.DEFAULT_IMAGE);
        Path regions = Files.createTempFile("regions", ".json");
        Files.writeString(regions, """
                [{"id": "local", "name": "A real cluster", "purchasable": true, "zones": [{"id": "local-a", "name": "A"}],
                  "backend": "kubernetes",
                  "kubernetes": {"kubeconfig": "%s", "namespacePrefix": "%s", "defaultImage": "%s", "pollMillis": 500,
                                 "endedPodRetentionSeconds": 600}}]"""
                .formatted(kubeconfig.toAbsolutePath(), PREFIX, image));
        KubernetesBackendConfig config = KubernetesBackendConfig.defaults().withKubeconfig(kubeconfig.toAbsolutePath());
        cluster = KubernetesRegions.client(config);
        server = TestServer.start(ServerExtensions.NONE, c -> c.withRegionsFile(regions));
        admin = server.admin();
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (cluster != null) {
            cluster.namespaces().list().getItems().stream().filter(n -> n.getMetadata().getName().startsWith(PREFIX))
                    .forEach(n -> cluster.namespaces().withName(n.getMetadata().getName()).delete());
            cluster.close();
        }
    }

    @Test
    @DisplayName("real cluster: logs, exit codes, OOMKilled, DeadlineExceeded, cancel, a deleted Pod, quota")
    void scenarios() {
        String group = group(2);
        String ws = fx.workspace(group).get("id").asString();
        String ns = KubernetesNames.namespace(PREFIX, group);
        String ok = submit(ws, "echo hello from $SRG_RESOURCE_GROUP_ID", 0.25, 300);
        String bad = submit(ws, "exit 3", 0.25, 300);
        // 0.25 CU = 1 GiB: two are more than the kernel lets it have
        String oom = submit(ws, "python3 -c 'b = bytearray(2 * 1024 ** 3); print(len(b))'", 0.25, 300);
        String slow = submit(ws, "echo slow; sleep 300", 0.25, 5);
        String cancelled = submit(ws, "sleep 300", 0.25, 600);
        String orphaned = submit(ws, "sleep 300", 0.25, 600);

        JsonNode done = awaitFinal(ok);
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(admin.get("instances/" + ok + "/log").text()).isEqualTo("hello from " + group + "\n");
        assertThat(awaitFinal(bad).get("exitCode").asInt()).isEqualTo(3);
        assertThat(awaitFinal(oom).get("failureReason").asString()).isEqualTo("OUT_OF_MEMORY");
        JsonNode timedOut = awaitFinal(slow);
        assertThat(timedOut.get("status").asString()).as(timedOut.toString()).isEqualTo("TIMED_OUT");

        // the API server's own accounting of the group's quota
        var quota = cluster.resourceQuotas().inNamespace(ns).withName(KubernetesNames.QUOTA).get();
        assertThat(quota.getSpec().getHard().get("limits.cpu").toString()).isEqualTo("2000m");
        assertThat(quota.getStatus().getHard()).containsKey("limits.memory");

        awaitRunning(ns, cancelled);
        awaitRunning(ns, orphaned);
        admin.post("instances/" + cancelled + "/cancel", null);
        assertThat(awaitFinal(cancelled).get("status").asString()).isEqualTo("CANCELLED");
        cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(orphaned)).withGracePeriod(0).delete();
        JsonNode lost = awaitFinal(orphaned);
        assertThat(lost.get("failureReason").asString()).isEqualTo("LOST");
        assertThat(lost.toString()).contains("deleted outside srg");
    }

    @Test
    @DisplayName("real cluster: srg restarts while a Pod runs; it is re-attached, never started twice")
    void restart() {
        String group = group(2);
        String ws = fx.workspace(group).get("id").asString();
        String ns = KubernetesNames.namespace(PREFIX, group);
        String id = submit(ws, "sleep 20; echo survived", 0.25, 300);
        awaitRunning(ns, id);
        String uid = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(id)).get().getMetadata().getUid();
        server.restart();
        JsonNode done = awaitFinal(id);
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(admin.get("instances/" + id + "/log").text()).isEqualTo("survived\n");
        Pod pod = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(id)).get();
        assertThat(pod.getMetadata().getUid()).isEqualTo(uid);
        assertThat(pod.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
    }

    private static String group(int cu) {
        var r = admin.post("resource-groups", fx.subscriptionBody(fx.network(), cu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return fx.awaitRunning(r.id()).get("id").asString();
    }

    private static String submit(String ws, String script, double cu, int timeoutSeconds) {
        Map<String, Object> body = new HashMap<>(Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", cu,
                "timeoutSeconds", timeoutSeconds));
        var r = admin.post("instances", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static void awaitRunning(String ns, String id) {
        Awaitility.await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Pod p = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(id)).get();
            return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
        });
    }

    private static JsonNode awaitFinal(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }
}
