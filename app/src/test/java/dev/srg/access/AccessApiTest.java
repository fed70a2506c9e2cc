package dev.srg.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.store.IdempotencyKeys;
import dev.srg.testing.HeldTransaction;
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

    @Test
    @DisplayName("a user's tokens: listed without secrets, revoked at once (401 on the next call, others still work), audited")
    void listAndRevokeTokens() {
        var u = fx.user("VpcReadOnlyAccess");
        var second = u.http().post("users/" + u.id() + "/tokens", null);
        assertThat(second.status()).isEqualTo(201);
        String secondToken = second.json().get("token").asString();

        var list = u.http().get("users/" + u.id() + "/tokens");
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        var items = list.json().get("items");
        assertThat(items).hasSize(2);
        assertThat(list.json().has("nextPageToken")).isFalse();
        for (var t : items) {
            assertThat(t.get("id").asString()).startsWith("tok");
            assertThat(t.get("createdAt").asString()).isNotBlank();
            assertThat(t.has("revokedAt")).isFalse();
            assertThat(t.propertyNames()).containsExactlyInAnyOrder("id", "createdAt");
        }
        // never the token nor its hash
        assertThat(list.text()).doesNotContain(u.token()).doesNotContain(secondToken)
                .doesNotContain(IdempotencyKeys.sha256(u.token())).doesNotContain(IdempotencyKeys.sha256(secondToken));
        var paged = u.http().get("users/" + u.id() + "/tokens?pageSize=1");
        assertThat(paged.json().get("items")).hasSize(1);
        assertThat(paged.json().get("nextPageToken").asString()).isNotBlank();

        // a user revokes their own first token with the second: the first is refused from the next call on
        String firstId = items.get(0).get("id").asString();
        assertThat(server.as(secondToken).delete("users/" + u.id() + "/tokens/" + firstId).status()).isEqualTo(204);
        assertThat(u.http().get("vpcs").status()).isEqualTo(401);
        assertThat(server.as(secondToken).get("vpcs").status()).isEqualTo(200);
        // revoking it again changes nothing: 204, and the first revocation's time stays
        var revoked = admin.get("users/" + u.id() + "/tokens").json().get("items").get(0);
        assertThat(revoked.get("revokedAt").asString()).isNotBlank();
        assertThat(admin.delete("users/" + u.id() + "/tokens/" + firstId).status()).isEqualTo(204);
        assertThat(admin.get("users/" + u.id() + "/tokens").json().get("items").get(0).get("revokedAt").asString())
                .isEqualTo(revoked.get("revokedAt").asString());

        // another user's token, an unknown token, an unknown user: 404; someone else's tokens: 403
        var other = fx.user("VpcReadOnlyAccess");
        String otherTokenId = other.http().get("users/" + other.id() + "/tokens").json().get("items").get(0).get("id").asString();
        var wrongUser = admin.delete("users/" + u.id() + "/tokens/" + otherTokenId);
        assertThat(wrongUser.status()).isEqualTo(404);
        assertThat(wrongUser.code()).isEqualTo("Token.NotFound");
        assertThat(admin.delete("users/" + u.id() + "/tokens/tok-no-such").status()).isEqualTo(404);
        assertThat(admin.get("users/u-no-such/tokens").status()).isEqualTo(404);
        assertThat(server.as(secondToken).get("users/" + other.id() + "/tokens").status()).isEqualTo(403);
        var forbidden = server.as(secondToken).delete("users/" + other.id() + "/tokens/" + otherTokenId);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.contentType()).startsWith("application/problem+json");
        assertThat(other.http().get("vpcs").status()).as("a refused revocation revokes nothing").isEqualTo(200);

        // SPEC ACC-5: both are in the audit log, allowed and refused
        var events = admin.get("audit-events?pageSize=1000").json().get("items");
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("action").asString()).isEqualTo("DELETE /api/v1/users/" + u.id() + "/tokens/" + firstId);
            assertThat(e.get("actor").asString()).isEqualTo(u.name());
            assertThat(e.get("result").asString()).isEqualTo("204");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("action").asString()).isEqualTo("DELETE /api/v1/users/" + other.id() + "/tokens/" + otherTokenId);
            assertThat(e.get("result").asString()).startsWith("403");
        });
    }

    @Test
    @DisplayName("the administrators' last live token is not revoked (409 User.LastAdministratorToken); with another one, it is")
    void lastAdministratorToken() {
        String adminId = bootstrapAdministratorId();
        // another administrator's token goes while the bootstrap administrator keeps one
        var boss = fx.user("AdministratorAccess");
        String bossToken = boss.http().get("users/" + boss.id() + "/tokens").json().get("items").get(0).get("id").asString();
        assertThat(admin.delete("users/" + boss.id() + "/tokens/" + bossToken).status()).isEqualTo(204);
        assertThat(boss.http().get("users").status()).isEqualTo(401);

        // now the bootstrap administrator's one token is the last live one of any administrator
        var live = new java.util.ArrayList<String>();
        admin.get("users/" + adminId + "/tokens").json().get("items").forEach(t -> {
            if (!t.has("revokedAt")) {
                live.add(t.get("id").asString());
            }
        });
        assertThat(live).as("the bootstrap token only").hasSize(1);
        var refused = admin.delete("users/" + adminId + "/tokens/" + live.get(0));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("User.LastAdministratorToken");
        assertThat(refused.field()).isEqualTo("tokenId");
        assertThat(admin.get("vpcs").status()).isEqualTo(200);

        // with a new token, the older one could go: revoke the new one (the class goes on with the bootstrap token)
        var fresh = admin.post("users/" + adminId + "/tokens", null);
        String freshId = null;
        for (var t : admin.get("users/" + adminId + "/tokens").json().get("items")) {
            if (!t.has("revokedAt") && !t.get("id").asString().equals(live.get(0))) {
                freshId = t.get("id").asString();
            }
        }
        assertThat(freshId).isNotNull();
        assertThat(admin.delete("users/" + adminId + "/tokens/" + freshId).status()).isEqualTo(204);
        assertThat(server.as(fresh.json().get("token").asString()).get("vpcs").status()).isEqualTo(401);
        assertThat(admin.get("vpcs").status()).isEqualTo(200);
        // boss leaves the administrators, so that 'admin' is the last one again for the other tests
        assertThat(admin.put("users/" + boss.id() + "/policies", Map.of("policies", List.of())).status()).isEqualTo(200);
    }

    @Test
    @DisplayName("two creates of one user name at once: the second is 409 User.AlreadyExists, not a 500 from the unique index")
    void sameNameAtOnce() throws Exception {
        try (var held = new HeldTransaction(server.database())) {
            // a concurrent create of 'racer' that has written its row and not committed yet
            held.sql("INSERT INTO users (id, name, policies, created_at) VALUES ('u-held', 'racer', '', now())");
            var second = HeldTransaction.send(() -> admin.post("users", Map.of("name", "racer", "policies", List.of())));
            held.awaitAWaiter(second);
            held.commit();
            var r = second.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(r.toString()).isEqualTo(409);
            assertThat(r.code()).isEqualTo("User.AlreadyExists");
            assertThat(r.contentType()).contains("problem+json");
        }
        assertThat(server.sqlLong("SELECT count(*) FROM users WHERE name = 'racer'")).isEqualTo(1);
    }

    @Test
    @DisplayName("demoting the administrator who holds the administrators' last live token is refused "
            + "(409 User.LastAdministratorToken), as revoking that token is")
    void demotionKeepsALiveAdministratorToken() {
        String adminId = bootstrapAdministratorId();
        // another administrator, but without a live token: only the bootstrap administrator's token administers
        var boss = fx.user("AdministratorAccess");
        String bossToken = boss.http().get("users/" + boss.id() + "/tokens").json().get("items").get(0).get("id").asString();
        assertThat(admin.delete("users/" + boss.id() + "/tokens/" + bossToken).status()).isEqualTo(204);

        var refused = admin.put("users/" + adminId + "/policies", Map.of("policies", List.of("VpcFullAccess")));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("User.LastAdministratorToken");
        assertThat(refused.field()).isEqualTo("policies");
        assertThat(admin.get("users").status()).as("still an administrator").isEqualTo(200);
        assertThat(admin.get("users/" + adminId).json().get("policies").toString()).contains("AdministratorAccess");

        // once boss holds a live token again, a demotion that leaves one is allowed: boss's own (admin keeps its token)
        assertThat(admin.post("users/" + boss.id() + "/tokens", null).status()).isEqualTo(201);
        var demoted = admin.put("users/" + boss.id() + "/policies", Map.of("policies", List.of()));
        assertThat(demoted.status()).as(demoted.toString()).isEqualTo(200);
        assertThat(admin.get("users").status()).isEqualTo(200);
    }

    private String bootstrapAdministratorId() {
        for (var user : admin.get("users?pageSize=1000").json().get("items")) {
            if (user.get("name").asString().equals("admin")) {
                return user.get("id").asString();
            }
        }
        throw new AssertionError("no user 'admin'");
    }
}
