package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.NetworkContext;
import dev.srg.task.InstanceApiTestAccess;
import dev.srg.testing.Fixtures;
import dev.srg.testing.ServerTestBase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The group's network context is kept in memory between launches (issue 17) and never outlives a
 * change: each reader here is a separate {@link GroupNetworkContext} on its own connections, as a
 * cluster's leader is to the server (or session) that makes the change.
 */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GroupNetworkContextTest extends ServerTestBase {

    private static Jdbi jdbi() {
        var db = server.database();
        return Jdbi.create(db.url(), db.user(), db.password());
    }

    private static Connection connection() throws Exception {
        var db = server.database();
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    @Test
    @DisplayName("SPEC NET-5 NET-7 NET-8 NET-9: every change to routes, NAT, vSwitches and private zones reaches the next read; nothing else re-reads")
    void everyChangeReachesTheNextRead() throws Exception {
        Fixtures.Network net = fx.network();
        String rg = group(net);
        GroupNetworkContext contexts = new GroupNetworkContext(jdbi());

        NetworkContext first = contexts.of(rg);
        assertThat(first.vpcs()).singleElement().satisfies(v -> {
            assertThat(v.vpcId()).isEqualTo(net.vpcId());
            assertThat(v.routes()).isEmpty();
            assertThat(v.natGatewayEip()).isEmpty();
        });

        // kept: a row changed behind the triggers' back (replica mode fires none) is not seen
        try (Connection c = connection(); var s = c.createStatement()) {
            s.execute("SET session_replication_role = replica");
            s.execute("UPDATE vpcs SET nat_eip = '203.0.113.77' WHERE id = '" + net.vpcId() + "'");
            s.execute("UPDATE vpcs SET nat_eip = NULL WHERE id = '" + net.vpcId() + "'");
        }
        assertThat(contexts.of(rg)).isSameAs(first);

        assertThat(admin.post("vpcs/" + net.vpcId() + "/routes", Map.of("destinationCidr", "192.168.79.0/24", "via", "VPN_GATEWAY"))
                .status()).isEqualTo(201);
        assertThat(contexts.of(rg).vpcs().getFirst().routes())
                .containsExactly(new NetworkContext.RouteEntry("192.168.79.0/24", "VPN_GATEWAY"));

        assertThat(admin.put("vpcs/" + net.vpcId() + "/nat-gateway", Map.of("eip", "203.0.113.9")).status()).isEqualTo(200);
        assertThat(contexts.of(rg).vpcs().getFirst().natGatewayEip()).contains("203.0.113.9");

        String cidr = net.cidr().replace(".0.0/16", ".2.0/24");
        assertThat(admin.post("vpcs/" + net.vpcId() + "/vswitches", Map.of("name", "second", "zoneId", "local-a", "cidr", cidr))
                .status()).isEqualTo(201);
        assertThat(contexts.of(rg).vpcs().getFirst().vswitchCidrs()).contains(cidr);

        var zone = admin.post("private-zones", Map.of("name", "kept.internal", "vpcIds", List.of(net.vpcId())));
        assertThat(zone.status()).as(zone.toString()).isEqualTo(201);
        assertThat(admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "type", "A", "value", "10.9.9.9"))
                .status()).isEqualTo(201);
        assertThat(contexts.of(rg).dnsRecords()).containsExactly(new NetworkContext.DnsRecord("db.kept.internal", "A", "10.9.9.9"));
        assertThat(admin.delete("private-zones/" + zone.id()).status()).isEqualTo(204);
        assertThat(contexts.of(rg).dnsRecords()).isEmpty();
    }

    @Test
    @DisplayName("A context read while a change is made but not committed is not kept: the committed change reaches the next read")
    void aChangeInFlightIsNotKept() throws Exception {
        Fixtures.Network net = fx.network();
        String rg = group(net);
        GroupNetworkContext contexts = new GroupNetworkContext(jdbi());
        assertThat(contexts.of(rg).vpcs().getFirst().routes()).isEmpty();

        try (Connection writer = connection()) {
            writer.setAutoCommit(false);
            try (var s = writer.createStatement()) {
                s.execute("INSERT INTO vpc_routes (id, vpc_id, destination_cidr, via, created_at) VALUES ('rt-inflight', '"
                        + net.vpcId() + "', '192.168.80.0/24', 'VPN_GATEWAY', now())");
            }
            // the generation has moved, the row is not visible yet: read (the old context), not kept
            assertThat(contexts.of(rg).vpcs().getFirst().routes()).isEmpty();
            writer.commit();
        }
        assertThat(contexts.of(rg).vpcs().getFirst().routes())
                .containsExactly(new NetworkContext.RouteEntry("192.168.80.0/24", "VPN_GATEWAY"));
    }

    @Test
    @DisplayName("SPEC NET-9: a task started after a private-zone change resolves the new record, though the group's context was kept")
    void theNextTaskGetsTheNewContext() {
        assumeThat(System.getProperty("user.name")).as("network namespaces need root").isEqualTo("root");
        Fixtures.Network net = fx.network();
        String rg = group(net);
        String ws = fx.workspace(rg).get("id").asString();
        var zone = admin.post("private-zones", Map.of("name", "next.internal", "vpcIds", List.of(net.vpcId())));
        assertThat(zone.status()).as(zone.toString()).isEqualTo(201);
        String script = "getent hosts db.next.internal || echo unresolved";

        JsonNode before = run(ws, script);
        assumeThat(before.get("enforcement").get("network").get("enforced").asBoolean()).as("network enforced here").isTrue();
        assertThat(admin.get("instances/" + before.get("id").asString() + "/log").text()).contains("unresolved");

        assertThat(admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "type", "A", "value", "10.9.9.10"))
                .status()).isEqualTo(201);
        JsonNode after = run(ws, script);
        assertThat(admin.get("instances/" + after.get("id").asString() + "/log").text()).contains("10.9.9.10", "db.next.internal");
    }

    @Test
    @DisplayName("SPEC NET-9, NET-6: one name in zones of two VPCs of a group: its task's resolver answers the first binding's "
            + "record only, and a name only the second has")
    void oneNameOnTwoVpcsTheFirstBindingAnswers() {
        assumeThat(System.getProperty("user.name")).as("network namespaces need root").isEqualTo("root");
        Fixtures.Network first = fx.network();
        Fixtures.Network second = fx.network();
        String rg = group(first);
        var bound = admin.post("resource-groups/" + rg + "/networks", Map.of("vpcId", second.vpcId(), "vswitchId", second.vswitchId()));
        assertThat(bound.status()).as(bound.toString()).isEqualTo(201);
        String ws = fx.workspace(rg).get("id").asString();
        // the second VPC's zone first: the answer must not follow the zones' ages
        var later = admin.post("private-zones", Map.of("name", "twice.internal", "vpcIds", List.of(second.vpcId())));
        var earlier = admin.post("private-zones", Map.of("name", "twice.internal", "vpcIds", List.of(first.vpcId())));
        assertThat(later.status()).as(later.toString()).isEqualTo(201);
        assertThat(earlier.status()).as(earlier.toString()).isEqualTo(201);
        for (var r : List.of(List.of(later.id(), "db", "10.9.8.2"), List.of(later.id(), "api", "10.9.8.3"),
                List.of(earlier.id(), "db", "10.9.8.1"))) {
            assertThat(admin.post("private-zones/" + r.get(0) + "/records", Map.of("name", r.get(1), "type", "A", "value", r.get(2)))
                    .status()).isEqualTo(201);
        }
        JsonNode done = run(ws, "getent ahostsv4 db.twice.internal; getent hosts api.twice.internal || echo unresolved");
        assumeThat(done.get("enforcement").get("network").get("enforced").asBoolean()).as("network enforced here").isTrue();
        String log = admin.get("instances/" + done.get("id").asString() + "/log").text();
        assertThat(log).as("the first binding's record").contains("10.9.8.1").doesNotContain("10.9.8.2");
        assertThat(log).as("a name only the second binding's zone has").contains("10.9.8.3");
    }

    private static String group(Fixtures.Network net) {
        var created = admin.post("resource-groups", fx.subscriptionBody(net, 2));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return fx.awaitRunning(created.id()).get("id").asString();
    }

    private static JsonNode run(String ws, String script) {
        var task = admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "cu", 0.25, "script", script));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        JsonNode done = InstanceApiTestAccess.awaitFinal(task.id());
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        return done;
    }
}
