package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SPEC BEY-2: quota profiles on cron schedules, through the API, on the simulated clock. */
@Tag("database")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@SimulatedClock
class QuotaScheduleApiTest extends ServerTestBase {
    private static Map<String, Object> profile(String name, String cron, int minutes, Map<String, Object> quotas) {
        return Map.of("name", name, "cron", cron, "durationMinutes", minutes, "quotas", quotas);
    }

    private static Map<String, Object> task(String ws) {
        return Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 120", "cu", 1, "name", "scheduled");
    }

    private static long profileSwitches(String group) {
        return server.sqlLong("SELECT count(*) FROM audit_events WHERE action = 'resource-group.quota-profile' AND resource_id = '"
                + group + "'");
    }

    @Test
    @DisplayName("SPEC BEY-2: a profile applies on its cron in the group's time zone, re-runs admission when it starts and ends,"
            + " is audited once per switch and survives a restart")
    void profileDrivesAdmission() {
        String group = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(group).get("id").asString();
        ZoneId shanghai = ZoneId.of("Asia/Shanghai");
        Instant fires = now().plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.MINUTES);
        ZonedDateTime local = fires.atZone(shanghai);
        String cron = local.getMinute() + " " + local.getHour() + " * * *";
        var put = admin.put("resource-groups/" + group + "/quota-schedule", Map.of("timeZone", "Asia/Shanghai",
                "profiles", List.of(profile("narrow", cron, 60, Map.of("SCHEDULING", Map.of("maxCu", 1))))));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        var applied = put.json().get("applied");
        assertThat(applied.has("profile")).as("nothing applies before the first firing").isFalse();
        assertThat(applied.get("to").asString()).isEqualTo(fires.toString());

        // the timeline: own settings, the profile for an hour, own settings, ... the next day's firing
        var timeline = admin.get("resource-groups/" + group + "/quota-schedule/timeline?to="
                + fires.plus(Duration.ofHours(25))).json();
        var entries = timeline.get("entries");
        assertThat(entries.size()).isEqualTo(4);
        assertThat(entries.get(1).get("profile").asString()).isEqualTo("narrow");
        assertThat(entries.get(1).get("from").asString()).isEqualTo(fires.toString());
        assertThat(entries.get(1).get("to").asString()).isEqualTo(fires.plus(Duration.ofHours(1)).toString());
        assertThat(entries.get(1).get("quotas").get("SCHEDULING").get("maxCu").asInt()).isEqualTo(1);
        assertThat(entries.get(3).get("from").asString()).isEqualTo(fires.plus(Duration.ofDays(1)).toString());

        server.advanceClock(Duration.ofMinutes(11));
        assertThat(admin.get("resource-groups/" + group + "/quota-schedule").json().get("applied").get("profile").asString())
                .isEqualTo("narrow");
        assertThat(profileSwitches(group)).isEqualTo(1);
        String first = admin.post("instances", task(ws)).id();
        String second = admin.post("instances", task(ws)).id();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                admin.get("instances/" + first).json().get("status").asString().equals("RUNNING"));
        var waiting = admin.get("instances/" + second).json();
        assertThat(waiting.get("status").asString()).isEqualTo("QUEUED");
        assertThat(waiting.get("queue").get("reason").asString()).as("the profile's 1-CU maximum holds it").isEqualTo("MAX_QUOTA");

        // a restart derives the same profile from the clock; the switch is not audited again
        server.restart();
        server.runBackgroundJobs();
        assertThat(admin.get("resource-groups/" + group + "/quota-schedule").json().get("applied").get("profile").asString())
                .isEqualTo("narrow");
        assertThat(admin.get("instances/" + second).json().get("status").asString()).isEqualTo("QUEUED");
        assertThat(profileSwitches(group)).isEqualTo(1);

        // the profile ends: admission re-runs with the group's own quotas and the second task starts
        server.advanceClock(Duration.ofMinutes(60));
        Awaitility.await().atMost(Duration.ofSeconds(8)).until(() ->
                !admin.get("instances/" + second).json().get("status").asString().equals("QUEUED"));
        assertThat(profileSwitches(group)).isEqualTo(2);
        assertThat(admin.get("resource-groups/" + group + "/quota-schedule").json().get("applied").has("profile")).isFalse();
        admin.post("instances/" + first + "/cancel", Map.of());
        admin.post("instances/" + second + "/cancel", Map.of());

        // a profile's minimums hold against a scale-in as the group's own do (ADM-2)
        var guarantee = admin.put("resource-groups/" + group + "/quota-schedule", Map.of("profiles",
                List.of(profile("nights", "0 22 * * *", 480, Map.of("DATA_INTEGRATION", Map.of("minCu", 3))))));
        assertThat(guarantee.status()).as(guarantee.toString()).isEqualTo(200);
        assertThat(guarantee.json().get("timeZone").asString()).isEqualTo("UTC");
        var scale = admin.post("resource-groups/" + group + "/scale", Map.of("specCu", 2));
        assertThat(scale.status()).as(scale.toString()).isEqualTo(400);
        // an empty list removes the schedule
        var cleared = admin.put("resource-groups/" + group + "/quota-schedule", Map.of("profiles", List.of()));
        assertThat(cleared.json().get("profiles").size()).isZero();
    }

    @Test
    @DisplayName("SPEC BEY-2: a bad cron, time zone, duration, quota or threshold is a 400 naming the field; only ResourceGroupFullAccess sets it")
    void badInput() {
        String group = fx.subscriptionGroup(4).get("id").asString();
        String path = "resource-groups/" + group + "/quota-schedule";
        Map<String, Object> ok = Map.of("name", "p", "cron", "0 22 * * *", "durationMinutes", 60, "schedulingMaxRunning", 5);
        record Case(Object body, String field, String code) {}
        List<Case> cases = List.of(
                new Case(Map.of("profiles", List.of(Map.of("name", "p", "cron", "61 22 * * *", "durationMinutes", 60,
                        "schedulingMaxRunning", 5))), "profiles[0].cron", "InvalidParameter.QuotaSchedule.Cron"),
                new Case(Map.of("profiles", List.of(Map.of("name", "p", "cron", "0 0 31 2 *", "durationMinutes", 60,
                        "schedulingMaxRunning", 5))), "profiles[0].cron", "InvalidParameter.QuotaSchedule.Cron"),
                new Case(Map.of("timeZone", "Mars/Olympus", "profiles", List.of(ok)), "timeZone", "InvalidParameter.QuotaSchedule.TimeZone"),
                new Case(Map.of("profiles", List.of(Map.of("name", "p", "cron", "0 22 * * *", "durationMinutes", 0,
                        "schedulingMaxRunning", 5))), "profiles[0].durationMinutes", "InvalidParameter.QuotaSchedule"),
                new Case(Map.of("profiles", List.of(ok, Map.of("name", "q", "cron", "0 1 * * *", "durationMinutes", 60,
                        "schedulingMaxRunning", 500))), "profiles[1].schedulingMaxRunning", "InvalidParameter.Concurrency"),
                new Case(Map.of("profiles", List.of(profile("big", "0 1 * * *", 60, Map.of("DATA_INTEGRATION", Map.of("minCu", 3),
                        "SCHEDULING", Map.of("minCu", 2))))), "profiles[0].quotas", "InvalidParameter.Quota.MinimumsAboveSpec"),
                new Case(Map.of("profiles", List.of(profile("max", "0 1 * * *", 60, Map.of("SCHEDULING", Map.of("maxCu", 8))))),
                        "profiles[0].quotas.SCHEDULING.maxCu", "InvalidParameter.Quota"),
                new Case(Map.of("profiles", List.of(ok, ok)), "profiles[1].name", "InvalidParameter.QuotaSchedule"),
                new Case(Map.of("profiles", List.of(Map.of("name", "p", "cron", "0 22 * * *", "durationMinutes", 60))),
                        "profiles[0].quotas", "MissingParameter"),
                new Case(Map.of("timeZone", "UTC"), "profiles", "MissingParameter"));
        for (Case c : cases) {
            var r = admin.put(path, c.body());
            assertThat(r.status()).as("%s: %s", c, r).isEqualTo(400);
            assertThat(r.field()).as(c.toString()).isEqualTo(c.field());
            assertThat(r.code()).as(c.toString()).isEqualTo(c.code());
        }
        assertThat(admin.get(path).json().get("profiles").size()).as("nothing was stored").isZero();
        var nobody = fx.user();
        assertThat(nobody.http().put(path, Map.of("profiles", List.of(ok))).status()).isEqualTo(403);
        assertThat(admin.get(path + "/timeline?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z").field()).isEqualTo("to");
        // audited: the refused and the accepted change alike
        assertThat(admin.put(path, Map.of("profiles", List.of(ok))).status()).isEqualTo(200);
        assertThat(admin.get("audit-events?pageSize=1000").text()).contains("PUT /api/v1/" + path);
    }
}
