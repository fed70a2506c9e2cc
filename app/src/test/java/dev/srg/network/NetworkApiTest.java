package dev.srg.network;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.HeldTransaction;
import dev.srg.testing.ServerTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NetworkApiTest extends ServerTestBase {
    @Test
    @DisplayName("SPEC NET-1: regions come from the catalog; a group needs an existing, purchasable region and one of its zones")
    void regions() {
        var regions = admin.get("regions").json();
        assertThat(regions).anySatisfy(r -> {
            assertThat(r.get("id").asString()).isEqualTo("local");
            assertThat(r.get("purchasable").asBoolean()).isTrue();
            assertThat(r.get("zones")).hasSize(2);
        });
        assertThat(regions).anySatisfy(r -> assertThat(r.get("purchasable").asBoolean()).isFalse());
        var net = fx.network();
        var body = fx.subscriptionBody(net, 2);
        body.put("regionId", "th-bangkok");
        body.put("zoneId", "th-bangkok-a");
        var closed = admin.post("resource-groups", body);
        assertThat(closed.status()).isEqualTo(400);
        assertThat(closed.code()).isEqualTo("InvalidParameter.Region.NotPurchasable");
        body.put("regionId", "mars-1");
        assertThat(admin.post("resource-groups", body).field()).isEqualTo("regionId");
        body.put("regionId", "local");
        body.put("zoneId", "th-bangkok-a");
        assertThat(admin.post("resource-groups", body).field()).isEqualTo("zoneId");
    }

    @Test
    @DisplayName("SPEC NET-3: a group needs a VPC and a vSwitch of that VPC in the group's zone; the VPC in the group's region")
    void vpcAndVSwitchRules() {
        var a = fx.network();
        var b = fx.network();
        var body = fx.subscriptionBody(a, 2);
        body.remove("vpcId");
        assertThat(admin.post("resource-groups", body).field()).isEqualTo("vpcId");
        body.put("vpcId", a.vpcId());
        body.put("vswitchId", b.vswitchId());
        var otherVpc = admin.post("resource-groups", body);
        assertThat(otherVpc.status()).isEqualTo(400);
        assertThat(otherVpc.code()).isEqualTo("InvalidParameter.VSwitch.NotInVpc");
        var zoneB = admin.post("vpcs/" + a.vpcId() + "/vswitches", Map.of("name", "b", "zoneId", "local-b", "cidr", a.cidr().replace("0.0/16", "2.0/24")));
        assertThat(zoneB.status()).as(zoneB.toString()).isEqualTo(201);
        body.put("vswitchId", zoneB.id());
        var wrongZone = admin.post("resource-groups", body);
        assertThat(wrongZone.code()).isEqualTo("InvalidParameter.VSwitch.Zone");
        var bkk = fx.network("th-bangkok", "th-bangkok-a");
        body.put("vpcId", bkk.vpcId());
        body.put("vswitchId", bkk.vswitchId());
        assertThat(admin.post("resource-groups", body).code()).isEqualTo("InvalidParameter.Vpc.Region");
        body.put("vpcId", "vpc-nope");
        var unknown = admin.post("resource-groups", body);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.field()).isEqualTo("vpcId");
    }

    @Test
    @DisplayName("SPEC NET-4: a VPC overlapping 21.0.0.0/8 cannot be bound; vSwitch blocks lie inside the VPC and do not overlap")
    void cidrRules() {
        for (String cidr : new String[] {"21.0.0.0/16", "21.255.0.0/16", "21.0.0.0/8", "21.128.0.0/9"}) {
            var vpc = admin.post("vpcs", Map.of("name", "reserved", "regionId", "local", "cidr", cidr));
            assertThat(vpc.status()).as(cidr + " " + vpc).isEqualTo(201);
            var prefix = Integer.parseInt(cidr.split("/")[1]);
            String vswCidr = cidr.replace("/" + prefix, "/24");
            var vsw = admin.post("vpcs/" + vpc.id() + "/vswitches", Map.of("name", "v", "zoneId", "local-a", "cidr", vswCidr));
            assertThat(vsw.status()).as(vsw.toString()).isEqualTo(201);
            var body = fx.subscriptionBody(new Fixtures.Network(vpc.id(), vsw.id(), cidr), 2);
            var r = admin.post("resource-groups", body);
            assertThat(r.status()).as(cidr).isEqualTo(400);
            assertThat(r.code()).isEqualTo("InvalidParameter.Vpc.ForbiddenCidr");
            assertThat(r.field()).isEqualTo("vpcId");
        }
        var vpc = admin.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "192.168.0.0/16")).id();
        assertThat(admin.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "192.168.1.0/24")).status()).isEqualTo(201);
        var outside = admin.post("vpcs/" + vpc + "/vswitches", Map.of("name", "b", "zoneId", "local-a", "cidr", "192.169.1.0/24"));
        assertThat(outside.code()).isEqualTo("InvalidParameter.VSwitch.CidrOutsideVpc");
        var overlap = admin.post("vpcs/" + vpc + "/vswitches", Map.of("name", "c", "zoneId", "local-a", "cidr", "192.168.0.0/20"));
        assertThat(overlap.code()).isEqualTo("InvalidParameter.VSwitch.CidrOverlap");
        var hostBits = admin.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.1/16"));
        assertThat(hostBits.status()).isEqualTo(400);
        assertThat(hostBits.json().get("detail").asString()).contains("10.0.0.0/16");
        for (String bad : new String[] {"10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "10.0.0.0/4", "10.0.0.0/29", "ten/8", "010.0.0.0/8"}) {
            var r = admin.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", bad));
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.field()).isEqualTo("cidr");
        }
    }

    @Test
    @DisplayName("SPEC NET-5: a released group's bindings do not hold its VPC (it could never be unbound): the VPC can be"
            + " deleted; a binding of a group not yet released still holds it")
    void releasedGroupDoesNotHoldItsVpc() {
        var net = fx.network();
        var created = admin.post("resource-groups", fx.payAsYouGoBody(net, 4));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String released = fx.awaitRunning(created.id()).get("id").asString();
        var other = admin.post("resource-groups", fx.payAsYouGoBody(net, 4));
        assertThat(other.status()).as(other.toString()).isEqualTo(201);
        String live = fx.awaitRunning(other.id()).get("id").asString();
        // nothing runs on it: released at once, and a released group's bindings cannot be removed
        assertThat(admin.delete("resource-groups/" + released).status()).isEqualTo(204);
        assertThat(admin.get("resource-groups/" + released).json().get("status").asString()).isEqualTo("RELEASED");
        String binding = admin.get("resource-groups/" + released + "/networks").json().get("items").get(0).get("id").asString();
        assertThat(admin.delete("resource-groups/" + released + "/networks/" + binding + "?force=true").status()).isEqualTo(409);
        // the live group still holds the VPC
        assertThat(admin.delete("vpcs/" + net.vpcId()).code()).isEqualTo("Vpc.InUse");
        assertThat(admin.delete("resource-groups/" + live).status()).isEqualTo(204);
        var deleted = admin.delete("vpcs/" + net.vpcId());
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
        assertThat(admin.get("vpcs/" + net.vpcId()).status()).isEqualTo(404);
        // the released groups still read (without the deleted VPC)
        var read = admin.get("resource-groups/" + released);
        assertThat(read.status()).as(read.toString()).isEqualTo(200);
        assertThat(read.json().get("status").asString()).isEqualTo("RELEASED");
        assertThat(admin.get("resource-groups/" + live + "/networks").status()).isEqualTo(200);
    }

    @Test
    @DisplayName("SPEC NET-5: more VPCs can be bound after purchase and removed; removing one that running tasks may use needs force")
    void bindAndUnbind() {
        var g = fx.payAsYouGoGroup(8);
        String id = g.get("id").asString();
        var second = fx.network();
        var bound = admin.post("resource-groups/" + id + "/networks", Map.of("vpcId", second.vpcId(), "vswitchId", second.vswitchId()));
        assertThat(bound.status()).as(bound.toString()).isEqualTo(201);
        // API.md: a list answers {"items": [...], "nextPageToken": ...}
        var listed = admin.get("resource-groups/" + id + "/networks").json();
        assertThat(listed.get("items")).hasSize(2);
        JsonNode token = listed.path("nextPageToken");
        assertThat(token.isMissingNode() || token.isNull()).as("the whole list: no next page").isTrue();
        var again = admin.post("resource-groups/" + id + "/networks", Map.of("vpcId", second.vpcId(), "vswitchId", second.vswitchId()));
        assertThat(again.status()).isEqualTo(409);
        assertThat(admin.delete("vpcs/" + second.vpcId()).code()).isEqualTo("Vpc.InUse");
        String first = g.get("networks").get(0).get("id").asString();
        assertThat(admin.delete("resource-groups/" + id + "/networks/" + first).status()).isEqualTo(204);
        var last = admin.delete("resource-groups/" + id + "/networks/" + bound.id());
        assertThat(last.code()).isEqualTo("ResourceGroup.Network.LastBinding");
        assertThat(admin.delete("resource-groups/" + id + "/networks/rgn-none").status()).isEqualTo(404);
        assertThat(admin.delete("resource-groups/" + id + "/networks/" + bound.id() + "?force=maybe").field()).isEqualTo("force");
    }

    @Test
    @DisplayName("SPEC NET-6: a subscription group's first VPC binding serves DataService and can never be removed")
    void dataServiceBindingIsPermanent() {
        var g = fx.subscriptionGroup(2);
        String id = g.get("id").asString();
        var second = fx.network();
        var bound = admin.post("resource-groups/" + id + "/networks", Map.of("vpcId", second.vpcId(), "vswitchId", second.vswitchId()));
        assertThat(bound.json().get("dataService").asBoolean()).isFalse();
        String first = g.get("networks").get(0).get("id").asString();
        var refused = admin.delete("resource-groups/" + id + "/networks/" + first + "?force=true");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("ResourceGroup.Network.DataServiceBinding");
        assertThat(admin.delete("resource-groups/" + id + "/networks/" + bound.id()).status()).isEqualTo(204);
        assertThat(admin.get("resource-groups/" + id + "/networks").json().get("items")).hasSize(1);
    }

    @Test
    @DisplayName("SPEC NET-7 NET-8: NAT gateways take a public elastic IP; routes declare connected networks")
    void natAndRoutes() {
        var net = fx.network();
        var nat = admin.put("vpcs/" + net.vpcId() + "/nat-gateway", Map.of("eip", "47.100.1.2"));
        assertThat(nat.status()).as(nat.toString()).isEqualTo(200);
        assertThat(nat.json().get("natGateway").get("eip").asString()).isEqualTo("47.100.1.2");
        assertThat(admin.put("vpcs/" + net.vpcId() + "/nat-gateway", Map.of("eip", "10.1.2.3")).code()).isEqualTo("InvalidParameter.Eip");
        var other = fx.network();
        assertThat(admin.put("vpcs/" + other.vpcId() + "/nat-gateway", Map.of("eip", "47.100.1.2")).status()).isEqualTo(409);
        assertThat(admin.delete("vpcs/" + net.vpcId() + "/nat-gateway").status()).isEqualTo(204);
        assertThat(admin.delete("vpcs/" + net.vpcId() + "/nat-gateway").status()).isEqualTo(404);
        var route = admin.post("vpcs/" + net.vpcId() + "/routes", Map.of("destinationCidr", "172.16.0.0/16", "via", "VPN_GATEWAY"));
        assertThat(route.status()).as(route.toString()).isEqualTo(201);
        assertThat(admin.post("vpcs/" + net.vpcId() + "/routes", Map.of("destinationCidr", net.cidr(), "via", "VPN_GATEWAY")).status()).isEqualTo(400);
        assertThat(admin.post("vpcs/" + net.vpcId() + "/routes", Map.of("destinationCidr", "172.17.0.0/16", "via", "CARRIER_PIGEON")).code())
                .isEqualTo("InvalidParameter.Enum");
        assertThat(admin.get("vpcs/" + net.vpcId()).json().get("routes")).hasSize(1);
        assertThat(admin.delete("vpcs/" + net.vpcId() + "/routes/" + route.id()).status()).isEqualTo(204);
    }

    @Test
    @DisplayName("a VPC deleted while a group binds it, a group is bought on it or a zone attached to it: 404 Vpc.NotFound after the delete, not a 500 from a foreign key")
    void deletedWhileReferenced() throws Exception {
        var g = fx.payAsYouGoGroup(4);
        String groupId = g.get("id").asString();
        for (String what : java.util.List.of("bind", "buy", "zone")) {
            var net = fx.network();
            try (var held = new HeldTransaction(server.database())) {
                // a concurrent DELETE /vpcs/{id} that found the VPC unbound and has not committed yet
                held.sql("DELETE FROM vpcs WHERE id = ?", net.vpcId());
                var request = HeldTransaction.send(() -> switch (what) {
                    case "bind" -> admin.post("resource-groups/" + groupId + "/networks",
                            Map.of("vpcId", net.vpcId(), "vswitchId", net.vswitchId()));
                    case "buy" -> admin.post("resource-groups", fx.payAsYouGoBody(net, 2));
                    default -> admin.post("private-zones", Map.of("name", "held-" + what + ".internal", "vpcIds", java.util.List.of(net.vpcId())));
                });
                held.awaitAWaiter(request);
                held.commit();
                var r = request.get(2, TimeUnit.MINUTES);
                assertThat(r.status()).as(what + ": " + r).isEqualTo(404);
                assertThat(r.code()).isEqualTo("Vpc.NotFound");
            }
            assertThat(server.sqlLong("SELECT count(*) FROM resource_group_networks WHERE vpc_id = '" + net.vpcId() + "'")).isZero();
        }
    }

    @Test
    @DisplayName("SPEC NET-9: a zone record whose create committed answers 201 with the record, even when its zone is deleted right after")
    void recordCreatedWhileItsZoneIsDeleted() {
        var net = fx.network();
        var zone = admin.post("private-zones", Map.of("name", "going.internal", "vpcIds", List.of(net.vpcId())));
        assertThat(zone.status()).as(zone.toString()).isEqualTo(201);
        int[] deleted = new int[1];
        // the delete lands between the record's commit and its answer (it waited for the zone's row, which the create held)
        dev.srg.privatezone.PrivateZones.recordCommitted = z -> {
            if (z.equals(zone.id()) && deleted[0] == 0) {
                deleted[0] = admin.delete("private-zones/" + zone.id()).status();
            }
        };
        try {
            var record = admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "value", "10.0.1.5"));
            assertThat(deleted[0]).isEqualTo(204);
            assertThat(record.status()).as("the create committed first: " + record).isEqualTo(201);
            assertThat(record.json().get("fqdn").asString()).isEqualTo("db.going.internal");
            assertThat(record.json().get("value").asString()).isEqualTo("10.0.1.5");
        } finally {
            dev.srg.privatezone.PrivateZones.recordCommitted = z -> { };
        }
        // the delete committed last: the zone and its records are gone
        assertThat(admin.get("private-zones/" + zone.id()).status()).isEqualTo(404);
        // a create that finds the zone deleted loses before writing anything: 404 PrivateZone.NotFound
        var late = admin.post("private-zones/" + zone.id() + "/records", Map.of("name", "db", "value", "10.0.1.6"));
        assertThat(late.status()).as(late.toString()).isEqualTo(404);
        assertThat(late.code()).isEqualTo("PrivateZone.NotFound");
    }

    @Test
    @DisplayName("SPEC NET-9: one private zone name per VPC (409 PrivateZone.NameConflict naming the VPC), as DNS compares names, "
            + "also for two creates at once")
    void onePrivateZoneNamePerVpc() throws Exception {
        var a = fx.network();
        var b = fx.network();
        var first = admin.post("private-zones", Map.of("name", "Dup.Internal.", "vpcIds", List.of(a.vpcId())));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        // the same name in other letters and with no trailing dot, attached to b and a: refused, nothing made
        var again = admin.post("private-zones", Map.of("name", "dup.internal", "vpcIds", List.of(b.vpcId(), a.vpcId())));
        assertThat(again.status()).as(again.toString()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("PrivateZone.NameConflict");
        assertThat(again.field()).isEqualTo("vpcIds[1]");
        assertThat(again.json().get("detail").asString()).contains(a.vpcId()).contains(first.id());
        assertThat(zonesNamed("dup.internal")).as("the refused create left no zone").containsExactly(first.id());
        // another VPC may have a zone of that name; a's is free again once its zone is gone
        var onB = admin.post("private-zones", Map.of("name", "dup.internal", "vpcIds", List.of(b.vpcId())));
        assertThat(onB.status()).as(onB.toString()).isEqualTo(201);
        assertThat(admin.delete("private-zones/" + first.id()).status()).isEqualTo(204);
        var free = admin.post("private-zones", Map.of("name", "dup.internal", "vpcIds", List.of(a.vpcId())));
        assertThat(free.status()).as(free.toString()).isEqualTo(201);

        // two creates of one name at once: one 201, one 409, every time (the VPC's row is locked before the check)
        var c = fx.network();
        // two threads of its own: the common pool has one on a two-core machine, and the barrier would wait for ever
        ExecutorService pair = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                String name = "race" + round + ".internal";
                CyclicBarrier start = new CyclicBarrier(2);
                List<CompletableFuture<Integer>> both = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    both.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            start.await(30, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        return admin.post("private-zones", Map.of("name", name, "vpcIds", List.of(c.vpcId()))).status();
                    }, pair));
                }
                List<Integer> statuses = new ArrayList<>();
                for (var f : both) {
                    statuses.add(f.get(60, TimeUnit.SECONDS));
                }
                assertThat(statuses).as(name).containsExactlyInAnyOrder(201, 409);
                assertThat(zonesNamed(name)).as(name).hasSize(1);
            }
        } finally {
            pair.shutdownNow();
        }
    }

    private List<String> zonesNamed(String name) {
        List<String> ids = new ArrayList<>();
        for (JsonNode z : admin.get("private-zones?pageSize=1000").json().get("items")) {
            if (z.get("name").asString().equals(name)) {
                ids.add(z.get("id").asString());
            }
        }
        return ids;
    }
}
