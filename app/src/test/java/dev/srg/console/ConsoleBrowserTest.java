package dev.srg.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The console's main flows in a real headless Chromium (Debian's {@code chromium}, installed by
 * .ci/run; Playwright never downloads a browser). Screenshots at laptop and phone widths go to
 * {@code target/screenshots/}.
 */
@Tag("console")
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    static final Path SHOTS = Chromium.SHOTS;
    static final String PASSWORD = "correct horse battery";
    static final LocatorAssertions.IsVisibleOptions LONG = new LocatorAssertions.IsVisibleOptions().setTimeout(30_000);

    static TestServer server;
    static Fixtures fx;
    static Chromium chromium;
    static Browser browser;
    static Page page;
    static final AtomicBoolean dialogSeen = new AtomicBoolean();
    static String buyer;
    static String groupId;

    @BeforeAll
    static void start() {
        assumeTrue(Chromium.available(), "browser tests skipped: " + Chromium.EXECUTABLE
                + " is missing (apt-get install chromium; .ci/run installs it)");
        server = TestServer.start();
        fx = new Fixtures(server);
        buyer = user("buyer", "OrderAccess", "ResourceGroupFullAccess", "VpcFullAccess", "ServiceLinkedRoleAccess");
        fx.network();
        chromium = Chromium.launch();
        browser = chromium.browser;
        page = chromium.page;
        page.onDialog(d -> {
            dialogSeen.set(true);
            d.dismiss();
        });
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

    static String user(String prefix, String... policies) {
        String name = prefix + System.nanoTime() % 100_000;
        var r = server.admin().post("users", Map.of("name", name, "policies", List.of(policies), "password", PASSWORD));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return name;
    }

    static String url(String path) {
        return server.url() + path;
    }

    static void signIn(Page p, String name, String password) {
        Chromium.signIn(p, server.url(), name, password);
    }

    static void shoot(String name) {
        chromium.shoot(name);
    }

    @Test
    @Order(1)
    void signInRefusesABadPasswordThenLandsOnTheGroups() {
        page.navigate(url("/console/groups"));
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/console/sign-in\\?next=.*"));
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("sign-in-1280.png")));
        signIn(page, buyer, "not the password");
        assertThat(page.locator("#signin-error")).hasText("Wrong user name or password.");
        signIn(page, buyer, PASSWORD);
        assertThat(page).hasURL(url("/console/groups"));
        assertThat(page.getByRole(com.microsoft.playwright.options.AriaRole.HEADING,
                new Page.GetByRoleOptions().setName("Resource groups"))).isVisible();
    }

    @Test
    @Order(2)
    void createAGroupShowingTheValidationErrorNextToTheField() {
        page.navigate(url("/console/groups"));
        page.locator("#create-group").click();
        page.getByLabel("Name", new Page.GetByLabelOptions().setExact(true)).fill("etl-prod");
        page.locator("#f-specCu").fill("2.5");
        page.locator("#f-vpcId").selectOption(new com.microsoft.playwright.options.SelectOption().setIndex(1));
        page.locator("#f-vswitchId").selectOption(new com.microsoft.playwright.options.SelectOption().setIndex(1));
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Buy now")).click();
        Locator error = page.locator("#e-specCu");
        assertThat(error).containsText("whole number of CU from 2 to 1000, got 2.5");
        assertThat(page.locator("#f-specCu")).hasValue("2.5");
        assertThat(page.locator("#f-specCu")).hasAttribute("aria-invalid", "true");
        shoot("create-group-error");
        page.locator("#f-specCu").fill("4");
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Buy now")).click();
        assertThat(page.locator(".flash.ok")).containsText("is being created");
        groupId = page.url().replaceAll(".*/console/groups/([^/#?]+).*", "$1");
        assertThat(groupId).startsWith("rg-");
        fx.awaitRunning(groupId);
        page.navigate(url("/console/groups"));
        assertThat(page.locator("tr[data-group='" + groupId + "'] .badge")).hasText("Running");
    }

    @Test
    @Order(3)
    void runATaskAndWatchItSucceedInTheList() {
        page.navigate(url("/console/workspaces"));
        page.locator("#create summary").click();
        page.getByLabel("Name", new Page.GetByLabelOptions().setExact(true)).fill("analytics");
        page.locator("#f-defaultResourceGroupId").selectOption(groupId);
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create")).click();
        assertThat(page.locator(".flash.ok")).containsText("analytics");

        page.navigate(url("/console/groups/" + groupId));
        page.getByText("Run a task").first().click();
        page.locator("#f-name").fill("daily-report");
        page.locator("#f-script").fill("echo \"report for $SRG_INSTANCE_ID\"\nsleep 2\necho done");
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Run")).click();
        // lands on the new task's page, which shows what runs (Slurm's Command=) and its live log
        assertThat(page.locator(".flash.ok")).containsText("Submitted");
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/console/instances/i-[^/?#]+$"));
        String instance = page.url().replaceAll(".*/console/instances/", "");
        assertThat(page.locator("#script")).hasText("echo \"report for $SRG_INSTANCE_ID\"\nsleep 2\necho done");
        assertThat(page.locator("#log")).containsText("done", new LocatorAssertions.ContainsTextOptions().setTimeout(60_000));
        assertThat(page.locator("#log-state")).hasText("Complete");
        assertThat(page.locator("#facts .badge").first()).hasText("Succeeded");
        page.navigate(url("/console/instances"));
        Locator row = page.locator("#instance-rows tr").first();
        assertThat(row.locator(".badge")).hasText("Succeeded", new LocatorAssertions.HasTextOptions().setTimeout(60_000));
        assertThat(row).containsText(instance);
        shoot("instances");
        page.navigate(url("/console/instances/" + instance));
        assertThat(page.locator("#log-state")).hasText("Complete");
        shoot("instance");
    }

    @Test
    @Order(4)
    void changeAQuotaSeeingTheRefusalNextToTheField() {
        page.navigate(url("/console/groups/" + groupId + "#quotas"));
        page.locator("[id='f-quotas.SCHEDULING.maxCu']").fill("8");
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Save quotas")).click();
        assertThat(page.locator("[id='e-quotas.SCHEDULING.maxCu']")).containsText("above the group's capacity 4 CU");
        page.locator("[id='f-quotas.SCHEDULING.maxCu']").fill("3");
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Save quotas")).click();
        assertThat(page.locator(".flash.ok")).containsText("Quotas saved");
        assertThat(page.locator("[id='f-quotas.SCHEDULING.maxCu']")).hasValue("3");
        assertThat(page.locator("#usage-table tr[data-usage-type='SCHEDULING'] td").nth(5)).hasText("3");
    }

    @Test
    @Order(5)
    void readTheUsageChartWithRunningAndQueuedTasks() {
        // two tasks of 1.5 CU under a 3 CU cap run; a third waits for the quota (they run until the test
        // cancels them at its end: a minute of sleep could end before a loaded machine has read the chart)
        for (int i = 0; i < 3; i++) {
            page.navigate(url("/console/instances/new?resourceGroupId=" + groupId));
            page.locator("#f-name").fill("etl-step-" + (i + 1));
            page.locator("#f-cu").fill("1.5");
            page.locator("#f-script").fill("sleep 600");
            page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Run")).click();
            assertThat(page.locator(".flash.ok")).containsText("Submitted");
        }
        page.navigate(url("/console/groups/" + groupId));
        Locator reason = page.locator("#tasks-live td.reason").first();
        assertThat(reason).containsText("maximum CU quota", new LocatorAssertions.ContainsTextOptions().setTimeout(30_000));
        page.waitForFunction("() => window.srgUsageChart && window.srgUsageChart.data.datasets.length > 0");
        // the last hour by default, drawn in steps, with the capacity of each moment and the queued tasks
        assertThat(page.locator("#usage-window button[data-window='1h']")).hasAttribute("aria-pressed", "true");
        page.waitForFunction("() => document.getElementById('usage-chart').dataset.mode === '1h'");
        Object shape = page.evaluate("() => { const c = window.srgUsageChart; const by = t => c.data.datasets.find(d => d.usageType === t);"
                + " return [c.options.elements.line.stepped, c.options.elements.line.tension, !!by('CAPACITY'), !!by('QUEUED'),"
                + " by('QUEUED').yAxisID]; }");
        assertThat(String.valueOf(shape)).isEqualTo("[before, 0, true, true, queued]");
        page.locator("#usage-window button[data-window='live']").click();
        page.waitForFunction("() => window.srgUsageChart.data.datasets[0].data.some(v => v >= 3)",
                null, new Page.WaitForFunctionOptions().setTimeout(30_000));
        page.waitForFunction("() => window.srgUsageChart.data.datasets.find(d => d.usageType === 'QUEUED').data.some(v => v >= 1)",
                null, new Page.WaitForFunctionOptions().setTimeout(30_000));
        page.waitForFunction("() => window.srgUsageChart.data.datasets.find(d => d.usageType === 'CAPACITY').data.every(v => v === 4)");
        Object label = page.evaluate("() => window.srgUsageChart.data.datasets[0].label");
        assertThat(label).isEqualTo("Scheduling");
        assertThat(page.locator("#usage-table tr[data-usage-type='SCHEDULING'] td").nth(1)).hasText("3");
        assertThat(page.locator("#usage-window button[data-window='1h']")).isEnabled();
        page.waitForTimeout(5500); // a second live sample
        shoot("group-details");
        page.navigate(url("/console/groups"));
        shoot("groups");
        // leave nothing running
        for (var item : server.admin().get("instances?resourceGroupId=" + groupId).json().get("items")) {
            if (!item.get("status").asString().matches("SUCCEEDED|FAILED|CANCELLED|TIMED_OUT")) {
                server.admin().post("instances/" + item.get("id").asString() + "/cancel", Map.of());
            }
        }
    }

    @Test
    @Order(6)
    void namesAreEscaped() {
        var body = fx.subscriptionBody(fx.network(), 2);
        body.put("name", "<script>alert(1)</script>");
        assertThat(server.admin().post("resource-groups", body).status()).isEqualTo(201);
        page.navigate(url("/console/groups"));
        assertThat(page.getByText("<script>alert(1)</script>", new Page.GetByTextOptions().setExact(true))).isVisible();
        page.getByText("<script>alert(1)</script>", new Page.GetByTextOptions().setExact(true)).click();
        assertThat(page.locator("h1")).containsText("<script>alert(1)</script>");
        assertThat(dialogSeen.get()).as("a script ran").isFalse();
    }

    @Test
    @Order(7)
    void aPostWithoutTheCsrfTokenIsRefused() {
        APIResponse r = page.request().post(url("/console/networks"), RequestOptions.create().setMaxRedirects(0)
                .setForm(FormData.create().set("name", "forged").set("regionId", "local").set("cidr", "10.77.0.0/16")));
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.text()).contains("not valid any more");
    }

    @Test
    @Order(8)
    void aUserWithoutBuyPoliciesSeesNoBuyActionsAndIsRefusedIfItPostsAnyway() {
        String viewer = user("viewer", "VpcReadOnlyAccess");
        try (BrowserContext ctx = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 800))) {
            Page p = ctx.newPage();
            signIn(p, viewer, PASSWORD);
            assertThat(p.locator("h1")).hasText("Resource groups");
            assertThat(p.locator("#create-group")).hasCount(0);
            assertThat(p.getByText("Users")).hasCount(0);
            String csrf = p.locator("input[name=_csrf]").first().inputValue();
            var net = fx.network();
            APIResponse r = p.request().post(url("/console/groups"), RequestOptions.create().setForm(FormData.create()
                    .set("_csrf", csrf).set("name", "sneaky").set("regionId", "local").set("zoneId", "local-a")
                    .set("billingMode", "SUBSCRIPTION").set("specCu", "2").set("billingCycle.unit", "MONTH")
                    .set("billingCycle.count", "1").set("vpcId", net.vpcId()).set("vswitchId", net.vswitchId())));
            assertThat(r.text()).contains("missing policy OrderAccess and ResourceGroupFullAccess");
            p.navigate(url("/console/users"));
            assertThat(p.locator(".problem")).containsText("missing policy AdministratorAccess");
        }
    }

    @Test
    @Order(9)
    void signOut() {
        page.navigate(url("/console/groups"));
        page.getByRole(com.microsoft.playwright.options.AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign out")).click();
        assertThat(page.locator(".flash.ok")).hasText("You are signed out.");
        page.navigate(url("/console/groups"));
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*/console/sign-in.*"));
    }
}
