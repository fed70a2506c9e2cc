package dev.srg.execution.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.server.ServerExtensions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * SPEC HA-3 through the real srg server and API, on the fabric8 mock API server in CRUD mode (it
 * stores objects as an API server does) with {@link SimulatedKubelet} playing the node: a region
 * whose backend is {@code kubernetes}, configured by a kubeconfig in the regions file.
 */
@Tag("database")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KubernetesBackendTest {
    private static final Pattern LOG_PATH = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/log(\\?.*)?");
    static KubernetesMockServer api;
    static KubernetesClient cluster;
    static SimulatedKubelet kubelet;
    static TestServer server;
    static TestHttp admin;
    static Fixtures fx;

    /** The mock API server logs every request at INFO through java.util.logging: kept quiet. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    @BeforeAll
    static void start() throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        // the CRUD mock stores objects; the Pod log subresource is the (simulated) kubelet's
        Dispatcher dispatcher = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                Matcher m = LOG_PATH.matcher(request.getPath());
                if ("GET".equals(request.getMethod()) && m.matches()) {
                    String log = kubelet.log(m.group(1), m.group(2));
                    return log == null
                            ? new MockResponse().setResponseCode(400).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                                    + "\"Failure\",\"message\":\"container \\\"task\\\" is waiting to start\",\"code\":400}")
                            : new MockResponse().setResponseCode(200).setBody(log);
                }
                return crud.dispatch(request);
            }
        };
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        api.init();
        cluster = api.createClient();
        kubelet = new SimulatedKubelet(cluster, Files.createTempDirectory("srg-kubelet"));
        Path kubeconfig = Files.createTempFile("kubeconfig", ".yaml");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: http://localhost:%d
                contexts:
                - name: mock
                  context: {cluster: mock, user: mock}
                current-context: mock
                users:
                - name: mock
                  user: {token: not-a-secret}
                """.formatted(api.getPort()));
        Path regions = Files.createTempFile("regions", ".json");
        Files.writeString(regions, """
                [{"id": "local", "name": "On Kubernetes", "purchasable": true, "zones": [{"id": "local-a", "name": "A"}],
                  "backend": "kubernetes",
                  "kubernetes": {"kubeconfig": "%s", "pollMillis": 100, "terminationGraceSeconds": 0,
                                 "defaultImage": "registry.example/srg/runner:1"}}]""".formatted(kubeconfig));
        server = TestServer.start(ServerExtensions.NONE, c -> c.withRegionsFile(regions));
        admin = server.admin();
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (kubelet != null) {
            kubelet.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (api != null) {
            api.destroy();
        }
    }

    @Test
    @DisplayName("a task becomes a Pod in its group's namespace: requests = limits = its CUs, its script in a Secret; logs and exit codes come back")
    void launchLogsAndExitCodes() {
        // SPEC HA-3: the same admission decides, the Pod runs what was admitted
        var net = fx.network();
        String group = groupOn(net, 2);
        String ws = fx.workspace(group).get("id").asString();
        String ok = submit(ws, "echo hello from $SRG_RESOURCE_GROUP_ID; echo to stderr >&2", 0.5, null);
        String bad = submit(ws, "echo failing; exit 3", 0.25, null);

        JsonNode done = awaitFinal(ok);
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("exitCode").asInt()).isZero();
        assertThat(admin.get("instances/" + ok + "/log").text()).isEqualTo("hello from " + group + "\nto stderr\n");
        assertThat(admin.get("instances/" + ok + "/log?offset=6").text()).isEqualTo("from " + group + "\nto stderr\n");
        JsonNode failed = awaitFinal(bad);
        assertThat(failed.get("status").asString()).isEqualTo("FAILED");
        assertThat(failed.get("exitCode").asInt()).isEqualTo(3);
        assertThat(failed.get("failureReason").asString()).isEqualTo("NON_ZERO_EXIT");
        assertThat(admin.get("instances/" + bad + "/log").text()).isEqualTo("failing\n");

        String ns = KubernetesNames.namespace("srg-", group);
        Pod pod = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(ok)).get();
        assertThat(pod).as("Pod of " + ok + " in " + ns).isNotNull();
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("srg.dev/run", ok);
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        var container = pod.getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("registry.example/srg/runner:1");
        assertThat(container.getCommand()).containsExactly("bash", "script.sh");
        assertThat(container.getResources().getRequests()).isEqualTo(container.getResources().getLimits());
        assertThat(container.getResources().getLimits().get("cpu").toString()).isEqualTo("500m");
        assertThat(container.getResources().getLimits().get("memory").toString()).isEqualTo("2Gi");
        assertThat(pod.getSpec().getActiveDeadlineSeconds()).isPositive();
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(65534L);
        // the script and the environment are in a Secret (a kind may put credentials in either), not in the Pod
        assertThat(container.getEnv()).allSatisfy(e -> {
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(pod.getMetadata().getName());
        });
        Secret secret = cluster.secrets().inNamespace(ns).withName(pod.getMetadata().getName()).get();
        assertThat(secret.getData()).containsKeys("file.script.sh", "env.SRG_INSTANCE_ID", "env.SRG_RESOURCE_GROUP_ID");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("srg.dev/state", "launched");
        assertThat(cluster.configMaps().inNamespace(ns).list().getItems()).isEmpty();
        assertThat(kubelet.starts(ns, pod.getMetadata().getName())).isEqualTo(1);

        // SPEC RT-3: what the cluster enforces, as the instance records it
        JsonNode enforcement = done.get("enforcement");
        assertThat(enforcement.get("cpu").get("enforced").asBoolean()).isTrue();
        assertThat(enforcement.get("cpu").get("note").asString()).contains("requests = limits = 500m");
        assertThat(enforcement.get("network").get("note").asString()).contains("delegated to the cluster's CNI")
                .contains(net.cidr());
        assertThat(enforcement.get("image").get("note").asString()).contains("registry.example/srg/runner:1");
    }

    @Test
    @DisplayName("the group's namespace has a ResourceQuota of its CUs and a NetworkPolicy of its networks; private zones become hostAliases")
    void quotaPolicyAndHostAliases() {
        var net = fx.network();
        // a route and a NAT gateway with an EIP: the internet is allowed, but not the private ranges
        assertThat(admin.post("vpcs/" + net.vpcId() + "/routes", Map.of("destinationCidr", "192.168.50.0/24", "via", "VPN_GATEWAY"))
                .status()).isBetween(200, 201);
        assertThat(admin.put("vpcs/" + net.vpcId() + "/nat-gateway", Map.of("eip", "203.0.113.7")).status()).isBetween(200, 201);
        var zone = admin.post("private-zones", Map.of("name", "corp.internal", "vpcIds", List.of(net.vpcId())));
        assertThat(zone.status()).as(zone.toString()).isEqualTo(201);
        assertThat(admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "type", "A", "value", "10.9.0.5"))
                .status()).isEqualTo(201);
        String group = groupOn(net, 3);
        String ws = fx.workspace(group).get("id").asString();
        String id = submit(ws, "true", 1, null);
        assertThat(awaitFinal(id).get("status").asString()).isEqualTo("SUCCEEDED");

        String ns = KubernetesNames.namespace("srg-", group);
        assertThat(cluster.namespaces().withName(ns).get().getMetadata().getAnnotations()).containsEntry("srg.dev/group", group);
        ResourceQuota quota = cluster.resourceQuotas().inNamespace(ns).withName("srg-cu").get();
        assertThat(quota.getSpec().getHard().get("requests.cpu").toString()).isEqualTo("3000m");
        assertThat(quota.getSpec().getHard().get("limits.cpu").toString()).isEqualTo("3000m");
        assertThat(quota.getSpec().getHard().get("requests.memory").toString()).isEqualTo("12Gi");
        assertThat(quota.getSpec().getHard().get("limits.memory").toString()).isEqualTo("12Gi");

        // SPEC NET-7, NET-8: egress to the VPC, its route, the internet through the NAT (never private ranges), DNS
        NetworkPolicy policy = cluster.network().v1().networkPolicies().inNamespace(ns).withName("srg-egress").get();
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(policy.getSpec().getIngress()).isEmpty();
        assertThat(policy.getSpec().getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/managed-by", "srg");
        List<NetworkPolicyPeer> peers = policy.getSpec().getEgress().get(0).getTo();
        assertThat(peers).extracting(p -> p.getIpBlock().getCidr()).containsExactly(net.cidr(), "192.168.50.0/24", "0.0.0.0/0");
        assertThat(peers.get(2).getIpBlock().getExcept()).contains("10.0.0.0/8", "192.168.0.0/16", "21.0.0.0/8", "172.16.0.0/12");
        var dns = policy.getSpec().getEgress().get(1);
        assertThat(dns.getTo().get(0).getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "kube-system");
        assertThat(dns.getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).containsExactly("UDP/53", "TCP/53");

        // SPEC NET-9: private-zone records as hostAliases
        Pod pod = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(id)).get();
        assertThat(pod.getSpec().getHostAliases()).singleElement().satisfies(h -> {
            assertThat(h.getIp()).isEqualTo("10.9.0.5");
            assertThat(h.getHostnames()).containsExactly("db.corp.internal");
        });

        // another group: a namespace of its own, with its own quota, and no internet (no NAT gateway on its VPC)
        String other = fx.subscriptionGroup(2).get("id").asString();
        String ws2 = fx.workspace(other).get("id").asString();
        assertThat(awaitFinal(submit(ws2, "true", 0.25, null)).get("status").asString()).isEqualTo("SUCCEEDED");
        String ns2 = KubernetesNames.namespace("srg-", other);
        assertThat(cluster.resourceQuotas().inNamespace(ns2).withName("srg-cu").get().getSpec().getHard().get("limits.memory")
                .toString()).isEqualTo("8Gi");
        NetworkPolicy closed = cluster.network().v1().networkPolicies().inNamespace(ns2).withName("srg-egress").get();
        assertThat(closed.getSpec().getEgress().get(0).getTo()).extracting(p -> p.getIpBlock().getCidr()).doesNotContain("0.0.0.0/0");
    }

    @Test
    @DisplayName("OOMKilled ends as OUT_OF_MEMORY, DeadlineExceeded as TIMED_OUT")
    void oomAndTimeout() {
        String group = groupOn(fx.network(), 2);
        String ws = fx.workspace(group).get("id").asString();
        String oom = submit(ws, "echo eating\n" + SimulatedKubelet.OOM_MARKER + "\nsleep 30", 0.25, null);
        String slow = submit(ws, "echo slow; sleep 60", 0.25, 1);
        JsonNode oomDone = awaitFinal(oom);
        assertThat(oomDone.get("status").asString()).isEqualTo("FAILED");
        assertThat(oomDone.get("failureReason").asString()).isEqualTo("OUT_OF_MEMORY");
        JsonNode slowDone = awaitFinal(slow);
        assertThat(slowDone.get("status").asString()).as(slowDone.toString()).isEqualTo("TIMED_OUT");
        assertThat(slowDone.get("failureReason").asString()).isEqualTo("TIMEOUT");
        String ns = KubernetesNames.namespace("srg-", group);
        assertThat(cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(slow)).get().getSpec().getActiveDeadlineSeconds())
                .isEqualTo(1L);
        assertThat(admin.get("instances/" + slow + "/log").text()).startsWith("slow\n");
    }

    @Test
    @DisplayName("cancel deletes the Pod; a Pod deleted behind srg's back ends its instance FAILED (LOST) with a reason")
    void cancelAndDeletedBehindOurBack() {
        String group = groupOn(fx.network(), 2);
        String ws = fx.workspace(group).get("id").asString();
        String ns = KubernetesNames.namespace("srg-", group);
        String cancelled = submit(ws, "sleep 60", 0.25, null);
        String orphaned = submit(ws, "sleep 60", 0.25, null);
        awaitPodRunning(ns, cancelled);
        awaitPodRunning(ns, orphaned);

        assertThat(admin.post("instances/" + cancelled + "/cancel", null).status()).isBetween(200, 202);
        JsonNode c = awaitFinal(cancelled);
        assertThat(c.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(cancelled)).get()).isNull();
        assertThat(cluster.secrets().inNamespace(ns).withName(KubernetesNames.pod(cancelled)).get().getMetadata().getAnnotations())
                .containsEntry("srg.dev/state", "cancelled");

        cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(orphaned)).delete();
        JsonNode o = awaitFinal(orphaned);
        assertThat(o.get("status").asString()).isEqualTo("FAILED");
        assertThat(o.get("failureReason").asString()).isEqualTo("LOST");
        assertThat(o.toString()).contains("deleted outside srg");
        // the group's CUs are free again
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                admin.get("resource-groups/" + group + "/usage").json().get("usedCu").asDouble() == 0);
    }

    @Test
    @DisplayName("srg restarts: running Pods are re-attached (never started twice), one that ended meanwhile is recorded, a deleted one is LOST")
    void restartReattaches() {
        String group = groupOn(fx.network(), 2);
        String ws = fx.workspace(group).get("id").asString();
        String ns = KubernetesNames.namespace("srg-", group);
        String longer = submit(ws, "sleep 4; echo survived", 0.25, null);
        String shorter = submit(ws, "echo quick", 0.25, null);
        String gone = submit(ws, "sleep 60", 0.25, null);
        awaitPodRunning(ns, longer);
        awaitPodRunning(ns, gone);
        awaitFinal(shorter);

        server.restart();
        // while srg was away (or just after), someone deletes a Pod
        cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(gone)).delete();
        JsonNode l = awaitFinal(longer);
        assertThat(l.get("status").asString()).as(l.toString()).isEqualTo("SUCCEEDED");
        assertThat(admin.get("instances/" + longer + "/log").text()).isEqualTo("survived\n");
        assertThat(kubelet.starts(ns, KubernetesNames.pod(longer))).isEqualTo(1);
        assertThat(awaitFinal(shorter).get("status").asString()).isEqualTo("SUCCEEDED");
        JsonNode g = awaitFinal(gone);
        assertThat(g.get("failureReason").asString()).isEqualTo("LOST");
        assertThat(kubelet.starts(ns, KubernetesNames.pod(gone))).isEqualTo(1);
    }

    private static String groupOn(Fixtures.Network net, int cu) {
        var r = admin.post("resource-groups", fx.subscriptionBody(net, cu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return fx.awaitRunning(r.id()).get("id").asString();
    }

    private static String submit(String ws, String script, double cu, Integer timeoutSeconds) {
        Map<String, Object> body = new HashMap<>(Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", cu));
        if (timeoutSeconds != null) {
            body.put("timeoutSeconds", timeoutSeconds);
        }
        var r = admin.post("instances", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    /** Until the (simulated) node started the Pod's container. */
    private static void awaitPodRunning(String ns, String id) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> kubelet.starts(ns, KubernetesNames.pod(id)) > 0);
    }

    private static JsonNode awaitFinal(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }
}
