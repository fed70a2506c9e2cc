package dev.srg.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The groups list's row menu ("More"), the original's main entry point: never clipped by the
 * table's scroll box, and offering only what the group's state allows (asked of the lifecycle).
 */
@Tag("console")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleMenuBrowserTest {
    static final String PASSWORD = "correct horse battery";
    static TestServer server;
    static Chromium chromium;
    static String subscription;
    static String payAsYouGo;
    static String released;
    static String subscriptionWorkspace;
    static String paygWorkspace;

    @BeforeAll
    static void start() {
        assumeTrue(Chromium.available(), "browser tests skipped: " + Chromium.EXECUTABLE + " is missing");
        server = TestServer.start();
        Fixtures fx = new Fixtures(server);
        subscription = fx.subscriptionGroup(2).get("id").asString();
        payAsYouGo = fx.payAsYouGoGroup(4).get("id").asString();
        released = fx.subscriptionGroup(2).get("id").asString(); // the last row
        String buyer = server.admin().post("users", Map.of("name", "menu-buyer", "password", PASSWORD, "policies",
                List.of("OrderAccess", "ResourceGroupFullAccess", "VpcFullAccess", "ServiceLinkedRoleAccess"))).id();
        subscriptionWorkspace = server.admin().post("workspaces", Map.of("name", "ws-sub", "regionId", "local",
                "defaultResourceGroupId", subscription)).id();
        paygWorkspace = server.admin().post("workspaces", Map.of("name", "ws-payg", "regionId", "local",
                "defaultResourceGroupId", payAsYouGo)).id();
        for (String ws : List.of(subscriptionWorkspace, paygWorkspace)) {
            server.admin().put("workspaces/" + ws + "/members/" + buyer, Map.of("role", "DEVELOPER"));
        }
        server.admin().delete("resource-groups/" + released);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                server.admin().get("resource-groups/" + released).json().get("status").asString().equals("RELEASED"));
        chromium = Chromium.launch();
        Chromium.signIn(chromium.page, server.url(), "menu-buyer", PASSWORD);
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

    static Locator open(Page page, String group) {
        page.locator("tr[data-group='" + group + "'] details.menu summary").click();
        Locator items = page.locator("tr[data-group='" + group + "'] .menu-items");
        assertThat(items).isVisible();
        return items;
    }

    /** Every link of an open menu is where a click lands: inside the window and on top (not cut by the table's box). */
    static void assertNotClipped(Page page, Locator items) {
        Object hidden = items.evaluate("""
                m => [...m.querySelectorAll('a')].filter(a => {
                  const r = a.getBoundingClientRect();
                  const x = r.left + r.width / 2, y = r.top + r.height / 2;
                  return r.height === 0 || y < 0 || y > innerHeight || document.elementFromPoint(x, y) !== a;
                }).map(a => a.textContent)""");
        assertThat((List<?>) hidden).as("menu links not reachable").isEmpty();
    }

    @Test
    void theLastRowsMenuIsWholeAndOffersOnlyWhatAReleasedGroupAllows() {
        Page page = chromium.page;
        page.navigate(server.url() + "/console/groups");
        Locator last = open(page, released);
        assertNotClipped(page, last);
        assertThat(last).containsText("Instances");
        for (String refused : List.of("Scale", "Renew", "Manage quota", "Unsubscribe", "Associate", "Convert", "Enable")) {
            assertThat(last).not().containsText(refused);
        }
        chromium.shoot("groups-menu-released");
        page.keyboard().press("Escape");
        assertThat(last).not().isVisible();

        Locator sub = open(page, subscription);
        assertNotClipped(page, sub);
        assertThat(sub).containsText("Scale out / in");
        assertThat(sub).containsText("Renew");
        assertThat(sub).containsText("Manage quota");
        assertThat(sub).containsText("Unsubscribe");
        assertThat(sub).not().containsText("Convert");
        assertThat(sub).not().containsText("Enable");
        chromium.shoot("groups-menu");

        page.mouse().click(5, 5); // a click elsewhere closes it
        Locator payg = open(page, payAsYouGo);
        assertThat(payg).containsText("Convert to subscription");
        assertThat(payg).not().containsText("Scale");
        assertThat(payg).not().containsText("Renew");
    }

    @Test
    void aReleasedGroupsPageOffersNoChange() {
        Page page = chromium.page;
        page.navigate(server.url() + "/console/groups/" + released);
        assertThat(page.locator("#lifecycle .notice")).containsText("released");
        for (String form : List.of("#scale", "#renew", "#convert", "#enable", "#unsubscribe")) {
            assertThat(page.locator(form)).hasCount(0);
        }
        assertThat(page.getByText("Save quotas")).hasCount(0);
        assertThat(page.getByText("Save threshold")).hasCount(0);
        page.navigate(server.url() + "/console/groups/" + subscription);
        assertThat(page.locator("#scale")).isVisible();
        assertThat(page.locator("#renew")).isVisible();
        assertThat(page.locator("#convert")).hasCount(0);
    }

    @Test
    void runATaskOffersOnlyTheChosenWorkspacesGroupsAndTheBuyFormOnlyPurchasableRegions() {
        Page page = chromium.page;
        page.navigate(server.url() + "/console/instances/new");
        page.locator("#f-workspaceId").selectOption(paygWorkspace);
        assertThat(page.locator("#f-resourceGroupId option[value='" + payAsYouGo + "']")).isEnabled();
        assertThat(page.locator("#f-resourceGroupId option[value='" + subscription + "']")).isDisabled();
        page.locator("#f-workspaceId").selectOption(subscriptionWorkspace);
        assertThat(page.locator("#f-resourceGroupId option[value='" + subscription + "']")).isEnabled();
        assertThat(page.locator("#f-resourceGroupId option[value='" + payAsYouGo + "']")).isDisabled();
        page.locator("#f-resourceGroupId").selectOption(subscription);
        page.locator("#f-workspaceId").selectOption(paygWorkspace);
        assertThat(page.locator("#f-resourceGroupId")).hasValue(""); // back to the workspace's default
        chromium.shoot("run-task-form");

        page.navigate(server.url() + "/console/groups/new");
        Object regions = page.evaluate("() => [...document.querySelectorAll('#f-regionId option')].map(o => o.value)");
        assertThat(String.valueOf(regions)).contains("local").doesNotContain("th-bangkok");
    }

    @Test
    void aSkipLinkIsTheFirstStopOfTheKeyboard() {
        Page page = chromium.page;
        page.navigate(server.url() + "/console/groups");
        page.keyboard().press("Tab");
        Locator skip = page.locator("a.skip-link");
        assertThat(skip).isFocused();
        assertThat(skip).isVisible();
        page.keyboard().press("Enter");
        assertThat(page).hasURL(java.util.regex.Pattern.compile(".*#main$"));
    }
}
