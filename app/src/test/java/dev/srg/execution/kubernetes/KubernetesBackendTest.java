package dev.srg.execution.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.server.ServerExtensions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestDatabases;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
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
    static final String WORKER_IMAGE = "registry.example/srg/worker:1";
    static String workerClasspath;
    static Path regions;

    /** The DataService worker's port (the region's dataServicePort) on this machine, where every simulated Pod runs: a free one. */
    static final int DS_PORT;

    static {
        try (var probe = new java.net.ServerSocket(0)) {
            DS_PORT = probe.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

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
        // the worker image: java 21 on its PATH, srg's jars at the classpath the region names (here: links to this build's)
        kubelet = new SimulatedKubelet(cluster, Files.createTempDirectory("srg-kubelet"))
                .image(WORKER_IMAGE, Path.of(System.getProperty("java.home"), "bin").toString());
        workerClasspath = workerImageClasspath(Files.createTempDirectory("srg-worker-image"));
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
        regions = Files.createTempFile("regions", ".json");
        // region local keeps ended Pods an hour (the tests read them) and their kept logs for ever; region k8s-b removes
        // them at once, their logs after the default 30 days
        Files.writeString(regions, """
                [{"id": "local", "name": "On Kubernetes", "purchasable": true, "zones": [{"id": "local-a", "name": "A"}],
                  "backend": "kubernetes",
                  "kubernetes": {"kubeconfig": "%1$s", "pollMillis": 100, "terminationGraceSeconds": 0,
                                 "defaultImage": "registry.example/srg/runner:1", "endedPodRetentionSeconds": 3600,
                                 "keptLogRetentionDays": 0,
                                 "workerImage": "%2$s", "workerClasspath": "%3$s", "dataServicePort": %4$d}},
                 {"id": "k8s-b", "name": "On Kubernetes, cleaned", "purchasable": true, "zones": [{"id": "k8s-b-a", "name": "A"}],
                  "backend": "kubernetes-b",
                  "kubernetes": {"kubeconfig": "%1$s", "pollMillis": 100, "terminationGraceSeconds": 0,
                                 "defaultImage": "registry.example/srg/runner:1"}}]""".formatted(kubeconfig, WORKER_IMAGE,
                workerClasspath, DS_PORT));
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
        // its workspace's gid is its one supplementary group, as on the local backend
        long workspaceGid = admin.get("workspaces/" + ws).json().get("taskGid").asLong();
        assertThat(pod.getSpec().getSecurityContext().getSupplementalGroups()).containsExactly(workspaceGid);
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
        // in: only DataService workers' port (srg calls them there, proving the instance's secret first)
        assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getFrom()).isEmpty();
            assertThat(rule.getPorts()).singleElement().satisfies(port ->
                    assertThat(port.getPort().getIntVal()).isEqualTo(DS_PORT));
        });
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

    @Test
    @DisplayName("DATA_INTEGRATION runs srg's sync worker as a Pod of the worker image, job and credentials only in its Secret; progress and exit as on the local backend")
    void dataIntegration() throws Exception {
        // SPEC HA-3, SPEC DI-2, SPEC DI-5: the same worker and the same progress lines, in a Pod
        String group = groupOn(fx.network(), 2);
        String ws = fx.workspace(group).get("id").asString();
        String ns = KubernetesNames.namespace("srg-", group);
        TestDatabases.Fresh db = TestDatabases.fresh();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); var st = c.createStatement()) {
            st.execute("CREATE TABLE src (id bigint PRIMARY KEY, label text)");
            st.execute("INSERT INTO src SELECT g, 'row ' || g FROM generate_series(1, 5000) g");
            st.execute("CREATE TABLE dst (id bigint PRIMARY KEY, label text)");
        }
        dataSource(ws, "pg-in", db);
        dataSource(ws, "pg-out", db);
        String id = submitSync(ws);
        JsonNode done = awaitFinal(id, Duration.ofMinutes(3));
        assertThat(done.get("status").asString()).as(admin.get("instances/" + id + "/log").text()).isEqualTo("SUCCEEDED");
        assertThat(done.path("progress").path("recordsWritten").asLong()).as(done.toString()).isEqualTo(5000);
        assertThat(done.path("progress").path("status").asString()).isEqualTo("SUCCEEDED");
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM dst")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(5000);
        }

        Pod pod = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(id)).get();
        var container = pod.getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo(WORKER_IMAGE);
        List<String> command = container.getCommand();
        assertThat(command.get(0)).isEqualTo("java");
        assertThat(command.get(command.indexOf("-cp") + 1)).isEqualTo(workerClasspath);
        assertThat(command).endsWith("dev.srg.sync.SyncMain", "job.json");
        // the data sources' credentials are in the Secret's job file, nowhere in the Pod (args, env values, annotations)
        assertThat(cluster.getKubernetesSerialization().asJson(pod)).doesNotContain(db.password());
        assertThat(container.getEnv()).allSatisfy(e -> assertThat(e.getValue()).isNull());
        Secret secret = cluster.secrets().inNamespace(ns).withName(pod.getMetadata().getName()).get();
        assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("file.job.json")),
                java.nio.charset.StandardCharsets.UTF_8)).contains(db.password());
        assertThat(kubelet.starts(ns, pod.getMetadata().getName())).as("at most once").isEqualTo(1);
        assertThat(done.get("enforcement").get("image").get("note").asString()).contains(WORKER_IMAGE);

        // a region without a worker image says so instead of starting a Pod that cannot run it
        var net = fx.network("k8s-b", "k8s-b-a");
        String other = groupIn("k8s-b", net);
        String wsB = workspaceIn("k8s-b", other);
        dataSource(wsB, "pg-in", db);
        dataSource(wsB, "pg-out", db);
        JsonNode refused = awaitFinal(submitSync(wsB));
        assertThat(refused.get("failureReason").asString()).isEqualTo("LAUNCH_FAILED");
        assertThat(refused.toString()).contains("workerImage");
    }

    @Test
    @DisplayName("DATA_SERVICE runs its worker as a Pod of the worker image; srg calls it over TCP at the Pod's address after proving the instance's secret; real calls through /data/...")
    void dataService() throws Exception {
        // SPEC DS-5, SPEC HA-3: the API's group serves it from a Pod; the data source's password only crosses srg's connection
        String group = groupOn(fx.network(), 2);
        String ws = fx.workspace(group).get("id").asString();
        String ns = KubernetesNames.namespace("srg-", group);
        TestDatabases.Fresh db = TestDatabases.fresh();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); var st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
            st.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g");
        }
        String ds = dataSource(ws, "pg-api", db);
        var apiGroup = admin.post("dataservice/api-groups", Map.of("name", "k8s", "workspaceId", ws, "basePath", "k8s-" + group));
        assertThat(apiGroup.status()).as(apiGroup.toString()).isEqualTo(201);
        var api = admin.post("dataservice/apis", Map.of("apiGroupId", apiGroup.id(), "name", "item", "path", "item", "method", "GET",
                "mode", "SCRIPT", "dataSourceId", ds, "resourceGroupId", group, "sql", "SELECT id, name FROM items WHERE id = ${id}",
                "parameters", List.of(Map.of("name", "id", "type", "LONG", "required", true)),
                // the first call waits for the worker JVM's first database connection (seconds on a loaded machine)
                "timeoutMillis", 30000));
        assertThat(api.status()).as(api.toString()).isEqualTo(201);
        // the first test starts the service: 503 while its Pod starts, then the rows
        JsonNode[] tested = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
            var r = admin.post("dataservice/apis/" + api.id() + "/test", Map.of("params", Map.of("id", 42)));
            assertThat(r.status()).as(r.toString()).isIn(200, 503);
            tested[0] = r.json();
            return r.status() == 200;
        });
        assertThat(tested[0].path("data").path(0).path("name").asString()).isEqualTo("item 42");
        assertThat(admin.post("dataservice/apis/" + api.id() + "/publish", null).status()).isEqualTo(200);
        var app = admin.post("dataservice/apps", Map.of("name", "k8s-caller"));
        assertThat(admin.put("dataservice/apps/" + app.id() + "/grants/" + api.id(), null).status()).isEqualTo(200);
        String appCode = app.json().path("appCode").asString();
        var http = java.net.http.HttpClient.newHttpClient();
        var call = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + "/data/k8s-" + group + "/item?id=7"))
                .header("Authorization", "APPCODE " + appCode).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(call.statusCode()).as(call.body()).isEqualTo(200);
        assertThat(tools.jackson.databind.json.JsonMapper.builder().build().readTree(call.body()).path("data").path(0).path("name")
                .asString()).isEqualTo("item 7");

        // the worker is a Pod of the worker image listening on TCP; its secret and nothing else secret is in its Secret
        String instance = admin.get("dataservice/services/" + group + "?workspaceId=" + ws).json().path("instanceId").asString();
        Pod pod = cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(instance)).get();
        var container = pod.getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo(WORKER_IMAGE);
        assertThat(container.getCommand()).endsWith("dev.srg.dataservice.DataServiceMain", "dataservice.sock", "--tcp",
                Integer.toString(DS_PORT));
        assertThat(cluster.getKubernetesSerialization().asJson(pod)).doesNotContain(db.password());
        Secret secret = cluster.secrets().inNamespace(ns).withName(pod.getMetadata().getName()).get();
        assertThat(secret.getData()).containsKey("file.dataservice.key");
        assertThat(secret.toString()).doesNotContain(db.password());
        assertThat(admin.get("instances/" + instance).text()).as("the API shows no secret")
                .doesNotContain(new String(java.util.Base64.getDecoder().decode(secret.getData().get("file.dataservice.key")),
                        java.nio.charset.StandardCharsets.UTF_8).strip());

        // a connection that cannot answer the challenge gets nothing: the worker closes it without reading a request
        try (var socket = new java.net.Socket("127.0.0.1", DS_PORT)) {
            socket.setSoTimeout(15_000);
            var in = new java.io.DataInputStream(socket.getInputStream());
            var out = new java.io.DataOutputStream(socket.getOutputStream());
            byte[] challenge = new byte[in.readInt()];
            in.readFully(challenge);
            out.writeInt(32);
            out.write(new byte[32]);
            out.flush();
            assertThat(in.read()).as("closed, nothing answered").isEqualTo(-1);
        }

        // unpublishing the last API stops the service: its Pod goes
        assertThat(admin.post("dataservice/apis/" + api.id() + "/unpublish", null).status()).isEqualTo(200);
        JsonNode stopped = awaitFinal(instance);
        assertThat(stopped.get("status").asString()).isEqualTo("CANCELLED");
    }

    @Test
    @DisplayName("no retention: an ended Pod and its Secret go once the outcome is recorded (the log kept); leftovers go at restart; a released group's namespace goes")
    void cleanUp() {
        // SPEC HA-3: srg removes what it is done with, and only that
        String group = groupIn("k8s-b", fx.network("k8s-b", "k8s-b-a"));
        String ws = workspaceIn("k8s-b", group);
        String ns = KubernetesNames.namespace("srg-", group);
        String id = submit(ws, "echo kept; exit 4", 0.25, null);
        String name = KubernetesNames.pod(id);
        JsonNode done = awaitFinal(id);
        assertThat(done.get("exitCode").asInt()).isEqualTo(4);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                cluster.pods().inNamespace(ns).withName(name).get() == null && cluster.secrets().inNamespace(ns).withName(name).get() == null);
        assertThat(admin.get("instances/" + id + "/log").text()).as("the log srg kept").isEqualTo("kept\n");

        // what a crash between the record and the removal leaves: the ended Pod and its Secret; and another installation's Pod
        Pod left = kubelet.startedPod(ns, name);
        left.getMetadata().setResourceVersion(null);
        left.getMetadata().setUid(null);
        left.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Succeeded").build());
        cluster.pods().inNamespace(ns).resource(left).create();
        cluster.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                .withName(name).withNamespace(ns).withLabels(left.getMetadata().getLabels())
                .withAnnotations(Map.of("srg.dev/run", id, "srg.dev/state", "launched")).endMetadata().build()).create();
        cluster.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("srg-foreign")
                .endMetadata().build()).create();
        Pod foreign = new io.fabric8.kubernetes.api.model.PodBuilder(left).editMetadata().withNamespace("srg-foreign").withName("srg-foreign")
                .withAnnotations(Map.of("srg.dev/run", "ins-not-known-here")).endMetadata().build();
        cluster.pods().inNamespace("srg-foreign").resource(foreign).create();
        server.restart();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                cluster.pods().inNamespace(ns).withName(name).get() == null && cluster.secrets().inNamespace(ns).withName(name).get() == null);
        assertThat(cluster.pods().inNamespace("srg-foreign").withName("srg-foreign").get()).as("not srg's to remove").isNotNull();
        assertThat(kubelet.starts(ns, name)).isEqualTo(1);

        // the released group's namespace (with its quota and policy) goes
        assertThat(cluster.namespaces().withName(ns).get()).isNotNull();
        var released = admin.delete("resource-groups/" + group);
        assertThat(released.status()).as(released.toString()).isBetween(200, 204);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                cluster.namespaces().withName(ns).get() == null);
    }

    @Test
    @DisplayName("a removed Pod's log is served by every server of the cluster, also one with a task directory of its own; bounded")
    void keptLogFromAnyServer() throws Exception {
        // SPEC HA-3: logs from the Pod, kept when srg removes it; SPEC HA-1: any server serves the API, on any machine
        String group = groupIn("k8s-b", fx.network("k8s-b", "k8s-b-a"));
        String ws = workspaceIn("k8s-b", group);
        String ns = KubernetesNames.namespace("srg-", group);
        String id = submit(ws, "echo from any server", 0.25, null);
        awaitFinal(id);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(id)).get() == null);
        // a follower: its own data and task directories, as a server on another machine has
        try (TestServer follower = server.second(c -> c.withRegionsFile(regions))) {
            assertThat(follower.admin().get("instances/" + id + "/log").text()).as("the kept log, read by the follower")
                    .isEqualTo("from any server\n");
            assertThat(follower.admin().get("instances/" + id + "/log?offset=5").text()).isEqualTo("any server\n");
        }
        // bounded as a local task's output is: the first bytes, then how much was dropped
        var db = server.database();
        var kept = new dev.srg.task.KeptRunLogs(org.jdbi.v3.core.Jdbi.create(db.url(), db.user(), db.password()), 10);
        kept.keep("ins-bounded", "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        kept.keep("ins-bounded", "another".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(new String(kept.read("ins-bounded").orElseThrow(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("0123456789\n[srg] output truncated: 6 bytes beyond the cap of 10 bytes were not kept\n");
    }

    @Test
    @DisplayName("a kept log goes once its region's retention passed, and only that backend's; 0 keeps them for ever")
    void keptLogsGoAfterTheirRetention() throws Exception {
        // SPEC HA-3: what srg keeps of a removed Pod is bounded in time as well as in size
        String group = groupIn("k8s-b", fx.network("k8s-b", "k8s-b-a"));
        String ws = workspaceIn("k8s-b", group);
        String ns = KubernetesNames.namespace("srg-", group);
        String old = submit(ws, "echo old", 0.25, null);
        String recent = submit(ws, "echo recent", 0.25, null);
        awaitFinal(old);
        awaitFinal(recent);
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(old)).get() == null
                        && cluster.pods().inNamespace(ns).withName(KubernetesNames.pod(recent)).get() == null);
        assertThat(admin.get("instances/" + old + "/log").text()).isEqualTo("old\n");
        // a run of region local (retention 0: for ever), its log kept long ago
        String forEver = submit(fx.workspace(groupOn(fx.network(), 2)).get("id").asString(), "echo kept for ever", 0.25, null);
        awaitFinal(forEver);
        var db = server.database();
        var jdbi = org.jdbi.v3.core.Jdbi.create(db.url(), db.user(), db.password());
        new dev.srg.task.KeptRunLogs(jdbi, 1024).keep(forEver, "kept for ever\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        jdbi.useHandle(h -> {
            h.createUpdate("UPDATE kept_run_logs SET kept_at = now() - interval '31 days' WHERE run_id = :id").bind("id", old).execute();
            h.createUpdate("UPDATE kept_run_logs SET kept_at = now() - interval '29 days' WHERE run_id = :id").bind("id", recent).execute();
            h.createUpdate("UPDATE kept_run_logs SET kept_at = now() - interval '3000 days' WHERE run_id = :id").bind("id", forEver)
                    .execute();
        });
        java.util.function.Function<String, Boolean> kept = id -> jdbi.withHandle(h -> h.createQuery(
                "SELECT count(*) FROM kept_run_logs WHERE run_id = :id").bind("id", id).mapTo(Integer.class).one() == 1);
        // removed at a clean-up of backend kubernetes-b (every sixth: 6 s with its 100 ms polls)
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> !kept.apply(old));
        assertThat(kept.apply(recent)).as("within its retention").isTrue();
        assertThat(admin.get("instances/" + recent + "/log").text()).isEqualTo("recent\n");
        assertThat(kept.apply(forEver)).as("another backend's, whose region keeps them for ever").isTrue();
    }

    private static String submitSync(String ws) {
        Map<String, Object> job = Map.of(
                "setting", Map.of("speed", Map.of("channel", 2), "errorLimit", Map.of("record", 0)),
                "reader", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg-in", "table", List.of("src"),
                        "column", List.of("id", "label"), "splitPk", "id")),
                "writer", Map.of("plugin", "postgresql", "parameter", Map.of("datasource", "pg-out", "table", List.of("dst"),
                        "column", List.of("id", "label"), "writeMode", "insert")));
        var r = admin.post("instances", Map.of("workspaceId", ws, "type", "DATA_INTEGRATION", "cu", 0.5, "sync", job,
                "timeoutSeconds", 300));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static String dataSource(String ws, String name, TestDatabases.Fresh db) {
        return fx.postgresDataSource(ws, name, db);
    }

    /** A RUNNING pay-as-you-go group of 2 CU in {@code region} (zone {@code <region>-a}). */
    private static String groupIn(String region, Fixtures.Network net) {
        Map<String, Object> body = new HashMap<>(fx.payAsYouGoBody(net, 2));
        body.put("regionId", region);
        body.put("zoneId", region + "-a");
        var r = admin.post("resource-groups", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return fx.awaitRunning(r.id()).get("id").asString();
    }

    private static String workspaceIn(String region, String group) {
        var r = admin.post("workspaces", Map.of("name", "ws-" + group, "regionId", region, "defaultResourceGroupId", group));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    /**
     * A stand-in for the worker image's /opt/srg: links to this build's classes and jars, so that the
     * Pod's classpath is the image's, not the server's.
     */
    private static String workerImageClasspath(Path root) throws Exception {
        Path lib = Files.createDirectories(root.resolve("lib"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p)) {
                Path link = root.resolve("classes-" + n++);
                Files.createSymbolicLink(link, p);
                entries.add(link.toString());
            } else if (p.toString().endsWith(".jar") && !Files.exists(lib.resolve(p.getFileName()))) {
                Files.createSymbolicLink(lib.resolve(p.getFileName()), p);
            }
        }
        entries.add(lib + "/*");
        return String.join(":", entries);
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
        return awaitFinal(id, Duration.ofSeconds(60));
    }

    private static JsonNode awaitFinal(String id, Duration atMost) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }
}
