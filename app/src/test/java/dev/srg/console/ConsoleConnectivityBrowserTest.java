package dev.srg.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestNetworkHosts;
import dev.srg.testing.TestServer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The group page's "Test connectivity" in a real headless Chromium (SPEC NET-8): real connections
 * from inside the group's network, to a test host in a namespace this test creates (in the group's
 * VPC) and to the server's own port (never reachable from a task).
 */
@Tag("console")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConsoleConnectivityBrowserTest {
    static final String PASSWORD = "correct horse battery";

    static TestServer server;
    static TestNetworkHosts hosts;
    static Chromium chromium;
    static String group;
    static String database;

    @BeforeAll
    static void start() throws Exception {
        assumeThat(Chromium.available()).as("browser tests need " + Chromium.EXECUTABLE).isTrue();
        assumeThat(System.getProperty("user.name")).as("network namespaces need root").isEqualTo("root");
        assumeThat(TestNetworkHosts.run("sh", "-c", "command -v nft")).as("nft").isNull();
        server = TestServer.start();
        Fixtures fx = new Fixtures(server);
        group = fx.subscriptionGroup(2).get("id").asString();
        fx.workspace(group);
        String vpc = server.admin().get("resource-groups/" + group).json().get("networks").get(0).get("vpcId").asString();
        String cidr = server.admin().get("vpcs/" + vpc).json().get("cidr").asString();
        database = cidr.substring(0, cidr.indexOf(".0.0/")) + ".0.5";
        hosts = new TestNetworkHosts();
        hosts.host("cbdb", database);
        var user = server.admin().post("users", Map.of("name", "netadmin", "policies", List.of("AdministratorAccess"), "password", PASSWORD));
        assertThat(user.status()).as(user.toString()).isEqualTo(201);
        chromium = Chromium.launch();
    }

    @AfterAll
    static void stop() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (hosts != null) {
            hosts.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static void test(Page page, String host, String port) {
        page.navigate(server.url() + "/console/groups/" + group);
        page.locator("#connectivity summary").click();
        page.locator("#f-host").fill(host);
        page.locator("#f-port").fill(port);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Test connectivity")).click();
    }

    @Test
    void theGroupPageTestsAConnectionFromInsideTheGroupsNetwork() {
        Page page = chromium.page;
        Chromium.signIn(page, server.url(), "netadmin", PASSWORD);

        // SPEC NET-8: the group's VPC, reached; the answer names the path and links to the test's instance
        test(page, database, Integer.toString(TestNetworkHosts.PORT));
        assertThat(page.locator(".flash.ok")).containsText("Reachable: " + database + ":" + TestNetworkHosts.PORT);
        assertThat(page.locator(".flash.ok")).containsText("through VPC");
        assertThat(page.locator("#flash-link")).hasAttribute("href", Pattern.compile("/console/instances/.+"));
        chromium.shoot("group-connectivity-reachable");

        // the server's own port: never a task's business, and the reason says so
        test(page, "127.0.0.1", Integer.toString(URI.create(server.url()).getPort()));
        assertThat(page.locator(".flash.error")).containsText("Not reachable: 127.0.0.1");
        assertThat(page.locator(".flash.error")).containsText("loopback");

        // bad input: the form again, the message at the field, nothing run
        test(page, database, "");
        assertThat(page.locator("#connectivity")).hasAttribute("open", "");
        assertThat(page.locator("#e-port")).isVisible();
    }
}
