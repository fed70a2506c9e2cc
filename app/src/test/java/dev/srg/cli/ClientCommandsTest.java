package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.Main;
import dev.srg.testing.TestCli;
import dev.srg.testing.TestCli.Run;
import dev.srg.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The client commands, run in-process as {@link Main#main} runs them ({@link Main#forArgs}) against a real server. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClientCommandsTest {
    static TestServer server;

    @TempDir
    static Path home;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }


    /** Runs {@code srg ARGS --url URL --token ADMIN_TOKEN}. */
    static Run srg(String... args) {
        return TestCli.asAdmin(server, Map.of("XDG_CONFIG_HOME", home.resolve("none").toString()), args);
    }

    static Run ok(String... args) {
        Run r = srg(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        return r;
    }

    static List<String> ids(JsonNode array) {
        assertThat(array.isArray()).as(array.toString()).isTrue();
        return StreamSupport.stream(array.spliterator(), false).map(n -> n.path("id").asString()).toList();
    }

    static String[] network(int n) {
        String vpc = ok("vpc", "create", "--name", "cli-vpc-" + n, "--region", "local", "--cidr", "10." + n + ".0.0/16", "-o", "json").id();
        String vsw = ok("vpc", "vswitch-create", vpc, "--name", "cli-vsw-" + n, "--zone", "local-a",
                "--cidr", "10." + n + ".1.0/24", "-o", "json").id();
        return new String[] {vpc, vsw};
    }

    @Test
    @DisplayName("rg weight and rg queue-policy --half-life: FAIR_SHARE's weights listed, set, refused when out of range, reset")
    void fairShareWeights() {
        String[] net = network(103);
        String rg = ok("rg", "create", "--name", "cli-fair", "--region", "local", "--zone", "local-a",
                "--billing-mode", "PAY_AS_YOU_GO", "--max-cu", "4", "--vpc", net[0], "--vswitch", net[1], "--wait", "-o", "json").id();
        String ws = ok("ws", "create", "--name", "cli-fair-ws", "--region", "local", "--default-rg", rg, "-o", "json").id();
        // the table names the workspace; the command takes its id or its name
        assertThat(ok("rg", "weight", rg).out()).containsPattern("(?m)^cli-fair-ws +1 +false$");
        assertThat(ok("rg", "weight", rg, "cli-fair-ws", "--set", "3").out()).containsPattern("(?m)^cli-fair-ws +3 +true$");
        Run tooHeavy = srg("rg", "weight", rg, ws, "--set", "101");
        assertThat(tooHeavy.exit()).isEqualTo(3);
        assertThat(tooHeavy.err()).contains("weight must be 0 to 100");
        assertThat(ok("rg", "weight", rg, ws, "-o", "json").json().get(0).get("weight").asInt()).as("unchanged").isEqualTo(3);
        Run policy = ok("rg", "queue-policy", rg, "--set", "fair_share", "--half-life", "600");
        assertThat(policy.out()).contains("queue policy FAIR_SHARE; shares decay with a half-life of 600 s");
        Run tooShort = srg("rg", "queue-policy", rg, "--half-life", "30");
        assertThat(tooShort.exit()).isEqualTo(3);
        assertThat(tooShort.err()).contains("shareHalfLifeSeconds must be 60");
        assertThat(ok("rg", "weight", rg, ws, "--reset").out()).containsPattern("(?m)^cli-fair-ws +1 +false$");
        assertThat(srg("rg", "weight", rg, "--set", "2").exit()).as("--set needs a workspace").isEqualTo(2);
    }

    @Test
    @DisplayName("a full flow: networks, a subscription group with --wait, lists, a workspace, members, associations, rename, bind/unbind")
    void fullFlow() {
        String[] net = network(101);
        JsonNode group = ok("rg", "create", "--name", "cli-sub", "--region", "local", "--zone", "local-a",
                "--billing-mode", "SUBSCRIPTION", "--spec-cu", "4", "--cycle", "3MONTH", "--auto-renew",
                "--vpc", net[0], "--vswitch", net[1], "--client-token", "cli-flow-1", "--wait", "-o", "json").json();
        String rg = group.get("id").asString();
        assertThat(group.get("status").asString()).isEqualTo("RUNNING");
        assertThat(group.get("specCu").asInt()).isEqualTo(4);
        assertThat(group.get("billingCycle").get("count").asInt()).isEqualTo(3);
        assertThat(group.get("autoRenew").asBoolean()).isTrue();

        Run table = ok("rg", "list");
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).matches("ID +NAME +STATUS +MODE +CU +REGION/ZONE +NETWORKS +WORKSPACES");
        assertThat(lines).anyMatch(l -> l.matches(rg + " +cli-sub +RUNNING +SUBSCRIPTION +4 +local/local-a +1 +0"));
        // columns line up: every row has its STATUS where the header has it
        int status = lines.get(0).indexOf("STATUS");
        assertThat(lines.stream().skip(1)).allMatch(l -> l.charAt(status - 1) == ' ' && l.charAt(status) != ' ');
        assertThat(ids(ok("rg", "list", "-o", "json").json())).contains(rg);
        assertThat(ids(ok("rg", "list", "--status", "running", "--region", "local", "--all", "-o", "json").json())).contains(rg);
        assertThat(ok("rg", "list", "--status", "FROZEN", "-o", "json").json()).isEmpty();
        assertThat(ok("rg", "get", rg).out()).containsPattern("(?m)^CYCLE +3 MONTH$").containsPattern("(?m)^AUTO-RENEW +true$");

        JsonNode ws = ok("ws", "create", "--name", "cli-ws", "--region", "local", "--default-rg", rg, "-o", "json").json();
        String wsId = ws.get("id").asString();
        assertThat(ws.get("defaultResourceGroupId").asString()).isEqualTo(rg);
        assertThat(ids(ok("ws", "list", "-o", "json").json())).contains(wsId);

        JsonNode user = ok("user", "create", "--name", "cli-dev", "--policy", "VpcReadOnlyAccess", "-o", "json").json();
        assertThat(user.get("token").asString()).isNotBlank();
        String userId = user.get("id").asString();
        JsonNode member = ok("ws", "member-set", wsId, userId, "--role", "developer", "-o", "json").json();
        assertThat(member.get("members").toString()).contains(userId).contains("DEVELOPER");

        // a second group to associate, make default, and dissociate again
        String payg = ok("rg", "create", "--name", "cli-payg", "--region", "local", "--zone", "local-a",
                "--billing-mode", "PAY_AS_YOU_GO", "--max-cu", "10", "--vpc", net[0], "--vswitch", net[1], "--wait", "-o", "json").id();
        assertThat(ok("rg", "list").out()).containsPattern(payg + " +cli-payg +RUNNING +PAY_AS_YOU_GO +10 ");
        assertThat(ok("ws", "associate", wsId, payg, "-o", "json").json().get("resourceGroupIds").toString()).contains(payg);
        assertThat(ok("ws", "set-default", wsId, payg, "-o", "json").json().get("defaultResourceGroupId").asString()).isEqualTo(payg);
        assertThat(ok("ws", "set-default", wsId, rg, "-o", "json").json().get("defaultResourceGroupId").asString()).isEqualTo(rg);
        assertThat(ok("ws", "dissociate", wsId, payg).out()).contains("Dissociated");
        Run wsGet = ok("ws", "get", wsId);
        assertThat(wsGet.out()).containsPattern("GROUPS +cli-sub \\(" + rg + "\\)\n").contains("cli-dev (" + userId + ") DEVELOPER");
        assertThat(ok("ws", "member-remove", wsId, userId).out()).contains("Removed");

        JsonNode renamed = ok("rg", "rename", rg, "--name", "cli-sub-renamed", "--remark", "nightly ETL", "-o", "json").json();
        assertThat(renamed.get("name").asString()).isEqualTo("cli-sub-renamed");
        assertThat(renamed.get("remark").asString()).isEqualTo("nightly ETL");
        assertThat(ok("rg", "rename", rg, "--remark", "hourly ETL", "-o", "json").json().get("name").asString()).isEqualTo("cli-sub-renamed");
        Run nothing = srg("rg", "rename", rg);
        assertThat(nothing.exit()).isEqualTo(3);
        assertThat(nothing.err()).startsWith("error: nothing to change");
        assertThat(ok("ws", "rename", wsId, "--name", "cli-ws-2", "-o", "json").json().get("name").asString()).isEqualTo("cli-ws-2");

        String[] second = network(102);
        // the VPC and its vSwitch by name (a vSwitch is named inside its VPC)
        JsonNode binding = ok("rg", "bind", rg, "--vpc", "cli-vpc-102", "--vswitch", "cli-vsw-102", "-o", "json").json();
        assertThat(binding.get("vpcId").asString()).isEqualTo(second[0]);
        assertThat(ok("rg", "networks", rg, "-o", "json").json()).hasSize(2);
        assertThat(ok("rg", "networks", rg).out()).contains("cli-vpc-102").contains("DATA-SERVICE"); // the VPC by its name
        assertThat(ok("rg", "unbind", rg, binding.get("id").asString()).out()).contains("Unbound");
        assertThat(ids(ok("rg", "networks", rg, "-o", "json").json())).doesNotContain(binding.get("id").asString()).hasSize(1);
        // SPEC NET-6: the first binding of a subscription is refused, through the CLI too
        String first = ok("rg", "networks", rg, "-o", "json").json().get(0).get("id").asString();
        assertThat(srg("rg", "unbind", rg, first, "--force").exit()).isEqualTo(3);
    }

    @Test
    @DisplayName("VPC commands: vSwitch, NAT gateway, routes, delete; json delete is silent")
    void vpcCommands() {
        String[] net = network(103);
        assertThat(ok("vpc", "nat-set", net[0], "--eip", "203.0.113.7").out()).contains("NAT-EIP      203.0.113.7");
        JsonNode route = ok("vpc", "route-add", net[0], "--destination", "192.168.0.0/16", "--via", "VPN_GATEWAY", "-o", "json").json();
        assertThat(route.get("via").asString()).isEqualTo("VPN_GATEWAY");
        Run get = ok("vpc", "get", net[0]);
        assertThat(get.out()).contains("ROUTE-IDS    " + route.get("id").asString() + " 192.168.0.0/16 via VPN_GATEWAY")
                .contains(net[1] + " cli-vsw-103 (local-a, 10.103.1.0/24)");
        assertThat(ok("vpc", "route-delete", net[0], route.get("id").asString()).out()).contains("Deleted route");
        assertThat(ok("vpc", "nat-delete", net[0], "-o", "json").out()).isEmpty();
        JsonNode after = ok("vpc", "get", net[0], "-o", "json").json();
        assertThat(after.get("routes")).isEmpty();
        assertThat(after.has("natGateway")).isFalse();
        assertThat(ok("vpc", "delete", net[0]).out()).contains("Deleted VPC " + net[0]);
        assertThat(srg("vpc", "get", net[0]).exit()).isEqualTo(3);
    }

    @Test
    @DisplayName("lists show the first page and say there is more; --all follows nextPageToken")
    void paging() {
        network(104);
        network(105);
        Run first = srg("vpc", "list", "--page-size", "1", "-o", "json");
        assertThat(first.json()).hasSize(1);
        assertThat(first.err()).isEqualTo("(more results: add --all to list every page)\n");
        JsonNode all = ok("vpc", "list", "--page-size", "1", "--all", "-o", "json").json();
        assertThat(all.size()).isGreaterThanOrEqualTo(2);
        assertThat(ids(all)).doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("regions, users (policies, tokens, passwords from stdin) and the audit log")
    void accessAndAudit() {
        assertThat(ok("region", "list").out()).containsPattern("local +Local +true +local-a");
        JsonNode user = withStdin("s3cret-password\n", () -> ok("user", "create", "--name", "cli-ops", "--policy", "VpcReadOnlyAccess",
                "--policy", "VpcFullAccess", "--password-stdin", "-o", "json").json());
        String id = user.get("id").asString();
        assertThat(user.get("policies").toString()).contains("VpcReadOnlyAccess", "VpcFullAccess");
        Run created = ok("user", "get", id);
        assertThat(created.out()).contains("cli-ops").doesNotContain("TOKEN");
        assertThat(ok("user", "policies", id, "--policy", "OrderAccess", "-o", "json").json().get("policies").toString())
                .isEqualTo("[\"OrderAccess\"]");
        Run token = ok("user", "token", id);
        assertThat(token.out()).containsPattern("TOKEN +\\S+");
        assertThat(ids(ok("user", "list", "--all", "-o", "json").json())).contains(id);
        // the user's tokens: ids and times, never a token; revoking one shows its time, an unknown one is a 404
        JsonNode tokens = ok("user", "tokens", id, "--all", "-o", "json").json();
        assertThat(ids(tokens)).hasSize(2);
        assertThat(tokens.toString()).doesNotContain("\"token\"").doesNotContain("revokedAt");
        String first = ids(tokens).get(0);
        assertThat(ok("user", "revoke-token", id, first).out()).contains("Revoked token " + first);
        assertThat(ok("user", "tokens", id).out()).containsPattern("ID +CREATED +REVOKED").contains(first);
        assertThat(ok("user", "tokens", id, "--all", "-o", "json").json().get(0).get("revokedAt").asString()).isNotBlank();
        Run unknown = srg("user", "revoke-token", id, "tok-no-such");
        assertThat(unknown.exit()).isEqualTo(3);
        assertThat(unknown.err()).contains("tok-no-such");
        assertThat(withStdin("another-password\n", () -> ok("user", "password", id)).out()).contains("Set the console password");
        // the last administrator token is kept (409, field tokenId); the line names that field, not the connection
        // option --token, which only looked like it (docs/cli.md: a field no flag carries is said as "field NAME")
        String adminId = ok("user", "get", "admin", "-o", "name").out().strip();
        List<String> adminTokens = ids(ok("user", "tokens", adminId, "--all", "-o", "json").json());
        assertThat(adminTokens).as("only the test server's own admin token, so the refusal below revokes nothing").hasSize(1);
        Run last = srg("user", "revoke-token", adminId, adminTokens.get(0));
        assertThat(last.exit()).isEqualTo(3);
        assertThat(last.err()).endsWith("(User.LastAdministratorToken, field tokenId)\n");

        JsonNode events = ok("audit", "list", "--since", "1h", "--all", "-o", "json").json();
        assertThat(events.toString()).contains("POST /api/v1/users");
        assertThat(ok("audit", "list", "--actor", "admin", "--all").out()).contains("PUT /api/v1/users/" + id + "/policies");
        Run both = srg("audit", "list", "--since", "1h", "--from", "2026-01-01T00:00:00Z");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Run badTime = srg("audit", "list", "--from", "yesterday");
        assertThat(badTime.exit()).isEqualTo(3);
        assertThat(badTime.err()).contains("(InvalidParameter.Time, --from)");
    }

    @Test
    @DisplayName("errors: a 400 prints the server's message and field and exits 3; no stack traces")
    void badRequest() {
        String[] net = network(106);
        Run r = srg("rg", "create", "--name", "bad", "--region", "local", "--zone", "local-a", "--billing-mode", "SUBSCRIPTION",
                "--spec-cu", "2.5", "--cycle", "1MONTH", "--vpc", net[0], "--vswitch", net[1]);
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("error: ").contains("2.5").endsWith(", --spec-cu)\n").doesNotContain("Exception");
        Run cidr = srg("vpc", "vswitch-create", net[0], "--name", "outside", "--zone", "local-a", "--cidr", "192.168.1.0/24");
        assertThat(cidr.exit()).isEqualTo(3);
        assertThat(cidr.err()).startsWith("error: ").contains("(InvalidParameter.VSwitch.CidrOutsideVpc, --cidr)");
    }

    @Test
    @DisplayName("errors: unknown id and refused policy exit 3, a bad token exits 3 with the 401 message, an unreachable URL exits 4")
    void refusals() {
        Run unknown = srg("rg", "get", "rg-doesnotexist");
        assertThat(unknown.exit()).isEqualTo(3);
        assertThat(unknown.err()).isEqualTo("error: ResourceGroup 'rg-doesnotexist' does not exist (ResourceGroup.NotFound)\n");

        Run badToken = TestCli.withEnv(Map.of("XDG_CONFIG_HOME", home.resolve("none").toString()),
                "rg", "list", "--url", server.url(), "--token", "srg_not-a-token");
        assertThat(badToken.exit()).isEqualTo(3);
        assertThat(badToken.err()).isEqualTo("error: the bearer token is not valid (Unauthorized)\n");
        assertThat(badToken.err()).doesNotContain("srg_not-a-token");

        String weak = ok("user", "create", "--name", "cli-weak", "--policy", "VpcReadOnlyAccess", "-o", "json").json().get("token").asString();
        Run forbidden = TestCli.withEnv(Map.of("XDG_CONFIG_HOME", home.resolve("none").toString()),
                "user", "list", "--url", server.url(), "--token", weak);
        assertThat(forbidden.exit()).isEqualTo(3);
        assertThat(forbidden.err()).startsWith("error: ").doesNotContain(weak);

        Run unreachable = TestCli.withEnv(Map.of("XDG_CONFIG_HOME", home.resolve("none").toString()),
                "region", "list", "--url", "http://127.0.0.1:1", "--token", "x");
        assertThat(unreachable.exit()).isEqualTo(4);
        assertThat(unreachable.err()).isEqualTo("error: cannot reach srg at http://127.0.0.1:1: connection refused (Connection)\n");

        Run usage = srg("rg", "create", "--name", "x");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required options").contains("Usage: srg rg create");
        Run noSub = srg("vpc");
        assertThat(noSub.exit()).isEqualTo(2);
        assertThat(srg("rg", "create", "--name", "x", "--region", "local", "--zone", "local-a", "--billing-mode", "SUBSCRIPTION",
                "--cycle", "fortnight", "--vpc", "v", "--vswitch", "s").err()).contains("'fortnight' is not a billing cycle");
        Run badUrl = TestCli.withEnv(Map.of("XDG_CONFIG_HOME", home.resolve("none").toString()), "region", "list", "--url", "localhost:8080",
                "--token", "x");
        assertThat(badUrl.exit()).isEqualTo(2);
        assertThat(badUrl.err()).startsWith("error: the server URL must start with http://");
    }

    @Test
    @DisplayName("errors in one line that says what to do: a token file that is not there, a URL copied with /api/v1, a URL"
            + " that is not srg's, the clock of a real-clock server, a list field named by its repeatable flag, a file that is"
            + " not JSON, a group to delete asked about by name")
    void errorsSayWhatToDo() throws Exception {
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", home.resolve("none").toString());
        // before: "cannot read the token file /...: /..." (the JDK's message is the path again)
        Run noFile = TestCli.withEnv(env, "region", "list", "--url", server.url(), "--token-file", home.resolve("missing").toString());
        assertThat(noFile.exit()).isEqualTo(2);
        assertThat(noFile.err()).isEqualTo("error: cannot read the token file " + home.resolve("missing") + ": no such file\n");

        // before: "Endpoint GET /api/v1/api/v1/regions not found"
        Run prefixed = TestCli.withEnv(env, "region", "list", "-o", "json", "--url", server.url() + "/api/v1/", "--token",
                server.adminToken());
        assertThat(prefixed.exit()).as(prefixed.toString()).isZero();

        // another HTTP server on the URL: before, "error:  (Http.404)" (its empty body as the message)
        com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", x -> {
            byte[] page = "<html><body>\n<h1>Not Found</h1></body></html>".getBytes(StandardCharsets.UTF_8);
            boolean empty = x.getRequestURI().getPath().endsWith("/regions");
            x.sendResponseHeaders(404, empty ? -1 : page.length);
            if (!empty) {
                x.getResponseBody().write(page);
            }
            x.close();
        });
        other.start();
        try {
            String url = "http://127.0.0.1:" + other.getAddress().getPort();
            Run empty = TestCli.withEnv(env, "region", "list", "--url", url, "--token", "x");
            assertThat(empty.exit()).isEqualTo(3);
            assertThat(empty.err()).isEqualTo("error: " + url + " answered HTTP 404 with no body, not an srg problem answer;"
                    + " is it srg's URL? (Http.404)\n");
            Run html = TestCli.withEnv(env, "vpc", "list", "--url", url, "--token", "x");
            assertThat(html.err()).startsWith("error: " + url + " answered HTTP 404: '<html><body> <h1>Not Found</h1></body></html>'")
                    .hasLineCount(1);
        } finally {
            other.stop(0);
        }

        // before: "Endpoint GET /api/v1/clock not found (NotFound.Endpoint)"
        Run clock = srg("clock", "now");
        assertThat(clock.exit()).isEqualTo(3);
        assertThat(clock.err()).isEqualTo("error: the server at " + server.url() + " runs on the real clock; srg clock works with"
                + " a server started with --simulated-clock\n");

        // before: "(InvalidParameter.Enum, field policies[0])"
        Run policy = srg("user", "create", "--name", "cli-policy", "--policy", "NoSuchAccess");
        assertThat(policy.exit()).isEqualTo(3);
        assertThat(policy.err()).endsWith("(InvalidParameter.Enum, --policy)\n");

        // before: Jackson's two lines about its source
        Path notJson = home.resolve("schedule.json");
        Files.writeString(notJson, "{profiles: []}");
        Run schedule = srg("schedule", "set", "rg-doesnotexist", notJson.toString());
        assertThat(schedule.exit()).isEqualTo(2);
        assertThat(schedule.err()).isEqualTo("error: cannot read the schedule from " + notJson + ": not valid JSON (line 1, column 2)\n");

        // before: asked to confirm the unsubscription of a group that does not exist, in two lines
        Run missing = srg("rg", "delete", "rg-doesnotexist");
        assertThat(missing.exit()).isEqualTo(3);
        assertThat(missing.err()).isEqualTo("error: ResourceGroup 'rg-doesnotexist' does not exist (ResourceGroup.NotFound)\n");
    }

    @Test
    @DisplayName("env and profile: flags, then SRG_URL/SRG_TOKEN, then the 0600 profile that login writes and logout deletes")
    void environmentAndProfile() throws IOException {
        Path config = home.resolve("config");
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", config.toString());
        Run none = TestCli.withEnv(env, "region", "list");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("error: no API token for http://localhost:8080: pass --token-file FILE, set SRG_TOKEN, "
                + "or run 'srg login'\n");

        Run fromEnv = TestCli.withEnv(Map.of("XDG_CONFIG_HOME", config.toString(), "SRG_URL", server.url(), "SRG_TOKEN", server.adminToken()),
                "region", "list");
        assertThat(fromEnv.exit()).as(fromEnv.toString()).isZero();

        Run refused = TestCli.withEnv(env, "login", "--url", server.url(), "--token", "srg_wrong");
        assertThat(refused.exit()).isEqualTo(3);
        assertThat(config.resolve("srg/profile")).doesNotExist();

        Path tokenFile = server.dataDir().resolve("admin.token");
        Run login = TestCli.withEnv(env, "login", "--url", server.url() + "/", "--token-file", tokenFile.toString());
        assertThat(login.exit()).as(login.toString()).isZero();
        Path profile = config.resolve("srg/profile");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(profile))).isEqualTo("rw-------");
        assertThat(Files.readString(profile)).contains("url=" + server.url() + "\n");
        assertThat(login.out()).doesNotContain(server.adminToken());

        Run viaProfile = TestCli.withEnv(env, "region", "list", "-o", "json");
        assertThat(viaProfile.exit()).as(viaProfile.toString()).isZero();
        assertThat(ids(viaProfile.json())).contains("local");
        // the profile's token goes only to the profile's server
        Run elsewhere = TestCli.withEnv(env, "region", "list", "--url", "http://127.0.0.1:1");
        assertThat(elsewhere.exit()).isEqualTo(2);
        // a flag beats the profile
        assertThat(TestCli.withEnv(env, "region", "list", "--token", "srg_wrong").exit()).isEqualTo(3);

        Run logout = TestCli.withEnv(env, "logout");
        assertThat(logout.exit()).isZero();
        assertThat(profile).doesNotExist();
        assertThat(TestCli.withEnv(env, "region", "list").exit()).isEqualTo(2);

        Run stdin = withStdin(server.adminToken() + "\n", () -> TestCli.withEnv(Map.of("HOME", home.resolve("h").toString()),
                "login", "--url", server.url(), "--token-stdin"));
        assertThat(stdin.exit()).as(stdin.toString()).isZero();
        assertThat(home.resolve("h/.config/srg/profile")).exists();
        Run missing = TestCli.withEnv(env, "login", "--url", server.url());
        assertThat(missing.exit()).isEqualTo(2);
    }

    private static <T> T withStdin(String input, java.util.function.Supplier<T> body) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return body.get();
        } finally {
            System.setIn(saved);
        }
    }
}
