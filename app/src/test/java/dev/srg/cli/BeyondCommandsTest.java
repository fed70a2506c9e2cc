package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import dev.srg.testing.TestCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code srg schedule}, {@code srg budget}, and purchase quotes and confirmations, against a real server. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SimulatedClock
class BeyondCommandsTest extends ServerTestBase {
    static TestCli.Run srg(String... args) {
        return TestCli.asAdmin(server, args);
    }

    static TestCli.Run ok(String... args) {
        var r = srg(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    @Test
    @DisplayName("SPEC BEY-2: srg schedule set, show, timeline and clear; a bad cron is refused naming the field")
    void schedule() throws Exception {
        String group = fx.subscriptionGroup(4).get("id").asString();
        Path file = Files.createTempFile("schedule", ".json");
        Files.writeString(file, """
                {"timeZone": "Europe/Berlin", "profiles": [{"name": "nights", "cron": "0 22 * * *", "durationMinutes": 480,
                 "quotas": {"DATA_INTEGRATION": {"minCu": 2}}, "schedulingMaxRunning": 20}]}""");
        var set = ok("schedule", "set", group, file.toString());
        assertThat(set.out()).startsWith("PROFILE").contains("nights").contains("0 22 * * *").contains("DATA_INTEGRATION=2:")
                .contains("time zone Europe/Berlin");
        var timeline = ok("schedule", "timeline", group);
        assertThat(timeline.out()).startsWith("FROM").contains("nights").contains("(group's own)");
        assertThat(ok("schedule", "show", group, "-o", "json").json().get("profiles").get(0).get("name").asString()).isEqualTo("nights");
        Files.writeString(file, """
                {"profiles": [{"name": "x", "cron": "0 25 * * *", "durationMinutes": 60, "schedulingMaxRunning": 2}]}""");
        var bad = srg("schedule", "set", group, file.toString());
        assertThat(bad.exit()).isEqualTo(3);
        assertThat(bad.err()).contains("profiles[0].cron");
        assertThat(ok("schedule", "clear", group, "-o", "json").json().get("profiles").size()).isZero();
        Files.delete(file);
    }

    @Test
    @DisplayName("SPEC BEY-3: srg budget create, list, set (raise), events and delete")
    void budget() {
        String group = fx.subscriptionGroup(2).get("id").asString();
        var created = ok("budget", "create", "team", "--rg", group, "--unit", "money", "--amount", "1000.004", "-o", "json").json();
        String id = created.get("id").asString();
        assertThat(created.get("amount").decimalValue()).isEqualByComparingTo("1000.004");
        var list = ok("budget", "list");
        // money shown in cents: the exact amount stays in the ledger and in -o json
        assertThat(list.out()).startsWith("ID").contains(id).contains("/ 1000.00");
        // by its name, as the other resources are
        assertThat(ok("budget", "set", "team", "--amount", "5000", "-o", "json").json().get("amount").asInt()).isEqualTo(5000);
        assertThat(ok("budget", "events", id).out()).startsWith("MONTH");
        assertThat(srg("budget", "create", "x", "--unit", "MONEY", "--amount", "1").exit()).isEqualTo(3);
        assertThat(ok("budget", "delete", id).out()).contains("deleted " + id);
    }

    @Test
    @DisplayName("the price before money moves: every purchase quoted with dryRun (nothing written), scale-in below use and"
            + " unsubscribe confirmed, amounts shown in cents while the ledger stays exact")
    void quotesAndConfirmations() {
        var net = fx.network();
        long orders = server.sqlLong("SELECT count(*) FROM orders");
        long groups = server.sqlLong("SELECT count(*) FROM resource_groups");
        long audit = server.sqlLong("SELECT count(*) FROM audit_events");
        // create: a subscription of 3 CU for a month at 50.00 per CU-month
        var create = admin.post("resource-groups?dryRun=true", fx.subscriptionBody(net, 3));
        assertThat(create.status()).as(create.toString()).isEqualTo(200);
        assertThat(create.json().get("dryRun").asBoolean()).isTrue();
        assertThat(create.json().get("type").asString()).isEqualTo("CREATE");
        assertThat(create.json().get("amount").decimalValue()).isEqualByComparingTo("150");
        assertThat(create.json().get("amountShown").asString()).isEqualTo("150.00 USD");
        // a quote refuses what the purchase refuses
        var badCreate = admin.post("resource-groups?dryRun=true", Map.of("name", "x", "regionId", "local", "zoneId", "local-a",
                "billingMode", "SUBSCRIPTION", "specCu", 3, "vpcId", net.vpcId(), "vswitchId", net.vswitchId()));
        assertThat(badCreate.status()).isEqualTo(400);
        assertThat(badCreate.field()).isEqualTo("billingCycle");
        assertThat(server.sqlLong("SELECT count(*) FROM orders")).as("a quote orders nothing").isEqualTo(orders);
        assertThat(server.sqlLong("SELECT count(*) FROM resource_groups")).isEqualTo(groups);
        assertThat(server.sqlLong("SELECT count(*) FROM audit_events")).as("a quote is no change: not audited").isEqualTo(audit);

        String group = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(group).get("id").asString();
        long ordersBefore = server.sqlLong("SELECT count(*) FROM orders WHERE resource_group_id = '" + group + "'");
        // scale-out: the added CU prorated over what is left of the period: exact in the ledger, cents for people
        var out = admin.post("resource-groups/" + group + "/scale?dryRun=true", Map.of("specCu", 5)).json();
        assertThat(out.get("type").asString()).isEqualTo("SCALE_OUT");
        assertThat(out.get("previousSpecCu").asInt()).isEqualTo(4);
        assertThat(out.get("amountShown").asString()).matches("\\d+\\.\\d\\d USD");
        assertThat(out.get("confirmationRequired").asBoolean()).isFalse();
        var renew = admin.post("resource-groups/" + group + "/renew?dryRun=true", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1)));
        assertThat(renew.json().get("amount").decimalValue()).isEqualByComparingTo("200");
        var cli = ok("rg", "scale", group, "--spec-cu", "5", "--dry-run");
        assertThat(cli.out()).contains("SCALE_OUT").contains("4 -> 5").contains(out.get("amountShown").asString());
        assertThat(ok("rg", "renew", group, "--cycle", "1month", "--dry-run").out()).contains("RENEW").contains("200.00 USD");
        String payg = fx.payAsYouGoGroup(4).get("id").asString();
        var convert = ok("rg", "convert", payg, "--cycle", "1month", "--spec-cu", "2", "--dry-run", "-o", "json").json();
        assertThat(convert.get("type").asString()).isEqualTo("CONVERT");
        assertThat(convert.get("amount").decimalValue()).isEqualByComparingTo("100");
        assertThat(server.sqlLong("SELECT count(*) FROM orders WHERE resource_group_id = '" + group + "'")).isEqualTo(ordersBefore);

        // scale-in below what runs now: the quote says so, the CLI asks (no terminal here: refused without --yes)
        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            tasks.add(admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 120", "cu", 2)).id());
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> tasks.stream()
                .allMatch(t -> admin.get("instances/" + t).json().get("status").asString().equals("RUNNING")));
        var in = admin.post("resource-groups/" + group + "/scale?dryRun=true", Map.of("specCu", 2)).json();
        assertThat(in.get("type").asString()).isEqualTo("SCALE_IN");
        assertThat(in.get("confirmationRequired").asBoolean()).isTrue();
        assertThat(in.get("warnings").get(0).asString()).contains("below");
        var refused = srg("rg", "scale", group, "--spec-cu", "2");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).contains("below").contains("--yes");
        assertThat(admin.get("resource-groups/" + group).json().get("specCu").asInt()).isEqualTo(4);
        var confirmed = ok("rg", "scale", group, "--spec-cu", "2", "--yes");
        assertThat(confirmed.out()).contains("SCALE_IN");
        tasks.forEach(t -> admin.post("instances/" + t + "/cancel", Map.of()));

        // a release asks too, naming the group (a pay-as-you-go group is released, not unsubscribed), in one line
        var unconfirmed = srg("rg", "delete", payg);
        assertThat(unconfirmed.exit()).isEqualTo(2);
        String paygName = admin.get("resource-groups/" + payg).json().get("name").asString();
        assertThat(unconfirmed.err()).isEqualTo("error: refused without --yes (no terminal to ask on): Release " + paygName + " ("
                + payg + ")? Its queued tasks are cancelled\n");
        assertThat(admin.get("resource-groups/" + payg).json().get("status").asString()).isEqualTo("RUNNING");
        assertThat(ok("rg", "delete", payg, "--yes").out()).contains("Releasing");
    }
}
