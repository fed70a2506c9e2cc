package dev.srg.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The console's data-source pages in a real headless Chromium (SPEC DI-1): list, create, edit,
 * delete, a connectivity test from a group — and the password never shown back, not even in a
 * form refused and shown again.
 */
@Tag("console")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConsoleDataSourceBrowserTest {
    static final String PASSWORD = "correct horse battery";
    static final String SECRET = "s3cret pw 7781";

    static TestServer server;
    static Chromium chromium;
    static String group;
    static String workspace;

    @BeforeAll
    static void start() {
        assumeThat(Chromium.available()).as("browser tests need " + Chromium.EXECUTABLE).isTrue();
        server = TestServer.start();
        Fixtures fx = new Fixtures(server);
        group = fx.subscriptionGroup(2).get("id").asString();
        workspace = fx.workspace(group).get("id").asString();
        var user = server.admin().post("users", Map.of("name", "dsadmin", "policies", List.of("AdministratorAccess"), "password", PASSWORD));
        assertThat(user.status()).as(user.toString()).isEqualTo(201);
        chromium = Chromium.launch();
    }

    @AfterAll
    static void stop() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode source(String name) {
        for (JsonNode d : server.admin().get("data-sources?workspaceId=" + workspace).json().get("items")) {
            if (d.get("name").asString().equals(name)) {
                return d;
            }
        }
        return null;
    }

    private static void fillCreate(Page page, String name) {
        page.navigate(server.url() + "/console/data-sources");
        page.locator("#create summary").click();
        page.locator("#f-name").fill(name);
        page.locator("#f-type").selectOption("POSTGRESQL");
        page.locator("#f-host").fill("127.0.0.1");
        page.locator("#f-port").fill("5432");
        page.locator("#f-database").fill("orders");
        page.locator("#f-user").fill("etl");
        page.locator("#f-password").fill(SECRET);
    }

    @Test
    void createEditTestAndDeleteWithoutShowingThePassword() {
        Page page = chromium.page;
        Chromium.signIn(page, server.url(), "dsadmin", PASSWORD);

        // a refused form comes back with the message at its field and without the password
        fillCreate(page, "bad name!");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setExact(true).setName("Add")).click();
        assertThat(page.locator("#create")).hasAttribute("open", "");
        assertThat(page.locator("#e-name")).isVisible();
        assertThat(page.locator("#f-password")).hasValue("");
        assertThat(page.content()).doesNotContain(SECRET);

        // SPEC DI-1: created; the page says a password is set, never which
        fillCreate(page, "orders-db");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setExact(true).setName("Add")).click();
        assertThat(page.locator(".flash.ok")).containsText("Data source orders-db created");
        assertThat(page.locator("#password-state")).hasText("set");
        assertThat(page.content()).doesNotContain(SECRET);
        JsonNode created = source("orders-db");
        assertThat(created.get("passwordSet").asBoolean()).isTrue();
        String workspaceName = server.admin().get("workspaces/" + workspace).json().get("name").asString();
        assertThat(page.locator(".page-head a[href='/console/workspaces/" + workspace + "']")).hasText(workspaceName);
        chromium.shoot("data-source-detail");

        // a connectivity test from the group: a real connection from the group's network (127.0.0.1: never reachable from a
        // task where networks are enforced), its answer as the message
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setExact(true).setName("Test")).click();
        assertThat(page.locator(".flash")).containsText("from the group",
                new LocatorAssertions.ContainsTextOptions().setTimeout(90_000)); // a task is started for it

        // edit: an empty password field keeps the password
        page.locator("#edit #f-host").fill("10.0.0.9");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setExact(true).setName("Save")).click();
        assertThat(page.locator(".flash.ok")).containsText("saved");
        assertThat(source("orders-db").get("host").asString()).isEqualTo("10.0.0.9");
        assertThat(source("orders-db").get("passwordSet").asBoolean()).isTrue();
        assertThat(page.content()).doesNotContain(SECRET);

        // the workspace's page says its tasks' group, the one a CSV directory is given to (chgrp, chmod 2770)
        page.navigate(server.url() + "/console/workspaces/" + workspace);
        assertThat(page.locator(".page-head")).containsText("tasks' group "
                + server.admin().get("workspaces/" + workspace).json().get("taskGid").asLong());

        // the list shows it without the password
        page.navigate(server.url() + "/console/data-sources");
        assertThat(page.locator("#data-sources")).containsText("orders-db");
        assertThat(page.locator("#data-sources a[href='/console/workspaces/" + workspace + "']")).hasText(workspaceName);
        chromium.shoot("data-sources");
        assertThat(page.content()).doesNotContain(SECRET);

        // remove the password, then delete
        page.locator("#data-sources a", new Page.LocatorOptions().setHasText("orders-db")).click();
        page.locator("input[name=removePassword]").check();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setExact(true).setName("Save")).click();
        assertThat(page.locator("#password-state")).hasText("none");
        assertThat(source("orders-db").get("passwordSet").asBoolean()).isFalse();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setExact(true).setName("Delete data source")).click();
        assertThat(page.locator(".flash.ok")).containsText("deleted");
        assertThat(source("orders-db")).isNull();
    }
}
