package dev.srg.connectivity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.TestCli;
import dev.srg.testing.TestNetworkHosts;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /resource-groups/{id}/connectivity-tests} makes real connections from inside the
 * group's network to test hosts in namespaces this test creates: a "database" in the VPC's CIDR,
 * a host in a routed CIDR and an "internet" host; and never reaches the host's own services.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConnectivityTestApiTest extends ServerTestBase {
    static final String DB = "10.92.0.5";
    static final String ROUTED = "192.168.78.10";
    static final String INTERNET = "198.51.100.20";

    private static TestNetworkHosts hosts;

    @BeforeAll
    static void testHosts() throws Exception {
        assumeThat(System.getProperty("user.name")).as("network namespaces need root").isEqualTo("root");
        assumeThat(TestNetworkHosts.run("sh", "-c", "command -v nft")).as("nft").isNull();
        hosts = new TestNetworkHosts();
        hosts.startHost("cdb", "main", DB);
        hosts.startHost("crouted", "main", ROUTED);
        hosts.startHost("cinet", "main", INTERNET);
        hosts.awaitListening();
    }

    @AfterAll
    static void removeTestHosts() throws Exception {
        if (hosts != null) {
            hosts.close();
        }
    }

    private static JsonNode test(String group, Object host, Object port) {
        Map<String, Object> body = new HashMap<>();
        body.put("host", host);
        body.put("port", port);
        var r = admin.post("resource-groups/" + group + "/connectivity-tests", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    @Test
    @DisplayName("SPEC NET-7 NET-8 DI-1: a connectivity test answers reachable, the path and a reason a user can act on, from real connections")
    void pathsAndReasons() {
        var vpc = admin.post("vpcs", Map.of("name", "ct", "regionId", "local", "cidr", "10.92.0.0/16"));
        var vsw = admin.post("vpcs/" + vpc.id() + "/vswitches", Map.of("name", "ct", "zoneId", "local-a", "cidr", "10.92.1.0/24"));
        Map<String, Object> groupBody = fx.subscriptionBody(new dev.srg.testing.Fixtures.Network(vpc.id(), vsw.id(), "10.92.0.0/16"), 2);
        var created = admin.post("resource-groups", groupBody);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String rg = fx.awaitRunning(created.id()).get("id").asString();
        fx.workspace(rg);

        // SPEC NET-8: inside the bound VPC's CIDR
        JsonNode db = test(rg, DB, TestNetworkHosts.PORT);
        assertThat(db.get("reachable").asBoolean()).as(db.toString()).isTrue();
        assertThat(db.get("path").asString()).isEqualTo("VPC");
        assertThat(db.get("resolvedAddress").asString()).isEqualTo(DB);
        assertThat(db.get("latencyMillis").asLong()).isBetween(0L, 5000L);
        assertThat(db.get("networkEnforced").asBoolean()).isTrue();
        JsonNode closedPort = test(rg, DB, TestNetworkHosts.PORT + 1);
        assertThat(closedPort.get("reachable").asBoolean()).isFalse();
        assertThat(closedPort.get("path").asString()).isEqualTo("VPC");
        assertThat(closedPort.get("reason").asString()).contains("connection refused");

        // SPEC NET-8: a CIDR nobody declared; then a route to it (changes apply to tests started afterwards)
        JsonNode unrouted = test(rg, ROUTED, TestNetworkHosts.PORT);
        assertThat(unrouted.get("reachable").asBoolean()).isFalse();
        assertThat(unrouted.get("path").asString()).isEqualTo("NONE");
        assertThat(unrouted.get("reason").asString()).contains("not in a bound VPC or a route");

        // the same from the CLI: the answer as a table, exit 0 when reachable, 1 when not, 2 for a wrong call
        TestCli.Run reachableByCli = cli("rg", "connectivity-test", rg, "--host", DB, "--port", Integer.toString(TestNetworkHosts.PORT));
        assertThat(reachableByCli.exit()).as(reachableByCli.toString()).isZero();
        assertThat(reachableByCli.out()).contains("REACHABLE", "true", "VPC", DB);
        TestCli.Run unreachableByCli = cli("rg", "connectivity-test", rg, "--host", ROUTED, "--port", Integer.toString(TestNetworkHosts.PORT));
        assertThat(unreachableByCli.exit()).as(unreachableByCli.toString()).isEqualTo(1);
        assertThat(unreachableByCli.out()).contains("false", "NONE");
        assertThat(unreachableByCli.err()).contains("not reachable: ", "not in a bound VPC or a route");
        assertThat(cli("rg", "connectivity-test", rg, "--host", DB).exit()).isEqualTo(2);
        assertThat(cli("rg", "connectivity-test", rg, "--host", DB, "--port", "80", "--data-source", "ds-x").exit()).isEqualTo(2);
        var route = admin.post("vpcs/" + vpc.id() + "/routes", Map.of("destinationCidr", "192.168.78.0/24", "via", "VPN_GATEWAY"));
        assertThat(route.status()).as(route.toString()).isEqualTo(201);
        JsonNode routed = test(rg, ROUTED, TestNetworkHosts.PORT);
        assertThat(routed.get("reachable").asBoolean()).as(routed.toString()).isTrue();
        assertThat(routed.get("path").asString()).isEqualTo("ROUTE");

        // SPEC NET-7: no internet without a NAT gateway with an EIP; with one, yes
        JsonNode noNat = test(rg, INTERNET, TestNetworkHosts.PORT);
        assertThat(noNat.get("reachable").asBoolean()).isFalse();
        assertThat(noNat.get("path").asString()).isEqualTo("NONE");
        assertThat(noNat.get("reason").asString()).contains("no NAT gateway with an EIP");
        var nat = admin.put("vpcs/" + vpc.id() + "/nat-gateway", Map.of("eip", "203.0.113.9"));
        assertThat(nat.status()).as(nat.toString()).isEqualTo(200);
        JsonNode internet = test(rg, INTERNET, TestNetworkHosts.PORT);
        assertThat(internet.get("reachable").asBoolean()).as(internet.toString()).isTrue();
        assertThat(internet.get("path").asString()).isEqualTo("INTERNET");

        // SPEC NET-8: the host's services (srg's API here) and 21.0.0.0/8, never
        JsonNode api = test(rg, "127.0.0.1", java.net.URI.create(server.url()).getPort());
        assertThat(api.get("reachable").asBoolean()).as(api.toString()).isFalse();
        assertThat(api.get("path").asString()).isEqualTo("NONE");
        JsonNode reserved = test(rg, "21.0.0.1", 80);
        assertThat(reserved.get("reachable").asBoolean()).isFalse();
        assertThat(reserved.get("reason").asString()).contains("reserved");

        // SPEC ADM-1 RG-7: each test was a CONNECTIVITY_TEST instance on the group (the CLI's two included)
        var list = admin.get("instances?resourceGroupId=" + rg + "&usageType=CONNECTIVITY_TEST&pageSize=100");
        assertThat(list.json().get("items").size()).isEqualTo(10);
        JsonNode one = admin.get("instances/" + db.get("instanceId").asString()).json();
        assertThat(one.get("type").asString()).isEqualTo("CONNECTIVITY_TEST");
        assertThat(one.get("usageType").asString()).isEqualTo("CONNECTIVITY_TEST");
    }

    @Test
    @DisplayName("SPEC NET-9: a group's tasks resolve the records of zones attached to its VPCs, no other group's; changes apply to tasks started afterwards")
    void privateZones() {
        var vpc = admin.post("vpcs", Map.of("name", "pz", "regionId", "local", "cidr", "10.92.0.0/16"));
        var vsw = admin.post("vpcs/" + vpc.id() + "/vswitches", Map.of("name", "pz", "zoneId", "local-a", "cidr", "10.92.1.0/24"));
        var created = admin.post("resource-groups", fx.subscriptionBody(new dev.srg.testing.Fixtures.Network(vpc.id(), vsw.id(), "10.92.0.0/16"), 2));
        String rg = fx.awaitRunning(created.id()).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        // another group, on a VPC of the same CIDR that the zone is not attached to
        String other = fx.subscriptionGroup(2).get("id").asString();
        fx.workspace(other);

        var zone = admin.post("private-zones", Map.of("name", "Corp.Internal", "vpcIds", java.util.List.of(vpc.id())));
        assertThat(zone.status()).as(zone.toString()).isEqualTo(201);
        assertThat(zone.json().get("name").asString()).isEqualTo("corp.internal");
        var record = admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "type", "A", "value", DB));
        assertThat(record.status()).as(record.toString()).isEqualTo(201);
        assertThat(record.json().get("fqdn").asString()).isEqualTo("db.corp.internal");
        assertThat(admin.get("private-zones/" + zone.id()).json().get("records").size()).isEqualTo(1);

        JsonNode byName = test(rg, "db.corp.internal", TestNetworkHosts.PORT);
        assertThat(byName.get("reachable").asBoolean()).as(byName.toString()).isTrue();
        assertThat(byName.get("resolvedAddress").asString()).isEqualTo(DB);
        assertThat(byName.get("path").asString()).isEqualTo("VPC");
        JsonNode elsewhere = test(other, "db.corp.internal", TestNetworkHosts.PORT);
        assertThat(elsewhere.get("reachable").asBoolean()).isFalse();
        assertThat(elsewhere.get("path").asString()).isEqualTo("NONE");
        assertThat(elsewhere.get("reason").asString()).contains("does not resolve");

        // a real task resolves it too; its /etc/hosts is not its to edit
        var task = admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "cu", 0.25, "script",
                "getent hosts db.corp.internal; echo 10.92.0.9 db.corp.internal >> /etc/hosts || echo no-edit"));
        JsonNode done = dev.srg.task.InstanceApiTestAccess.awaitFinal(task.id());
        String log = admin.get("instances/" + task.id() + "/log").text();
        assertThat(log).as(done.toString()).contains(DB, "db.corp.internal", "no-edit");
        assertThat(done.get("enforcement").get("dns").get("note").asString()).contains("1 private-zone records");

        // removing the record applies to tests started afterwards
        assertThat(admin.delete("private-zones/" + zone.id() + "/records/" + record.id()).status()).isEqualTo(204);
        JsonNode gone = test(rg, "db.corp.internal", TestNetworkHosts.PORT);
        assertThat(gone.get("reachable").asBoolean()).isFalse();
        assertThat(gone.get("reason").asString()).contains("does not resolve");

        // bad input: 4xx naming the field, nothing stored
        assertThat(admin.post("private-zones", Map.of("name", "x", "vpcIds", java.util.List.of("vpc-nope"))).field()).isEqualTo("vpcIds");
        assertThat(admin.post("private-zones", Map.of("name", "bad name", "vpcIds", java.util.List.of(vpc.id()))).field()).isEqualTo("name");
        assertThat(admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "a", "type", "A", "value", "10.1")).field())
                .isEqualTo("value");
        assertThat(admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "a", "type", "CNAME", "value", DB)).field())
                .isEqualTo("type");
        assertThat(admin.delete("private-zones/" + zone.id()).status()).isEqualTo(204);
        assertThat(admin.get("private-zones/" + zone.id()).status()).isEqualTo(404);
    }

    @Test
    @DisplayName("SPEC NET-8 NET-9 RG-8: a task's namespace, link, policy rule and resolver exist while it runs and are gone when its group is released")
    void releasedGroupLeavesNothing() throws Exception {
        String rg = fx.payAsYouGoGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        // a zone on the group's VPC: the task gets a resolver of its own
        String vpc = admin.get("resource-groups/" + rg).json().get("networks").get(0).get("vpcId").asString();
        var zone = admin.post("private-zones", Map.of("name", "rel.internal", "vpcIds", java.util.List.of(vpc)));
        assertThat(admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "type", "A", "value", DB)).status()).isEqualTo(201);
        var task = admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "cu", 0.5, "script", "echo up; sleep 600"));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> admin.get("instances/" + task.id() + "/log").text().contains("up"));
        assertThat(namespacesOf(task.id())).hasSize(1);
        String ns = namespacesOf(task.id()).get(0);
        String link = java.util.Arrays.stream(TestNetworkHosts.output("ip", "-o", "link").split("\n"))
                .filter(l -> l.contains("link-netns " + ns)).map(l -> l.split(":")[1].strip().split("@")[0]).findFirst().orElseThrow();
        assertThat(rules()).contains("iif " + link + " ");
        assertThat(resolversOf(task.id())).hasSize(1);
        // issue 17: the resolver serves the task at the server's CPU priority, not at the launch's lowered one
        assertThat(niceOf(resolversOf(task.id()).get(0))).isEqualTo(niceOf(ProcessHandle.current().pid()));
        assertThat(admin.delete("resource-groups/" + rg).status()).isEqualTo(204);
        admin.post("instances/" + task.id() + "/cancel", null);
        dev.srg.task.InstanceApiTestAccess.awaitFinal(task.id());
        server.runBackgroundJobs();
        assertThat(admin.get("resource-groups/" + rg).json().get("status").asString()).isEqualTo("RELEASED");
        assertThat(namespacesOf(task.id())).isEmpty();
        assertThat(rules()).doesNotContain("iif " + link + " ");
        assertThat(resolversOf(task.id())).isEmpty();
        // the kernel removes the namespace's links just after its name
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> !TestNetworkHosts.output("ip", "-o", "link").contains(link + "@"));
    }

    private static String rules() throws Exception {
        return TestNetworkHosts.output("ip", "-4", "rule", "show", "priority", "9000");
    }

    /** Field 19 of /proc/PID/stat. */
    private static int niceOf(long pid) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    private static java.util.List<Long> resolversOf(String instanceId) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("dnsmasq") && c.contains(instanceId)).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    /** The srg CLI, in this JVM, against the test server as the admin. */
    private static TestCli.Run cli(String... args) {
        return TestCli.asAdmin(server, args);
    }

    private static java.util.List<String> namespacesOf(String instanceId) throws Exception {
        try (var names = java.nio.file.Files.list(java.nio.file.Path.of("/run/netns"))) {
            return names.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("-" + instanceId)).toList();
        }
    }

    @Test
    @DisplayName("bad connectivity tests are 400s naming the field; an unknown group is a 404")
    void badInput() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        fx.workspace(rg);
        var noPort = admin.post("resource-groups/" + rg + "/connectivity-tests", Map.of("host", DB));
        assertThat(noPort.status()).isEqualTo(400);
        assertThat(noPort.field()).isEqualTo("port");
        var badPort = admin.post("resource-groups/" + rg + "/connectivity-tests", Map.of("host", DB, "port", 70000));
        assertThat(badPort.status()).isEqualTo(400);
        assertThat(badPort.field()).isEqualTo("port");
        var badHost = admin.post("resource-groups/" + rg + "/connectivity-tests", Map.of("host", "a b; rm", "port", 80));
        assertThat(badHost.status()).isEqualTo(400);
        assertThat(badHost.field()).isEqualTo("host");
        var unknown = admin.post("resource-groups/rg-nope/connectivity-tests", Map.of("host", DB, "port", 80));
        assertThat(unknown.status()).isEqualTo(404);
        String lonely = fx.subscriptionGroup(2).get("id").asString();
        var noWorkspace = admin.post("resource-groups/" + lonely + "/connectivity-tests", Map.of("host", DB, "port", 80));
        assertThat(noWorkspace.status()).isEqualTo(400);
        assertThat(noWorkspace.code()).isEqualTo("InvalidParameter.ResourceGroup.NoWorkspace");
    }
}
