package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.server.ServerExtensions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** A region names its backend: two regions on two backends, the second a test backend. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BackendsPerRegionTest {
    static final AtomicReference<InProcessTestBackend> TEST_BACKEND = new AtomicReference<>();
    static TestServer server;
    static TestHttp admin;
    static Fixtures fx;

    @BeforeAll
    static void start() throws Exception {
        Path regions = Files.createTempFile("regions", ".json");
        Files.writeString(regions, """
                [{"id": "local", "name": "Local", "purchasable": true, "zones": [{"id": "local-a", "name": "A"}]},
                 {"id": "elsewhere", "name": "Elsewhere", "purchasable": true, "zones": [{"id": "elsewhere-a", "name": "A"}],
                  "backend": "in-process-test"}]""");
        Path base = InProcessTestBackend.tempBase();
        server = TestServer.start(new ServerExtensions(List.of(), Map.of("in-process-test", listener -> {
            InProcessTestBackend b = new InProcessTestBackend("in-process-test", base, listener);
            TEST_BACKEND.set(b);
            return b;
        })), c -> c.withRegionsFile(regions));
        admin = server.admin();
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @DisplayName("tasks of a group in region B reach backend B only; those of region A run on the local backend")
    void eachRegionOnItsBackend() {
        String local = fx.subscriptionGroup(2).get("id").asString();
        String localWs = fx.workspace(local).get("id").asString();
        var net = fx.network("elsewhere", "elsewhere-a");
        Map<String, Object> body = new HashMap<>(fx.subscriptionBody(net, 2));
        body.put("regionId", "elsewhere");
        body.put("zoneId", "elsewhere-a");
        var created = admin.post("resource-groups", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String remote = fx.awaitRunning(created.id()).get("id").asString();
        var ws = admin.post("workspaces", Map.of("name", "ws-elsewhere", "regionId", "elsewhere",
                "defaultResourceGroupId", remote));
        assertThat(ws.status()).as(ws.toString()).isEqualTo(201);

        String onLocal = admin.post("instances", Map.of("workspaceId", localWs, "type", "SHELL", "script",
                "echo on local", "cu", 0.25)).id();
        String onRemote = admin.post("instances", Map.of("workspaceId", ws.id(), "type", "SHELL", "script",
                "echo on $SRG_RESOURCE_GROUP_ID", "cu", 0.25)).id();
        JsonNode localDone = await(onLocal);
        JsonNode remoteDone = await(onRemote);
        assertThat(localDone.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(remoteDone.get("status").asString()).as(remoteDone.toString()).isEqualTo("SUCCEEDED");

        // the test backend got region B's launch only, with the group's network context
        var launches = TEST_BACKEND.get().launches();
        assertThat(launches).extracting(s -> s.instanceId()).containsExactly(onRemote);
        var spec = launches.get(0);
        assertThat(spec.command().argv()).containsExactly("bash", "script.sh");
        assertThat(spec.limits().milliCu()).isEqualTo(250);
        assertThat(spec.network().vpcs()).hasSize(1);
        assertThat(spec.network().vpcs().get(0).vpcId()).isEqualTo(net.vpcId());
        assertThat(spec.network().vpcs().get(0).vswitchCidrs()).hasSize(1);
        assertThat(spec.imageId()).isEmpty();
        // logs come from the backend that ran it
        assertThat(admin.get("instances/" + onRemote + "/log").text()).isEqualTo("on " + remote + "\n");
        assertThat(admin.get("instances/" + onLocal + "/log").text()).isEqualTo("on local\n");
        // SPEC RT-3: each instance records its own backend's enforcement
        assertThat(remoteDone.get("enforcement").get("network").get("note").asString()).contains("test backend");
        assertThat(localDone.get("enforcement").get("network").get("note").asString())
                .contains(TaskKindsApiTest.canEnforceNetworks() ? "own network namespace" : "host's network namespace");
    }

    private static JsonNode await(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }
}
