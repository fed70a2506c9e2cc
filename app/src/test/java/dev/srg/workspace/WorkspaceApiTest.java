package dev.srg.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WorkspaceApiTest extends ServerTestBase {
    @Test
    @DisplayName("SPEC WS-2: a workspace can name a default group at creation, which associates it")
    void defaultAtCreation() {
        var g = fx.subscriptionGroup(2);
        String rg = g.get("id").asString();
        var ws = fx.workspace(rg);
        assertThat(ws.get("defaultResourceGroupId").asString()).isEqualTo(rg);
        assertThat(ws.get("resourceGroupIds").get(0).asString()).isEqualTo(rg);
        assertThat(admin.get("resource-groups/" + rg).json().get("workspaceIds").get(0).asString()).isEqualTo(ws.get("id").asString());
    }

    @Test
    @DisplayName("SPEC WS-2: a new default must be associable: a group being released is refused, as at creation,"
            + " and the default stays")
    void releasingGroupIsNoNewDefault() {
        String first = fx.payAsYouGoGroup(4).get("id").asString();
        String other = fx.payAsYouGoGroup(4).get("id").asString();
        String ws = fx.workspace(first).get("id").asString();
        assertThat(admin.post("workspaces/" + ws + "/resource-groups", Map.of("resourceGroupId", other)).status()).isEqualTo(201);
        // a running task keeps the group RELEASING after its unsubscription
        var task = admin.post("instances", Map.of("workspaceId", ws, "resourceGroupId", other, "type", "SHELL",
                "script", "sleep 120", "cu", 0.25));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                "RUNNING".equals(admin.get("instances/" + task.id()).json().path("status").asString()));
        assertThat(admin.delete("resource-groups/" + other).status()).isEqualTo(204);
        assertThat(admin.get("resource-groups/" + other).json().get("status").asString()).isEqualTo("RELEASING");
        var r = admin.patch("workspaces/" + ws, Map.of("defaultResourceGroupId", other));
        assertThat(r.status()).as(r.toString()).isEqualTo(409);
        assertThat(r.code()).isEqualTo("ResourceGroup.Released");
        assertThat(r.field()).isEqualTo("defaultResourceGroupId");
        assertThat(admin.get("workspaces/" + ws).json().get("defaultResourceGroupId").asString()).isEqualTo(first);
        admin.post("instances/" + task.id() + "/cancel", null);
    }

    @Test
    @DisplayName("SPEC NET-2 WS-2: a group is associated only with workspaces of its own region")
    void sameRegion() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        var create = admin.post("workspaces", Map.of("name", "far", "regionId", "th-bangkok", "defaultResourceGroupId", rg));
        assertThat(create.status()).isEqualTo(400);
        assertThat(create.code()).isEqualTo("InvalidParameter.Workspace.RegionMismatch");
        assertThat(create.field()).isEqualTo("defaultResourceGroupId");
        var far = admin.post("workspaces", Map.of("name", "far", "regionId", "th-bangkok"));
        assertThat(far.status()).isEqualTo(201);
        var assoc = admin.post("workspaces/" + far.id() + "/resource-groups", Map.of("resourceGroupId", rg));
        assertThat(assoc.status()).isEqualTo(400);
        assertThat(assoc.code()).isEqualTo("InvalidParameter.Workspace.RegionMismatch");
        assertThat(admin.get("workspaces/" + far.id()).json().get("resourceGroupIds")).isEmpty();
    }

    @Test
    @DisplayName("SPEC WS-1 ACC-3: only a workspace administrator associates, dissociates or changes the default")
    void onlyWorkspaceAdmins() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String rg2 = fx.payAsYouGoGroup(4).get("id").asString();
        var owner = fx.user("ResourceGroupFullAccess");
        var dev = fx.user();
        var ws = owner.http().post("workspaces", Map.of("name", "team", "regionId", "local"));
        assertThat(ws.status()).isEqualTo(201);
        String id = ws.id();
        assertThat(ws.json().get("members").get(0).get("role").asString()).isEqualTo("ADMIN");
        assertThat(owner.http().put("workspaces/" + id + "/members/" + dev.id(), Map.of("role", "DEVELOPER")).status()).isEqualTo(200);

        var denied = dev.http().post("workspaces/" + id + "/resource-groups", Map.of("resourceGroupId", rg));
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.code()).isEqualTo("Forbidden.WorkspaceAdmin");
        assertThat(owner.http().post("workspaces/" + id + "/resource-groups", Map.of("resourceGroupId", rg)).status()).isEqualTo(201);
        assertThat(owner.http().post("workspaces/" + id + "/resource-groups", Map.of("resourceGroupId", rg2)).status()).isEqualTo(201);
        assertThat(dev.http().patch("workspaces/" + id, Map.of("defaultResourceGroupId", rg)).status()).isEqualTo(403);
        assertThat(dev.http().delete("workspaces/" + id + "/resource-groups/" + rg).status()).isEqualTo(403);
        var outsider = fx.user();
        assertThat(outsider.http().post("workspaces/" + id + "/resource-groups", Map.of("resourceGroupId", rg)).status()).isEqualTo(404);

        assertThat(owner.http().patch("workspaces/" + id, Map.of("defaultResourceGroupId", rg)).json()
                .get("defaultResourceGroupId").asString()).isEqualTo(rg);
        var dissociateDefault = owner.http().delete("workspaces/" + id + "/resource-groups/" + rg);
        assertThat(dissociateDefault.code()).isEqualTo("Workspace.DefaultResourceGroup");
        assertThat(owner.http().delete("workspaces/" + id + "/resource-groups/" + rg2).status()).isEqualTo(204);
        var notAssociated = owner.http().patch("workspaces/" + id, Map.of("defaultResourceGroupId", rg2));
        assertThat(notAssociated.code()).isEqualTo("Workspace.ResourceGroupNotAssociated");
        assertThat(owner.http().patch("workspaces/" + id, Map.of("defaultResourceGroupId", "")).json()
                .has("defaultResourceGroupId")).isFalse();
        // a member sees the groups of their workspace without ResourceGroupFullAccess
        assertThat(dev.http().get("resource-groups").json().get("items")).hasSize(1);
        assertThat(dev.http().get("resource-groups/" + rg).status()).isEqualTo(200);
        assertThat(dev.http().get("resource-groups/" + rg2).status()).isEqualTo(404);
    }

    @Test
    @DisplayName("SPEC ACC-3: a workspace administrator without ResourceGroupFullAccess associates no group:"
            + " one it cannot see is a 404, one of a workspace it is a member of a 403, at creation too; nothing changes")
    void associatingNeedsTheGroupPolicy() {
        String seen = fx.subscriptionGroup(2).get("id").asString();
        String unseen = fx.payAsYouGoGroup(4).get("id").asString();
        String team = fx.workspace(seen).get("id").asString();
        var visitor = fx.user();
        assertThat(admin.put("workspaces/" + team + "/members/" + visitor.id(), Map.of("role", "VISITOR")).status()).isEqualTo(200);
        // anyone may make a workspace of their own, and is its ADMIN
        var mine = visitor.http().post("workspaces", Map.of("name", "mine", "regionId", "local"));
        assertThat(mine.status()).as(mine.toString()).isEqualTo(201);

        var notSeen = visitor.http().post("workspaces/" + mine.id() + "/resource-groups", Map.of("resourceGroupId", unseen));
        assertThat(notSeen.status()).as(notSeen.toString()).isEqualTo(404);
        assertThat(notSeen.code()).isEqualTo("ResourceGroup.NotFound");
        assertThat(notSeen.field()).isEqualTo("resourceGroupId");
        var seenOnly = visitor.http().post("workspaces/" + mine.id() + "/resource-groups", Map.of("resourceGroupId", seen));
        assertThat(seenOnly.status()).as(seenOnly.toString()).isEqualTo(403);
        assertThat(seenOnly.code()).isEqualTo("Forbidden.MissingPolicy");
        assertThat(seenOnly.field()).isEqualTo("resourceGroupId");
        assertThat(seenOnly.toString()).contains("ResourceGroupFullAccess");
        for (String rg : new String[] {seen, unseen}) {
            var create = visitor.http().post("workspaces", Map.of("name", "other", "regionId", "local", "defaultResourceGroupId", rg));
            assertThat(create.status()).as(create.toString()).isEqualTo(rg.equals(seen) ? 403 : 404);
            assertThat(create.field()).isEqualTo("defaultResourceGroupId");
        }

        // nothing changed: no workspace made, no association, no task on the group from the visitor's workspace
        assertThat(visitor.http().get("workspaces").json().get("items")).hasSize(2);
        assertThat(admin.get("workspaces/" + mine.id()).json().get("resourceGroupIds")).isEmpty();
        assertThat(admin.get("resource-groups/" + seen).json().get("workspaceIds")).hasSize(1);
        assertThat(admin.get("resource-groups/" + unseen).json().get("workspaceIds")).isEmpty();
        var task = visitor.http().post("instances", Map.of("workspaceId", mine.id(), "resourceGroupId", seen, "type", "SHELL",
                "script", "true", "cu", 0.25));
        assertThat(task.status()).as(task.toString()).isEqualTo(400);
        assertThat(visitor.http().get("resource-groups/" + unseen).status()).isEqualTo(404);
    }

    @Test
    @DisplayName("members: roles are validated, the last workspace administrator stays")
    void members() {
        var owner = fx.user();
        String id = owner.http().post("workspaces", Map.of("name", "m", "regionId", "local")).id();
        var bad = owner.http().put("workspaces/" + id + "/members/" + owner.id(), Map.of("role", "KING"));
        assertThat(bad.code()).isEqualTo("InvalidParameter.Enum");
        var last = owner.http().put("workspaces/" + id + "/members/" + owner.id(), Map.of("role", "VISITOR"));
        assertThat(last.code()).isEqualTo("Workspace.LastAdmin");
        assertThat(owner.http().put("workspaces/" + id + "/members/u-nobody", Map.of("role", "VISITOR")).status()).isEqualTo(404);
        assertThat(owner.http().get("workspaces").json().get("items")).hasSize(1);
        assertThat(fx.user().http().get("workspaces/" + id).status()).isEqualTo(404);
    }
}
