package dev.srg.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;

/** Builds the control-plane objects tests need, through the public API as the administrator. */
public final class Fixtures {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final TestServer server;
    private final TestHttp admin;

    public Fixtures(TestServer server) {
        this.server = server;
        this.admin = server.admin();
    }

    public record User(String id, String name, String token, TestHttp http) {}

    public record Network(String vpcId, String vswitchId, String cidr) {}

    public User user(String... policies) {
        String name = "user" + SEQ.incrementAndGet();
        var r = admin.post("users", Map.of("name", name, "policies", List.of(policies)));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String token = r.json().get("token").asString();
        return new User(r.id(), name, token, server.as(token));
    }

    /** A VPC with one vSwitch in {@code zoneId}; blocks are unique per call. */
    public Network network(String regionId, String zoneId) {
        int n = SEQ.incrementAndGet() % 250;
        String cidr = "10." + n + ".0.0/16";
        var vpc = admin.post("vpcs", Map.of("name", "vpc" + n, "regionId", regionId, "cidr", cidr));
        assertThat(vpc.status()).as(vpc.toString()).isEqualTo(201);
        var vsw = admin.post("vpcs/" + vpc.id() + "/vswitches", Map.of("name", "vsw" + n, "zoneId", zoneId, "cidr", "10." + n + ".1.0/24"));
        assertThat(vsw.status()).as(vsw.toString()).isEqualTo(201);
        return new Network(vpc.id(), vsw.id(), cidr);
    }

    public Network network() {
        return network("local", "local-a");
    }

    public Map<String, Object> subscriptionBody(Network net, int specCu) {
        Map<String, Object> body = new HashMap<>();
        body.put("name", "sub-" + SEQ.incrementAndGet());
        body.put("regionId", "local");
        body.put("zoneId", "local-a");
        body.put("billingMode", "SUBSCRIPTION");
        body.put("specCu", specCu);
        body.put("billingCycle", Map.of("unit", "MONTH", "count", 1));
        body.put("autoRenew", false);
        body.put("vpcId", net.vpcId());
        body.put("vswitchId", net.vswitchId());
        return body;
    }

    public Map<String, Object> payAsYouGoBody(Network net, int maxCu) {
        Map<String, Object> body = new HashMap<>();
        body.put("name", "payg-" + SEQ.incrementAndGet());
        body.put("regionId", "local");
        body.put("zoneId", "local-a");
        body.put("billingMode", "PAY_AS_YOU_GO");
        body.put("maxCu", maxCu);
        body.put("vpcId", net.vpcId());
        body.put("vswitchId", net.vswitchId());
        return body;
    }

    /** A RUNNING subscription group. */
    public JsonNode subscriptionGroup(int specCu) {
        var r = admin.post("resource-groups", subscriptionBody(network(), specCu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return awaitRunning(r.id());
    }

    /** A RUNNING pay-as-you-go group. */
    public JsonNode payAsYouGoGroup(int maxCu) {
        var r = admin.post("resource-groups", payAsYouGoBody(network(), maxCu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return awaitRunning(r.id());
    }

    public JsonNode awaitRunning(String groupId) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("resource-groups/" + groupId).json();
            return "RUNNING".equals(last[0].path("status").asString());
        });
        return last[0];
    }

    /** A POSTGRESQL data source of workspace {@code workspaceId} named {@code name}, for database {@code db}; its id. */
    public String postgresDataSource(String workspaceId, String name, TestDatabases.Fresh db) {
        String rest = db.url().substring("jdbc:postgresql://".length());
        String hostPort = rest.substring(0, rest.indexOf('/'));
        var r = admin.post("data-sources", Map.of("name", name, "workspaceId", workspaceId, "type", "POSTGRESQL",
                "host", hostPort.substring(0, hostPort.lastIndexOf(':')),
                "port", Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)),
                "database", rest.substring(rest.indexOf('/') + 1), "user", db.user(), "password", db.password()));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    /** A workspace in region local, created by the administrator, with {@code groupId} associated and default. */
    public JsonNode workspace(String groupId) {
        Map<String, Object> body = new HashMap<>();
        body.put("name", "ws-" + SEQ.incrementAndGet());
        body.put("regionId", "local");
        if (groupId != null) {
            body.put("defaultResourceGroupId", groupId);
        }
        var r = admin.post("workspaces", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }
}
