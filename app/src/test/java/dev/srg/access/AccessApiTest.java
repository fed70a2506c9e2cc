package dev.srg.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccessApiTest extends ServerTestBase {
    @Test
    @Order(1)
    @DisplayName("SPEC ACC-4: the first purchase needs ServiceLinkedRoleAccess to create the service-linked role; later ones reuse it")
    void serviceLinkedRole() throws Exception {
        var net = fx.network();
        var buyer = fx.user("OrderAccess", "ResourceGroupFullAccess", "VpcReadOnlyAccess");
        var refused = buyer.http().post("resource-groups", fx.subscriptionBody(net, 2));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.code()).isEqualTo("ServiceLinkedRole.NotExist");
        assertThat(refused.json().get("detail").asString()).contains("ask an administrator");
        assertThat(admin.get("resource-groups").json().get("items")).isEmpty();

        var authorized = fx.user("OrderAccess", "ResourceGroupFullAccess", "VpcReadOnlyAccess", "ServiceLinkedRoleAccess");
        assertThat(authorized.http().post("resource-groups", fx.subscriptionBody(net, 2)).status()).isEqualTo(201);
        assertThat(admin.get("audit-events").text()).contains("service-linked-role.create");

        var later = buyer.http().post("resource-groups", fx.subscriptionBody(net, 2));
        assertThat(later.status()).as(later.toString()).isEqualTo(201);
    }

    @Test
    @DisplayName("SPEC ACC-1: buying needs OrderAccess and ResourceGroupFullAccess; the 403 names the missing one")
    void buyingNeedsBothPolicies() {
        var net = fx.network();
        long before = admin.get("resource-groups?pageSize=1000").json().get("items").size();
        var noOrder = fx.user("ResourceGroupFullAccess", "VpcReadOnlyAccess", "ServiceLinkedRoleAccess");
        var r1 = noOrder.http().post("resource-groups", fx.subscriptionBody(net, 2));
        assertThat(r1.status()).isEqualTo(403);
        assertThat(r1.json().get("detail").asString()).contains("OrderAccess").doesNotContain("ResourceGroupFullAccess");
        var noRg = fx.user("OrderAccess", "VpcReadOnlyAccess", "ServiceLinkedRoleAccess");
        var r2 = noRg.http().post("resource-groups", fx.subscriptionBody(net, 2));
        assertThat(r2.status()).isEqualTo(403);
        assertThat(r2.json().get("detail").asString()).contains("ResourceGroupFullAccess");
        assertThat(admin.get("resource-groups?pageSize=1000").json().get("items").size()).isEqualTo(before);
    }

    @Test
    @DisplayName("SPEC ACC-2: reading VPCs needs VpcReadOnlyAccess or VpcFullAccess; binding one needs read access to it")
    void vpcReadAccess() {
        var net = fx.network();
        var nobody = fx.user();
        assertThat(nobody.http().get("vpcs").status()).isEqualTo(403);
        assertThat(nobody.http().get("vpcs/" + net.vpcId()).status()).isEqualTo(403);
        assertThat(fx.user("VpcReadOnlyAccess").http().get("vpcs/" + net.vpcId()).status()).isEqualTo(200);
        assertThat(fx.user("VpcFullAccess").http().get("vpcs").status()).isEqualTo(200);
        var readOnly = fx.user("VpcReadOnlyAccess");
        assertThat(readOnly.http().post("vpcs", Map.of("name", "x", "regionId", "local", "cidr", "10.200.0.0/16")).status())
                .isEqualTo(403);

        var buyerWithoutVpcRead = fx.user("OrderAccess", "ResourceGroupFullAccess", "ServiceLinkedRoleAccess");
        var r = buyerWithoutVpcRead.http().post("resource-groups", fx.subscriptionBody(net, 2));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().get("detail").asString()).contains("VpcReadOnlyAccess");
        var g = fx.payAsYouGoGroup(10);
        var other = fx.network();
        var rgAdmin = fx.user("ResourceGroupFullAccess");
        var bind = rgAdmin.http().post("resource-groups/" + g.get("id").asString() + "/networks",
                Map.of("vpcId", other.vpcId(), "vswitchId", other.vswitchId()));
        assertThat(bind.status()).isEqualTo(403);
    }

    @Test
    @DisplayName("SPEC ACC-5: every API call needs a valid token; health does not")
    void authenticationEverywhere() {
        assertThat(server.anonymous().get("/healthz").status()).isEqualTo(200);
        for (String path : List.of("regions", "users", "vpcs", "resource-groups", "workspaces", "audit-events", "openapi.json",
                "resource-groups/rg-x", "no-such-endpoint")) {
            var r = server.anonymous().get(path);
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(server.as("srg_not-a-real-token").get(path).status()).as(path).isEqualTo(401);
        }
        var post = server.anonymous().post("resource-groups", Map.of());
        assertThat(post.status()).isEqualTo(401);
    }

    @Test
    @DisplayName("SPEC ACC-5: every change is in the audit log with who, what, when and the result, refusals too")
    void auditLog() {
        var user = fx.user("VpcReadOnlyAccess");
        var refused = user.http().post("vpcs", Map.of("name", "x", "regionId", "local", "cidr", "10.201.0.0/16"));
        assertThat(refused.status()).isEqualTo(403);
        var created = admin.post("vpcs", Map.of("name", "audited", "regionId", "local", "cidr", "10.202.0.0/16"));
        var events = admin.get("audit-events?actor=" + user.name()).json().get("items");
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("action").asString()).isEqualTo("POST /api/v1/vpcs");
            // issue 19: in words too, the operation's own summary (the OpenAPI document's)
            assertThat(e.get("actionName").asString()).isEqualTo("Create a VPC");
            assertThat(e.get("result").asString()).startsWith("403");
            assertThat(e.get("time").asString()).isNotBlank();
        });
        var adminEvents = admin.get("audit-events?actor=admin&pageSize=1000").json().get("items");
        assertThat(adminEvents).anySatisfy(e -> {
            assertThat(e.path("resourceId").asString("")).isEqualTo(created.id());
            assertThat(e.get("result").asString()).isEqualTo("201");
        });
        assertThat(user.http().get("audit-events").status()).isEqualTo(403);
        assertThat(admin.get("audit-events?from=not-a-time").field()).isEqualTo("from");
        assertThat(admin.get("audit-events?from=2999-01-01T00:00:00Z").json().get("items")).isEmpty();
    }

    @Test
    @DisplayName("the bootstrap token is in admin.token, mode 0600; tokens are stored only as hashes")
    void bootstrapTokenAndHashing() throws Exception {
        var file = server.dataDir().resolve("admin.token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file).strip()).isEqualTo(server.adminToken());
        var u = fx.user("VpcReadOnlyAccess");
        assertThat(admin.get("users/" + u.id()).json().has("token")).isFalse();
        assertThat(admin.get("audit-events?pageSize=1000").text()).doesNotContain(u.token());
        var fresh = admin.post("users/" + u.id() + "/tokens", null);
        assertThat(fresh.status()).isEqualTo(201);
        String newToken = fresh.json().get("token").asString();
        assertThat(newToken).isNotEqualTo(u.token());
        assertThat(server.as(newToken).get("vpcs").status()).isEqualTo(200);
    }

    @Test
    @DisplayName("only administrators manage users; the last administrator keeps AdministratorAccess")
    void userManagement() {
        var u = fx.user("VpcReadOnlyAccess");
        assertThat(u.http().post("users", Map.of("name", "mallory", "policies", List.of("AdministratorAccess"))).status()).isEqualTo(403);
        assertThat(u.http().get("users").status()).isEqualTo(403);
        var changed = admin.put("users/" + u.id() + "/policies", Map.of("policies", List.of("VpcFullAccess")));
        assertThat(changed.json().get("policies").get(0).asString()).isEqualTo("VpcFullAccess");
        String adminId = admin.get("users").json().get("items").get(0).get("id").asString();
        var demote = admin.put("users/" + adminId + "/policies", Map.of("policies", List.of()));
        assertThat(demote.status()).isEqualTo(409);
        assertThat(demote.code()).isEqualTo("User.LastAdministrator");
        var dup = admin.post("users", Map.of("name", u.name(), "policies", List.of()));
        assertThat(dup.status()).isEqualTo(409);
        var badPolicy = admin.post("users", Map.of("name", "newbie", "policies", List.of("RootAccess")));
        assertThat(badPolicy.status()).isEqualTo(400);
        assertThat(badPolicy.code()).isEqualTo("InvalidParameter.Enum");
    }
}
