package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.ServerTestBase;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11's policy gap: a task's log may hold secrets, so reading it needs a role in the task's
 * workspace (or AdministratorAccess); managing the group the task ran on is not enough.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LogPolicyTest extends ServerTestBase {

    @Test
    @DisplayName("issue 11: the log needs a workspace role; ResourceGroupFullAccess alone sees the instance, not its log")
    void logNeedsWorkspaceRole() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        Fixtures.User manager = fx.user("ResourceGroupFullAccess");
        Fixtures.User visitor = fx.user();
        Fixtures.User outsider = fx.user();
        admin.put("workspaces/" + ws + "/members/" + visitor.id(), Map.of("role", "VISITOR"));
        var task = admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "echo token=s3cret", "cu", 0.25));
        assertThat(task.status()).as(task.toString()).isEqualTo(201);
        String id = task.id();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> admin.get("instances/" + id).json().path("status").asString().equals("SUCCEEDED"));

        // the group's manager sees that the instance ran (usage, capacity) ...
        assertThat(manager.http().get("instances/" + id).status()).isEqualTo(200);
        // ... but not what it printed
        var refused = manager.http().get("instances/" + id + "/log");
        assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.code()).isEqualTo("Forbidden.WorkspaceRole");
        assertThat(refused.text()).doesNotContain("s3cret");
        assertThat(manager.http().get("instances/" + id + "/log?follow=true").status()).isEqualTo(403);
        // a member of the workspace, whatever the role, reads it; the administrator too
        assertThat(visitor.http().get("instances/" + id + "/log").text()).isEqualTo("token=s3cret\n");
        assertThat(admin.get("instances/" + id + "/log").text()).isEqualTo("token=s3cret\n");
        // someone outside learns nothing, not even that it exists
        assertThat(outsider.http().get("instances/" + id + "/log").status()).isEqualTo(404);
    }
}
