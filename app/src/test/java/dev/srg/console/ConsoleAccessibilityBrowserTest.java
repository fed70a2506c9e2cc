package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.microsoft.playwright.Page;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
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
 * axe-core (the engine of the browsers' accessibility audits) on the console's main pages, signed
 * in as an administrator with a group, a workspace and a task to show: no violation of its default
 * rules (WCAG 2 A/AA and best practices). axe-core comes from the npm registry with npm's own
 * client ({@code npm pack}, pinned), cached in {@code target/axe}; without npm the test is skipped.
 */
@Tag("console")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleAccessibilityBrowserTest {
    static final String AXE = "axe-core@4.14.1";
    static final Path AXE_DIR = Paths.get("target", "axe");
    static final String PASSWORD = "correct horse battery";
    static TestServer server;
    static Chromium chromium;
    static String axe;
    static String group;
    static String instance;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Chromium.available(), "browser tests skipped: " + Chromium.EXECUTABLE + " is missing");
        axe = axeSource();
        assumeTrue(axe != null, "accessibility test skipped: npm could not fetch " + AXE);
        server = TestServer.start();
        Fixtures fx = new Fixtures(server);
        group = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(group).get("id").asString();
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", ws);
        body.put("type", "SHELL");
        body.put("script", "echo checked");
        body.put("name", "a11y");
        body.put("cu", 0.5);
        var submitted = server.admin().post("instances", body);
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
        instance = submitted.id();
        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() ->
                "SUCCEEDED".equals(server.admin().get("instances/" + instance).json().get("status").asString()));
        server.admin().post("users", Map.of("name", "a11y-admin", "password", PASSWORD, "policies", List.of("AdministratorAccess")));
        chromium = Chromium.launch();
        Chromium.signIn(chromium.page, server.url(), "a11y-admin", PASSWORD);
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

    /** axe.min.js of the pinned release, fetched once into target/axe; null when npm cannot. */
    static String axeSource() throws IOException, InterruptedException {
        Path js = AXE_DIR.resolve("package").resolve("axe.min.js");
        if (!Files.isRegularFile(js)) {
            Files.createDirectories(AXE_DIR);
            Process pack = new ProcessBuilder("npm", "pack", AXE, "--silent").directory(AXE_DIR.toFile())
                    .redirectErrorStream(true).start();
            String tgz = new String(pack.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!pack.waitFor(2, TimeUnit.MINUTES) || pack.exitValue() != 0 || tgz.isEmpty()) {
                return null;
            }
            Process untar = new ProcessBuilder("tar", "xzf", tgz.lines().reduce((a, b) -> b).orElseThrow(), "package/axe.min.js")
                    .directory(AXE_DIR.toFile()).inheritIO().start();
            if (!untar.waitFor(1, TimeUnit.MINUTES) || untar.exitValue() != 0) {
                return null;
            }
        }
        return Files.readString(js);
    }

    @Test
    void theMainPagesHaveNoAxeViolation() {
        Page page = chromium.page;
        List<String> paths = List.of("/console/groups", "/console/groups/new", "/console/groups/" + group, "/console/instances",
                "/console/instances/new", "/console/instances/" + instance, "/console/workspaces", "/console/networks",
                "/console/images", "/console/users", "/console/audit", "/console/alerts", "/console/billing", "/console/account");
        Map<String, Object> found = new java.util.LinkedHashMap<>();
        for (String path : paths) {
            page.navigate(server.url() + path);
            page.waitForLoadState();
            // evaluated through the DevTools protocol: the pages' CSP (no inline script) still holds for the page's own code
            page.evaluate(axe);
            Object violations = page.evaluate("async () => (await axe.run(document)).violations"
                    + ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))");
            if (!((List<?>) violations).isEmpty()) {
                found.put(path, violations);
            }
        }
        assertThat(found).as("axe-core violations per page").isEmpty();
    }
}
