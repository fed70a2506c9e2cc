package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/** The console's security over plain HTTP: sessions, cookies, CSRF, origin checks, escaping, throttling. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleHttpTest {
    static TestServer server;
    static Fixtures fx;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A browser-like client: keeps its cookies, never follows redirects. */
    static final class Browser {
        final String base;
        final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final Map<String, String> cookies = new LinkedHashMap<>();
        final List<String> setCookies = new ArrayList<>();

        Browser() {
            this(server.url());
        }

        /** A browser of another server than this class's. */
        Browser(String base) {
            this.base = base;
        }

        HttpResponse<String> get(String path) {
            return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), Map.of());
        }

        HttpResponse<String> post(String path, Map<String, String> form, Map<String, String> headers) {
            String body = form.entrySet().stream()
                    .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining("&"));
            return send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body)), headers);
        }

        private HttpResponse<String> send(HttpRequest.Builder b, Map<String, String> headers) {
            if (!cookies.isEmpty()) {
                b.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; ")));
            }
            headers.forEach(b::header);
            try {
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                for (String c : r.headers().allValues("Set-Cookie")) {
                    setCookies.add(c);
                    String[] kv = c.split(";", 2)[0].split("=", 2);
                    if (kv[1].isEmpty()) {
                        cookies.remove(kv[0]);
                    } else {
                        cookies.put(kv[0], kv[1]);
                    }
                }
                return r;
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        HttpResponse<String> signIn(String name, String password) {
            String csrf = hidden(get("/console/sign-in").body(), "_csrf");
            return post("/console/sign-in", Map.of("_csrf", csrf, "method", "password", "name", name, "password", password,
                    "next", "/console/groups"), Map.of());
        }

        /** The session's CSRF token, read from a page's form. */
        String csrf() {
            return hidden(get("/console/groups").body(), "_csrf");
        }
    }

    static String hidden(String html, String name) {
        Matcher m = Pattern.compile("name=\"" + name + "\" value=\"([^\"]*)\"").matcher(html);
        assertThat(m.find()).as("hidden input %s in %s", name, html).isTrue();
        return m.group(1);
    }

    static String userWithPassword(String password, String... policies) {
        String name = "cu" + System.nanoTime() % 1_000_000_000;
        var r = server.admin().post("users", Map.of("name", name, "policies", List.of(policies), "password", password));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return name;
    }

    @Test
    @DisplayName("SPEC ACC-5: console pages need a session; health and the sign-in page do not; the API is unchanged")
    void pagesNeedASession() {
        Browser b = new Browser();
        var r = b.get("/console/groups?status=RUNNING");
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/console/sign-in?next=%2Fconsole%2Fgroups%3Fstatus%3DRUNNING");
        assertThat(b.get("/").statusCode()).isEqualTo(302);
        assertThat(b.get("/healthz").statusCode()).isEqualTo(200);
        var signIn = b.get("/console/sign-in");
        assertThat(signIn.statusCode()).isEqualTo(200);
        assertThat(signIn.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
        assertThat(signIn.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(b.post("/console/groups", Map.of("name", "x"), Map.of()).statusCode()).isEqualTo(303);
        var api = server.anonymous().get("resource-groups");
        assertThat(api.status()).isEqualTo(401);
        assertThat(api.contentType()).startsWith("application/problem+json");
    }

    @Test
    @DisplayName("Sign-in sets an HttpOnly, SameSite=Lax session cookie with a fresh id; sign-out ends the session")
    void sessionCookie() {
        String name = userWithPassword("correct horse battery", "ResourceGroupFullAccess");
        Browser b = new Browser();
        b.cookies.put("srg_session", "planted-by-an-attacker");
        var r = b.signIn(name, "correct horse battery");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/console/groups");
        String cookie = b.setCookies.stream().filter(c -> c.startsWith("srg_session=")).reduce((x, y) -> y).orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Lax").contains("Path=/").doesNotContain("Secure");
        assertThat(b.cookies.get("srg_session")).isNotEqualTo("planted-by-an-attacker").hasSizeGreaterThan(40);
        assertThat(b.get("/console/groups").statusCode()).isEqualTo(200);
        String session = b.cookies.get("srg_session");
        var out = b.post("/console/sign-out", Map.of("_csrf", b.csrf()), Map.of());
        assertThat(out.statusCode()).isEqualTo(303);
        // the old cookie is worthless now, even if replayed
        Browser replay = new Browser();
        replay.cookies.put("srg_session", session);
        assertThat(replay.get("/console/groups").statusCode()).isEqualTo(303);
    }

    @Test
    @DisplayName("Behind https (X-Forwarded-Proto) the session cookie is Secure and __Host- prefixed")
    void secureCookieBehindHttps() {
        String name = userWithPassword("correct horse battery", "ResourceGroupFullAccess");
        Browser b = new Browser();
        String csrf = hidden(b.send(HttpRequest.newBuilder(URI.create(server.url() + "/console/sign-in"))
                .header("X-Forwarded-Proto", "https").GET(), Map.of()).body(), "_csrf");
        var r = b.post("/console/sign-in", Map.of("_csrf", csrf, "method", "password", "name", name, "password", "correct horse battery"),
                Map.of("X-Forwarded-Proto", "https"));
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(b.setCookies).anySatisfy(c -> assertThat(c).startsWith("__Host-srg_session=").contains("Secure").contains("HttpOnly"));
    }

    @Test
    @DisplayName("CSRF: a change without the session's token, or from another origin, is refused with 403 and changes nothing")
    void csrf() {
        String name = userWithPassword("correct horse battery", "AdministratorAccess");
        Browser b = new Browser();
        b.signIn(name, "correct horse battery");
        var before = server.snapshot();
        var noToken = b.post("/console/networks", Map.of("name", "evil", "regionId", "local", "cidr", "10.99.0.0/16"), Map.of());
        assertThat(noToken.statusCode()).isEqualTo(403);
        assertThat(noToken.body()).contains("not valid any more");
        var wrongToken = b.post("/console/networks", Map.of("_csrf", "guess", "name", "evil", "regionId", "local", "cidr", "10.99.0.0/16"),
                Map.of());
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        var otherSite = b.post("/console/networks", Map.of("_csrf", b.csrf(), "name", "evil", "regionId", "local", "cidr", "10.99.0.0/16"),
                Map.of("Origin", "https://evil.example"));
        assertThat(otherSite.statusCode()).isEqualTo(403);
        assertThat(server.snapshot()).isEqualTo(before);
        // the sign-in form is protected too (login CSRF)
        var forged = new Browser().post("/console/sign-in", Map.of("method", "password", "name", name, "password", "correct horse battery"),
                Map.of());
        assertThat(forged.statusCode()).isEqualTo(403);
        // with the token it works
        var ok = b.post("/console/networks", Map.of("_csrf", b.csrf(), "name", "fine", "regionId", "local", "cidr", "10.98.0.0/16"), Map.of());
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("Location").orElseThrow()).startsWith("/console/networks/vpc-");
    }

    @Test
    @DisplayName("Sign-in failures are throttled per user name; a typed token is never written to the audit log")
    void throttleAndNoTokenInAudit() {
        String name = userWithPassword("correct horse battery", "ResourceGroupFullAccess");
        Browser b = new Browser();
        for (int i = 0; i < SignInThrottle.PER_NAME; i++) {
            var r = b.signIn(name, "wrong password " + i);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).contains("Wrong user name or password.");
        }
        var limited = b.signIn(name, "correct horse battery");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.body()).contains("Too many failed sign-ins");

        String secret = "srg_not-a-real-token-but-secret-looking-1234567890";
        Browser t = new Browser();
        String csrf = hidden(t.get("/console/sign-in").body(), "_csrf");
        var bad = t.post("/console/sign-in", Map.of("_csrf", csrf, "method", "token", "token", secret), Map.of());
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(server.admin().get("audit-events?pageSize=1000").text()).contains("console.sign-in").doesNotContain(secret);
        csrf = hidden(t.get("/console/sign-in").body(), "_csrf");
        var good = t.post("/console/sign-in", Map.of("_csrf", csrf, "method", "token", "token", server.adminToken()), Map.of());
        assertThat(good.statusCode()).isEqualTo(303);
        assertThat(t.get("/console/users").body()).contains(name);
        assertThat(server.admin().get("audit-events?pageSize=1000").text()).doesNotContain(server.adminToken());
    }

    @Test
    @DisplayName("Everything is escaped: a group named <script>alert(1)</script> renders as text")
    void escaping() {
        var net = fx.network();
        var body = fx.subscriptionBody(net, 2);
        body.put("name", "<script>alert(1)</script>");
        body.put("remark", "\"><img src=x onerror=alert(2)>");
        var g = server.admin().post("resource-groups", body);
        assertThat(g.status()).as(g.toString()).isEqualTo(201);
        Browser b = new Browser();
        String name = userWithPassword("correct horse battery", "ResourceGroupFullAccess");
        b.signIn(name, "correct horse battery");
        for (String page : List.of("/console/groups", "/console/groups/" + g.id())) {
            String html = b.get(page).body();
            assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt;").doesNotContain("<script>alert(1)")
                    .doesNotContain("<img src=x");
        }
    }

    @Test
    @DisplayName("SPEC ACC-1: without OrderAccess the buy actions are hidden and a posted purchase is refused, naming the policy")
    void authorization() {
        String name = userWithPassword("correct horse battery", "ResourceGroupFullAccess", "VpcReadOnlyAccess");
        Browser b = new Browser();
        b.signIn(name, "correct horse battery");
        String list = b.get("/console/groups").body();
        assertThat(list).doesNotContain("Create resource group").doesNotContain("Unsubscribe");
        var net = fx.network();
        var before = server.snapshot();
        var r = b.post("/console/groups", Map.of("_csrf", b.csrf(), "name", "sneaky", "regionId", "local", "zoneId", "local-a",
                "billingMode", "SUBSCRIPTION", "specCu", "4", "billingCycle.unit", "MONTH", "billingCycle.count", "1",
                "vpcId", net.vpcId(), "vswitchId", net.vswitchId()), Map.of());
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(server.snapshot()).isEqualTo(before);
        String form = b.get(r.headers().firstValue("Location").orElseThrow().replaceAll("#.*", "")).body();
        assertThat(form).contains("missing policy OrderAccess");
        assertThat(server.admin().get("audit-events?actor=" + name).text()).contains("403 Forbidden.MissingPolicy");
    }

    @Test
    @DisplayName("a sign-in whose user name has a NUL is refused with the form again (400), not a 500, and audited")
    void signInWithANulInTheNameIsRefused() {
        Browser b = new Browser();
        var r = b.signIn("admin\u0000", "whatever it is");
        // before: the NUL reached the credentials' query (500), and the failure's audit insert too
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("must not contain the NUL character");
        assertThat(b.cookies).doesNotContainKey("srg_session");
        var events = server.admin().get("audit-events?pageSize=1000&actor=(invalid%20name)").json().get("items");
        assertThat(events.size()).isGreaterThanOrEqualTo(1);
        assertThat(events.get(0).get("result").asString()).isEqualTo("400 InvalidParameter.Characters");
    }

    @Test
    @DisplayName("a form field with a NUL, or a number of extreme exponent, is refused as the API refuses it (audited 400"
            + " naming the code), never a 500")
    void badFormInputIsRefusedNotA500() {
        String name = userWithPassword("correct horse battery", "AdministratorAccess");
        Browser b = new Browser();
        b.signIn(name, "correct horse battery");
        String group = fx.payAsYouGoGroup(2).get("id").asString();
        String csrf = b.csrf();
        // before: the NUL reached PostgreSQL (500, "invalid byte sequence"); 1e2147483647 an OutOfMemoryError (500)
        List<Map.Entry<String, Map<String, String>>> forms = List.of(
                Map.entry("/console/groups/" + group + "/workspaces", Map.of("workspaceId", "ws-\u0000")),
                Map.entry("/console/groups/" + group + "/networks", Map.of("vpcId", "vpc-\u0000", "vswitchId", "vsw-x")),
                Map.entry("/console/workspaces", Map.of("name", "w", "regionId", "local", "defaultResourceGroupId", group,
                        "clientToken", "t\u0000")),
                Map.entry("/console/groups/" + group + "/quotas", Map.of("quotas.DATA_INTEGRATION.maxCu", "1e2147483647")),
                Map.entry("/console/instances/estimate", Map.of("type", "SHELL", "script", "true", "cu", "1e2147483647")),
                // not 0, but 0 as the double it is kept as: it was stored as 0.0
                Map.entry("/console/alerts", Map.of("name", "tiny", "resourceGroupId", group, "metric", "CU_UTILIZATION",
                        "comparator", "GT", "threshold", "1e-999", "forSeconds", "0", "webhookUrl", "http://192.0.2.1:9/x")));
        for (var f : forms) {
            Map<String, String> form = new LinkedHashMap<>(f.getValue());
            form.put("_csrf", csrf);
            var r = b.post(f.getKey(), form, Map.of());
            assertThat(r.statusCode()).as("%s: %s", f.getKey(), r.body()).isLessThan(500);
        }
        var events = server.admin().get("audit-events?pageSize=1000&actor=" + name).json().get("items");
        List<String> results = new ArrayList<>();
        events.forEach(e -> results.add(e.get("action").asString() + " " + e.get("result").asString()));
        assertThat(results).contains("console POST /console/groups/" + group + "/workspaces 400 InvalidParameter.Characters",
                "console POST /console/groups/" + group + "/networks 400 InvalidParameter.Characters",
                "console POST /console/workspaces 400 InvalidParameter.Characters",
                "console POST /console/alerts 400 InvalidParameter.Number");
        assertThat(results).noneMatch(r -> r.contains(" 500 "));
    }

    @Test
    @DisplayName("the group page's queue-policy card: the half-life and each workspace's weight shown, set, refused out of range"
            + " (400 with the field, nothing changed), reset")
    void workspaceWeightsOnTheGroupPage() {
        String name = userWithPassword("correct horse battery", "AdministratorAccess");
        Browser b = new Browser();
        b.signIn(name, "correct horse battery");
        String group = fx.payAsYouGoGroup(2).get("id").asString();
        JsonNode workspace = fx.workspace(group);
        String ws = workspace.get("id").asString();
        String row = "<td>" + workspace.get("name").asString() + "</td><td>%s</td><td>%s</td>";
        String page = b.get("/console/groups/" + group).body();
        assertThat(page).contains("Workspace weights").contains("name=\"shareHalfLifeSeconds\" type=\"number\" value=\"3600\"")
                .contains(row.formatted(1, "default"));

        var refused = b.post("/console/groups/" + group + "/workspace-weight", Map.of("_csrf", b.csrf(), "workspaceId", ws,
                "weight", "101"), Map.of());
        assertThat(refused.statusCode()).isEqualTo(303);
        assertThat(b.get("/console/groups/" + group).body()).contains(row.formatted(1, "default")).contains("weight must be 0 to 100");
        var set = b.post("/console/groups/" + group + "/workspace-weight", Map.of("_csrf", b.csrf(), "workspaceId", ws,
                "weight", "3"), Map.of());
        assertThat(set.statusCode()).isEqualTo(303);
        assertThat(server.admin().get("resource-groups/" + group + "/workspace-weights").json().get("weights").get(0)
                .get("weight").asInt()).isEqualTo(3);
        assertThat(b.get("/console/groups/" + group).body()).contains(row.formatted(3, "an administrator"));
        var halfLife = b.post("/console/groups/" + group + "/queue-policy", Map.of("_csrf", b.csrf(), "queuePolicy", "FAIR_SHARE",
                "shareHalfLifeSeconds", "120"), Map.of());
        assertThat(halfLife.statusCode()).isEqualTo(303);
        assertThat(server.admin().get("resource-groups/" + group).json().get("shareHalfLifeSeconds").asLong()).isEqualTo(120);
        b.post("/console/groups/" + group + "/workspace-weight", Map.of("_csrf", b.csrf(), "workspaceId", ws, "weight", "",
                "reset", "true"), Map.of());
        assertThat(b.get("/console/groups/" + group).body()).contains(row.formatted(1, "default"));
        var events = server.admin().get("audit-events?pageSize=1000&actor=" + name).json().get("items");
        List<String> details = new ArrayList<>();
        events.forEach(e -> details.add(e.get("action").asString() + " " + e.get("result").asString() + " "
                + e.path("detail").asString()));
        assertThat(details).anyMatch(d -> d.contains("workspace " + ws + " weight 1 -> 3"))
                .anyMatch(d -> d.contains("weight 3 -> 1 (reset)"))
                .anyMatch(d -> d.contains("console POST /console/groups/" + group + "/workspace-weight 400 InvalidParameter.Weight"));
    }

    @Test
    @DisplayName("SPEC ACC-5: a change refused in the console and the same one refused by the API are audited alike")
    void auditedAlikeFromApiAndConsole() {
        String name = "cv" + System.nanoTime() % 1_000_000_000;
        var created = server.admin().post("users", Map.of("name", name, "policies", List.of("VpcReadOnlyAccess"),
                "password", "correct horse battery"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        var api = server.as(created.json().get("token").asString())
                .post("vpcs", Map.of("name", "nope", "regionId", "local", "cidr", "10.203.0.0/16"));
        assertThat(api.status()).isEqualTo(403);
        Browser b = new Browser();
        b.signIn(name, "correct horse battery");
        var form = b.post("/console/networks", Map.of("_csrf", b.csrf(), "name", "nope", "regionId", "local",
                "cidr", "10.203.0.0/16"), Map.of());
        assertThat(form.statusCode()).isEqualTo(303);

        var events = server.admin().get("audit-events?pageSize=1000&actor=" + name).json().get("items");
        Map<String, String> resultByAction = new LinkedHashMap<>();
        events.forEach(e -> resultByAction.put(e.get("action").asString(), e.get("result").asString()));
        assertThat(resultByAction).containsEntry("POST /api/v1/vpcs", "403 Forbidden.MissingPolicy")
                .containsEntry("console POST /console/networks", "403 Forbidden.MissingPolicy")
                .containsEntry("console.sign-in", "OK");
    }

    @Test
    @DisplayName("SPEC DI-4 DI-5: a sync's console page shows its progress and its dirty records (a CSV to CSV sync, no database)")
    void syncProgressAndDirtyRecordsOnTheInstancePage() throws Exception {
        String group = fx.subscriptionGroup(2).get("id").asString();
        fx.awaitRunning(group);
        String ws = fx.workspace(group).get("id").asString();
        java.nio.file.Path dir = dev.srg.testing.TaskReachableDirectories.create("srg-console-csv-");
        try {
            java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            java.nio.file.Path in = dir.resolve("in.csv");
            java.nio.file.Files.writeString(in, "1,a\nx2,<b>\n3,c\n");
            java.nio.file.Files.setPosixFilePermissions(in, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            var ds = server.admin().post("data-sources", Map.of("name", "console-files", "workspaceId", ws, "type", "CSV",
                    "path", dir.toString()));
            assertThat(ds.status()).as(ds.toString()).isEqualTo(201);
            var sync = Map.of("setting", Map.of("errorLimit", Map.of("record", 5)),
                    "reader", Map.of("plugin", "txtfile", "parameter", Map.of("datasource", "console-files", "path", "in.csv",
                            "column", List.of(Map.of("index", 0, "type", "long"), Map.of("index", 1, "type", "string")))),
                    "writer", Map.of("plugin", "txtfile", "parameter", Map.of("datasource", "console-files", "path", "out.csv",
                            "column", List.of("n", "s"))));
            var submitted = server.admin().post("instances", Map.of("workspaceId", ws, "type", "DATA_INTEGRATION", "cu", 0.5,
                    "sync", sync));
            assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
            org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).until(() ->
                    server.admin().get("instances/" + submitted.id()).json().path("status").asString().equals("SUCCEEDED"));
            Browser b = new Browser();
            b.signIn(userWithPassword("correct horse battery", "AdministratorAccess"), "correct horse battery");
            String html = b.get("/console/instances/" + submitted.id()).body();
            assertThat(html).contains("Sync progress").contains("1 of 1 splits · 3 read · 2 written").contains("1 dirty");
            // the record's values escaped: a value is data, never markup
            assertThat(html).contains("Dirty records").contains("line 2, column c0: 'x2' is not a valid long")
                    .contains("\"c1\":\"&lt;b&gt;\"").doesNotContain("\"<b>\"");
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @DisplayName("the account page lists one's tokens and revokes them: at once for the API, and a session signed in with one ends")
    void tokensListedAndRevoked() {
        var u = fx.user("VpcReadOnlyAccess");
        String second = u.http().post("users/" + u.id() + "/tokens", null).json().get("token").asString();
        var ids = new ArrayList<String>();
        u.http().get("users/" + u.id() + "/tokens").json().get("items").forEach(t -> ids.add(t.get("id").asString()));
        assertThat(ids).hasSize(2);
        Browser b = new Browser();
        String csrf = hidden(b.get("/console/sign-in").body(), "_csrf");
        assertThat(b.post("/console/sign-in", Map.of("_csrf", csrf, "method", "token", "token", u.token()), Map.of()).statusCode())
                .isEqualTo(303);
        String account = b.get("/console/account").body();
        assertThat(account).contains(ids.get(0), ids.get(1), "Revoke token " + ids.get(1))
                .doesNotContain(u.token()).doesNotContain(second);

        // the second token goes: the API refuses it on its next call, the page shows when
        var r = b.post("/console/users/" + u.id() + "/tokens/" + ids.get(1) + "/revoke?from=account",
                Map.of("_csrf", hidden(account, "_csrf")), Map.of());
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/console/account");
        assertThat(server.as(second).get("vpcs").status()).isEqualTo(401);
        assertThat(u.http().get("vpcs").status()).isEqualTo(200);
        account = b.get("/console/account").body();
        assertThat(account).contains("revoked").doesNotContain("Revoke token " + ids.get(1));

        // an unknown token is answered on the page, not with a 500
        r = b.post("/console/users/" + u.id() + "/tokens/tok-no-such/revoke?from=account",
                Map.of("_csrf", hidden(account, "_csrf")), Map.of());
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(b.get("/console/account").body()).contains("role=\"alert\"").contains("tok-no-such");

        // revoking the token this session signed in with ends the session
        r = b.post("/console/users/" + u.id() + "/tokens/" + ids.get(0) + "/revoke?from=account",
                Map.of("_csrf", hidden(b.get("/console/account").body(), "_csrf")), Map.of());
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(u.http().get("vpcs").status()).isEqualTo(401);
        var after = b.get("/console/account");
        assertThat(after.statusCode()).isEqualTo(303);
        assertThat(after.headers().firstValue("Location").orElseThrow()).startsWith("/console/sign-in");
        assertThat(server.admin().get("audit-events?actor=" + u.name()).text())
                .contains("console POST /console/users/" + u.id() + "/tokens/" + ids.get(1) + "/revoke");
    }

    @Test
    @DisplayName("SPEC ACC-5: setting a password ends the user's console sessions signed in with a password"
            + " (a reset is the answer to a stolen session); on the account page the changing session stays, the others end")
    void passwordResetEndsSessions() {
        var u = fx.user();
        assertThat(server.admin().put("users/" + u.id() + "/password", Map.of("password", "correct horse battery")).status())
                .isEqualTo(204);
        Browser first = new Browser();
        Browser second = new Browser();
        Browser third = new Browser();
        Browser byToken = new Browser();
        for (Browser b : List.of(first, second, third)) {
            assertThat(b.signIn(u.name(), "correct horse battery").statusCode()).isEqualTo(303);
            assertThat(b.get("/console/account").statusCode()).isEqualTo(200);
        }
        String csrf = hidden(byToken.get("/console/sign-in").body(), "_csrf");
        assertThat(byToken.post("/console/sign-in", Map.of("_csrf", csrf, "method", "token", "token", u.token()), Map.of())
                .statusCode()).isEqualTo(303);

        // the user changes it on their account page: that session stays, the other password sessions end
        var r = first.post("/console/users/" + u.id() + "/password?from=account",
                Map.of("_csrf", hidden(first.get("/console/account").body(), "_csrf"), "password", "staple battery horse"), Map.of());
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/console/account");
        assertThat(first.get("/console/account").statusCode()).isEqualTo(200);
        assertThat(second.get("/console/account").statusCode()).isEqualTo(303);
        assertThat(byToken.get("/console/account").statusCode()).isEqualTo(200);

        // an administrator resets it through the API: every password session ends, the token's stays
        assertThat(third.signIn(u.name(), "staple battery horse").statusCode()).isEqualTo(303);
        assertThat(server.admin().put("users/" + u.id() + "/password", Map.of("password", "another long one")).status())
                .isEqualTo(204);
        for (Browser b : List.of(first, third)) {
            var after = b.get("/console/account");
            assertThat(after.statusCode()).isEqualTo(303);
            assertThat(after.headers().firstValue("Location").orElseThrow()).startsWith("/console/sign-in");
        }
        assertThat(byToken.get("/console/account").statusCode()).isEqualTo(200);
        assertThat(new Browser().signIn(u.name(), "another long one").statusCode()).isEqualTo(303);
    }
}
