package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SPEC BEY-6: a pay-as-you-go group that opted in leaves FROZEN by itself when a task is submitted. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SimulatedClock
class ResumeOnDemandTest extends ServerTestBase {
    private static Map<String, Object> task(String ws) {
        Map<String, Object> b = new HashMap<>();
        b.put("workspaceId", ws);
        b.put("type", "SHELL");
        b.put("script", "true");
        b.put("cu", 1);
        b.put("name", "wake-up");
        return b;
    }

    private static String status(String group) {
        return admin.get("resource-groups/" + group).json().get("status").asString();
    }

    @Test
    @DisplayName("SPEC BEY-6: frozen and opted in, a submission resumes the group (audited) and the task runs; not opted in, 409 as before")
    void resumesWhenOptedIn() {
        String optedIn = fx.payAsYouGoGroup(4).get("id").asString();
        String other = fx.payAsYouGoGroup(4).get("id").asString();
        String ws = fx.workspace(optedIn).get("id").asString();
        String ws2 = fx.workspace(other).get("id").asString();
        assertThat(admin.get("resource-groups/" + optedIn + "/resume-on-demand").json().get("enabled").asBoolean()).isFalse();
        var set = admin.put("resource-groups/" + optedIn + "/resume-on-demand", Map.of("enabled", true));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.json().get("enabled").asBoolean()).isTrue();

        server.advanceClock(Duration.ofDays(8));
        assertThat(status(optedIn)).isEqualTo("FROZEN");
        assertThat(status(other)).isEqualTo("FROZEN");

        // not opted in: refused as before, nothing resumed
        var refused = admin.post("instances", task(ws2));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.code()).isEqualTo("ResourceGroup.Frozen");
        assertThat(status(other)).isEqualTo("FROZEN");

        // a dry run says it would resume, and resumes nothing
        var dry = admin.post("instances?dryRun=true", task(ws)).json();
        assertThat(dry.get("startsNow").asBoolean()).isTrue();
        assertThat(dry.get("estimate").asString()).contains("resumes by itself");
        assertThat(status(optedIn)).isEqualTo("FROZEN");

        var submitted = admin.post("instances", task(ws));
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        assertThat(status(optedIn)).isEqualTo("RUNNING");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                admin.get("instances/" + submitted.id()).json().get("status").asString().equals("SUCCEEDED"));
        var audit = admin.get("audit-events?actor=system&pageSize=1000").text();
        assertThat(audit).contains("resource-group.resume-on-demand").contains(submitted.id());
    }

    @Test
    @DisplayName("SPEC BEY-6: only a pay-as-you-go group opts in; the setting needs ResourceGroupFullAccess")
    void onlyPayAsYouGo() {
        String sub = fx.subscriptionGroup(2).get("id").asString();
        var r = admin.put("resource-groups/" + sub + "/resume-on-demand", Map.of("enabled", true));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("InvalidParameter.ResumeOnDemand.BillingMode");
        assertThat(r.field()).isEqualTo("enabled");
        assertThat(admin.put("resource-groups/" + sub + "/resume-on-demand", Map.of()).code()).isEqualTo("MissingParameter");
        String payg = fx.payAsYouGoGroup(2).get("id").asString();
        var nobody = fx.user();
        assertThat(nobody.http().put("resource-groups/" + payg + "/resume-on-demand", Map.of("enabled", true)).status())
                .isEqualTo(403);
        assertThat(admin.get("resource-groups/" + payg + "/resume-on-demand").json().get("enabled").asBoolean()).isFalse();
    }
}
