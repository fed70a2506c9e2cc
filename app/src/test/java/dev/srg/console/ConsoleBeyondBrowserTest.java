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

/** The budgets page (SPEC BEY-3) and a group's quota schedule page (SPEC BEY-2) in a real headless Chromium. */
@Tag("console")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ConsoleBeyondBrowserTest {
    static final String PASSWORD = "correct horse battery";

    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static Chromium chromium;
    static Page page;

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
