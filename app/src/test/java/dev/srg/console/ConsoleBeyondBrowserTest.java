package dev.srg.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The beyond-peer pages in a real headless Chromium: budgets (SPEC BEY-3), a group's quota schedule
 * (BEY-2), the estimate on "Run a task" (BEY-1), right-sizing advice (BEY-4), chargeback (BEY-5), and
 * the price before money moves with the confirmations on a group's page.
 */
@Tag("console")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConsoleBeyondBrowserTest {
    static final String PASSWORD = "correct horse battery";

    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static Chromium chromium;
    static Page page;
    static String buyerId;

    @BeforeAll
    static void start() {
        assumeTrue(Chromium.available(), "browser tests skipped: " + Chromium.EXECUTABLE + " is missing");
        server = TestServer.start(cfg -> cfg.withSimulatedClock(true));
        fx = new Fixtures(server);
        admin = server.admin();
        String buyer = "buyer" + System.nanoTime() % 100_000;
        var r = admin.post("users", Map.of("name", buyer, "password", PASSWORD,
                "policies", List.of("OrderAccess", "ResourceGroupFullAccess", "VpcFullAccess", "ServiceLinkedRoleAccess")));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        buyerId = r.id();
        chromium = Chromium.launch();
        page = chromium.page;
        Chromium.signIn(page, server.url(), buyer, PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static void click(String button) {
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(button).setExact(true)).click();
    }

    @Test
    @DisplayName("SPEC BEY-3: create a budget on the console, refused first (amount), then listed with this month's spending")
    void budgets() {
        String group = fx.subscriptionGroup(2).get("id").asString();
        page.navigate(server.url() + "/console/budgets");
        assertThat(page.locator("#budget-rows")).containsText("No budget yet.");
        page.locator("#f-name").fill("team-a");
        page.locator("#f-scope").selectOption("rg:" + group);
        page.locator("#f-unit").selectOption("MONEY");
        page.locator("#f-amount").fill("0");
        click("Create budget");
        assertThat(page.locator("#e-amount")).containsText("amount must be positive");
        assertThat(page.locator("#f-name")).hasValue("team-a");

        page.locator("#f-amount").fill("1000");
        click("Create budget");
        assertThat(page.locator(".flash.ok")).containsText("Budget team-a created");
        var row = page.locator("#budget-rows tbody tr").first();
        // the group's subscription order of this month (2 CU x 50.00) is its spending, shown in cents
        assertThat(row).containsText("100.00 / 1000.00");
        assertThat(row).containsText("10.00 %");
        assertThat(admin.get("budgets").json().get("items").get(0).get("name").asString()).isEqualTo("team-a");
    }

    @Test
    @DisplayName("the price before money moves: \"Show the price\" quotes the purchase (nothing bought, the form kept), then Buy now buys")
    void priceBeforeBuyNow() {
        fx.network();
        long groups = server.sqlLong("SELECT count(*) FROM resource_groups");
        page.navigate(server.url() + "/console/groups/new");
        page.getByLabel("Name", new Page.GetByLabelOptions().setExact(true)).fill("priced");
        page.locator("#f-specCu").fill("3");
        page.locator("#f-vpcId").selectOption(new com.microsoft.playwright.options.SelectOption().setIndex(1));
        page.locator("#f-vswitchId").selectOption(new com.microsoft.playwright.options.SelectOption().setIndex(1));
        click("Show the price");
        // 3 CU x 50.00 per CU-month for one month
        assertThat(page.locator(".flash.ok")).containsText("Price: 150.00 USD");
        assertThat(page.locator("#f-specCu")).hasValue("3");
        assertThat(server.sqlLong("SELECT count(*) FROM resource_groups")).as("a quote buys nothing").isEqualTo(groups);
        click("Buy now");
        assertThat(page.locator(".flash.ok")).containsText("is being created");
        assertThat(server.sqlLong("SELECT count(*) FROM resource_groups")).isEqualTo(groups + 1);
    }

    /** A workspace on {@code group} of which the signed-in buyer is a developer. */
    static String memberWorkspace(String group) {
        String ws = fx.workspace(group).get("id").asString();
        var put = admin.put("workspaces/" + ws + "/members/" + buyerId, Map.of("role", "DEVELOPER"));
        assertThat(put.status()).as(put.toString()).isBetween(200, 201);
        return ws;
    }

    static String runAndWait(String ws, String script, double cu, String name, String status) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", cu));
        if (name != null) {
            body.put("name", name);
        }
        var r = admin.post("instances", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() ->
                admin.get("instances/" + r.id()).json().get("status").asString().equals(status));
        return r.id();
    }

    @Test
    @DisplayName("SPEC BEY-1: \"Estimate first\" on Run a task shows the position, reason, estimated start and cost; nothing is submitted")
    void estimateBeforeRun() {
        String group = fx.payAsYouGoGroup(2).get("id").asString();
        String ws = memberWorkspace(group);
        String blocker = runAndWait(ws, "sleep 600", 2, null, "RUNNING");
        long instances = server.sqlLong("SELECT count(*) FROM instances");
        page.navigate(server.url() + "/console/instances/new");
        page.locator("#f-workspaceId").selectOption(ws);
        page.locator("#f-resourceGroupId").selectOption(group);
        page.locator("#f-cu").fill("1");
        page.locator("#f-script").fill("sleep 1");
        page.locator("#estimate").click();
        var flash = page.locator(".flash.ok");
        assertThat(flash).containsText("Estimate (nothing submitted)");
        assertThat(flash).containsText("position 1");
        assertThat(flash).containsText(Fmt.waitReason(dev.srg.admission.WaitReason.CAPACITY));
        assertThat(flash).containsText("Estimated start:");
        assertThat(flash).containsText("estimated cost");
        assertThat(page.locator("#f-script")).hasValue("sleep 1");
        assertThat(server.sqlLong("SELECT count(*) FROM instances")).as("an estimate submits nothing").isEqualTo(instances);
        admin.post("instances/" + blocker + "/cancel", Map.of());
        chromium.shoot("run-estimate");
    }

    @Test
    @DisplayName("SPEC BEY-4: right-sizing advice on the workspace page and on a recurring task's instance page")
    void advice() {
        String group = fx.payAsYouGoGroup(4).get("id").asString();
        String ws = memberWorkspace(group);
        String last = null;
        for (int i = 0; i < 3; i++) {
            last = runAndWait(ws, "sleep 1", 2, "nightly", "SUCCEEDED");
        }
        var api = admin.get("workspaces/" + ws + "/advice").json().get("items");
        assertThat(api.size()).as(api.toString()).isEqualTo(1);
        page.navigate(server.url() + "/console/workspaces/" + ws);
        var rows = page.locator("#advice-rows");
        assertThat(rows).containsText("nightly");
        assertThat(rows).containsText(Fmt.cu(dev.srg.quantity.ComputeUnits.parse("advisedCu", api.get(0).get("advisedCu").decimalValue())) + " CU");
        page.navigate(server.url() + "/console/instances/" + last);
        assertThat(page.locator("#advice")).containsText("Right-sizing advice");
        assertThat(page.locator("#advice-rows")).containsText("nightly");
    }

    @Test
    @DisplayName("SPEC BEY-5: the chargeback page shows the month's rows and total, and downloads them as CSV and JSON")
    void chargeback() throws Exception {
        String group = fx.subscriptionGroup(2).get("id").asString();
        var report = admin.get("chargeback").json();
        page.navigate(server.url() + "/console/budgets");
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Chargeback").setExact(true)).click();
        assertThat(page.locator("h1")).containsText("Chargeback " + report.get("month").asString());
        assertThat(page.locator("#chargeback-rows")).containsText(admin.get("resource-groups/" + group).json().get("name").asString());
        assertThat(page.locator("#chargeback-total")).containsText(
                report.get("total").decimalValue().setScale(2, java.math.RoundingMode.HALF_UP).toPlainString());
        var csv = page.waitForDownload(() -> page.locator("#chargeback-csv").click());
        String text = java.nio.file.Files.readString(csv.path());
        assertThat(text).startsWith("month,workspace_id").contains(group);
        assertThat(text.lines().count()).as(text).isEqualTo(report.get("rows").size() + 1L);
        var json = page.waitForDownload(() -> page.locator("#chargeback-json").click());
        var downloaded = dev.srg.json.Json.MAPPER.readTree(java.nio.file.Files.readString(json.path()));
        assertThat(downloaded.get("total").decimalValue()).isEqualByComparingTo(report.get("total").decimalValue());
        page.navigate(server.url() + "/console/chargeback?month=2026-13");
        assertThat(page.locator("body")).containsText("month");
        chromium.shoot("chargeback");
    }

    @Test
    @DisplayName("the price before money moves on a group's page: scale, renew and convert quoted (nothing ordered); a scale-in below"
            + " use and unsubscribe ask for confirmation")
    void groupQuotesAndConfirmations() {
        String group = fx.subscriptionGroup(4).get("id").asString();
        String ws = fx.workspace(group).get("id").asString();
        String a = runAndWait(ws, "sleep 600", 1.5, null, "RUNNING");
        String b = runAndWait(ws, "sleep 600", 1.5, null, "RUNNING");
        long orders = server.sqlLong("SELECT count(*) FROM orders");
        page.navigate(server.url() + "/console/groups/" + group);
        page.locator("#renew #quote-renew").click();
        assertThat(page.locator(".flash.ok")).containsText("Price: 200.00 USD");
        assertThat(page.locator(".flash.ok")).containsText("Nothing is bought until you press Renew");
        page.locator("#scale input[name=specCu]").fill("6");
        page.locator("#quote-scale").click();
        assertThat(page.locator(".flash.ok")).containsText("Price:");
        assertThat(page.locator("#scale input[name=specCu]")).hasValue("6");
        assertThat(server.sqlLong("SELECT count(*) FROM orders")).as("quotes order nothing").isEqualTo(orders);

        // 3 CU run: a scale-in to 2 CU is quoted with its warning and refused until confirmed
        page.locator("#scale input[name=specCu]").fill("2");
        page.locator("#quote-scale").click();
        assertThat(page.locator(".flash.ok")).containsText("Price:");
        assertThat(page.locator("#flash-warnings")).containsText("below");
        page.locator("#scale button.primary").click();
        assertThat(page.locator("#scale")).containsText("tick the box to confirm");
        assertThat(admin.get("resource-groups/" + group).json().get("specCu").decimalValue()).isEqualByComparingTo("4");
        page.locator("#scale input[name=specCu]").fill("2");
        page.locator("#scale input[name=confirm]").check();
        page.locator("#scale button.primary").click();
        assertThat(page.locator(".flash.ok")).containsText("2 CU");
        assertThat(admin.get("instances/" + a).json().get("status").asString()).isEqualTo("RUNNING");

        // unsubscribe asks first
        page.locator("#unsubscribe button.danger").click();
        assertThat(page.locator("#unsubscribe")).containsText("tick the box to confirm");
        assertThat(admin.get("resource-groups/" + group).json().get("status").asString()).isNotEqualTo("RELEASING");
        admin.post("instances/" + a + "/cancel", Map.of());
        admin.post("instances/" + b + "/cancel", Map.of());

        // a pay-as-you-go group's conversion is quoted too
        String payg = fx.payAsYouGoGroup(4).get("id").asString();
        long ordersBefore = server.sqlLong("SELECT count(*) FROM orders");
        page.navigate(server.url() + "/console/groups/" + payg);
        page.locator("#convert input[name=specCu]").fill("2");
        page.locator("#quote-convert").click();
        assertThat(page.locator(".flash.ok")).containsText("Price: 100.00 USD");
        assertThat(server.sqlLong("SELECT count(*) FROM orders")).as("a quote orders nothing").isEqualTo(ordersBefore);
        chromium.shoot("group-quotes");
    }

    @Test
    @DisplayName("SPEC BEY-6: a pay-as-you-go group's page turns resume on demand on and off")
    void resumeOnDemand() {
        String group = fx.payAsYouGoGroup(2).get("id").asString();
        page.navigate(server.url() + "/console/groups/" + group);
        var box = page.locator("#resume-on-demand input[name=enabled]");
        assertThat(box).not().isChecked();
        box.check();
        page.locator("#resume-on-demand button").click();
        assertThat(page.locator(".flash.ok")).containsText("resumes by itself");
        assertThat(admin.get("resource-groups/" + group + "/resume-on-demand").json().get("enabled").asBoolean()).isTrue();
        assertThat(page.locator("#resume-on-demand input[name=enabled]")).isChecked();
        page.locator("#resume-on-demand input[name=enabled]").uncheck();
        page.locator("#resume-on-demand button").click();
        assertThat(page.locator(".flash.ok")).containsText("stays frozen");
        assertThat(admin.get("resource-groups/" + group + "/resume-on-demand").json().get("enabled").asBoolean()).isFalse();
        // a subscription has no such setting
        page.navigate(server.url() + "/console/groups/" + fx.subscriptionGroup(2).get("id").asString());
        assertThat(page.locator("#resume-on-demand")).hasCount(0);
    }

    @Test
    @DisplayName("SPEC BEY-2: a group's quota schedule page shows its profiles, what applies now and the timeline")
    void schedule() {
        String group = fx.subscriptionGroup(4).get("id").asString();
        var put = admin.put("resource-groups/" + group + "/quota-schedule", Map.of("timeZone", "Europe/Berlin", "profiles",
                List.of(Map.of("name", "nights", "cron", "0 22 * * *", "durationMinutes", 480,
                        "quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 2)), "schedulingMaxRunning", 20))));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        page.navigate(server.url() + "/console/groups/" + group);
        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Quota schedule")).click();
        assertThat(page.locator("h1")).containsText("Quota schedule of");
        assertThat(page.locator("#profile-rows")).containsText("nights");
        assertThat(page.locator("#profile-rows")).containsText("DATA_INTEGRATION min 2 CU");
        assertThat(page.locator("#applied")).containsText("at most");
        // a week of nights: the profile appears in the timeline between the group's own settings
        assertThat(page.locator("#timeline-rows tbody tr")).not().hasCount(0);
        assertThat(page.locator("#timeline-rows")).containsText("nights");
        assertThat(page.locator("#timeline-rows")).containsText("group's own");
        chromium.shoot("quota-schedule");
    }
}
