package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestCli;
import dev.srg.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The CLI as a new user meets it: names for ids, a default workspace, output formats, readable errors. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CliUsabilityTest {
    static TestServer server;
    static Fixtures fx;
    static String group;
    static String workspace;

    @TempDir
    static Path home;

    @BeforeAll
    static void start() {
        // scaling takes a second here, so rg scale --wait is seen to wait (the lifecycle job ends it within 5 s)
        server = TestServer.start(c -> c.withLifecycle(c.lifecycle().withScaleDuration(java.time.Duration.ofSeconds(1))));
        fx = new Fixtures(server);
        var body = fx.subscriptionBody(fx.network(), 4);
        body.put("name", "ux-group");
        group = server.admin().post("resource-groups", body).id();
        fx.awaitRunning(group);
        workspace = server.admin().post("workspaces", Map.of("name", "ux-ws", "regionId", "local",
                "defaultResourceGroupId", group)).id();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static TestCli.Run srg(Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(env);
        e.putIfAbsent("XDG_CONFIG_HOME", home.resolve("none").toString());
        return TestCli.asAdmin(server, e, args);
    }

    static TestCli.Run srg(String... args) {
        return srg(Map.of(), args);
    }

    @Test
    @DisplayName("names work wherever ids do, when unique; an ambiguous or unknown name says so")
    void namesInsteadOfIds() {
        assertThat(srg("rg", "get", "ux-group", "-o", "json").id()).isEqualTo(group);
        assertThat(srg("ws", "get", "ux-ws", "-o", "json").id()).isEqualTo(workspace);
        var run = srg("run", "-w", "ux-ws", "--rg", "ux-group", "--follow", "echo by name");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).isEqualTo("by name\n");
        assertThat(srg("instance", "list", "--rg", "ux-group", "-o", "name").out()).matches("(i-\\w{20}\n)+");
        assertThat(srg("rg", "quotas", "ux-group").exit()).isZero();

        server.admin().post("workspaces", Map.of("name", "twin", "regionId", "local"));
        server.admin().post("workspaces", Map.of("name", "twin", "regionId", "local"));
        var twin = srg("ws", "get", "twin");
        assertThat(twin.exit()).isEqualTo(2);
        assertThat(twin.err()).contains("2 workspaces are named 'twin'").contains("give the id");
        var none = srg("rg", "get", "no-such-group");
        assertThat(none.exit()).isEqualTo(3);
        assertThat(none.err()).isEqualTo("error: ResourceGroup 'no-such-group' does not exist (ResourceGroup.NotFound)\n");
    }

    @Test
    @DisplayName("a budget's scope and a workspace's members show by name from the answer itself (no request more);"
            + " -o json keeps the ids")
    void namesFromTheAnswer() {
        var budget = srg("budget", "create", "ux-budget", "--rg", "ux-group", "--unit", "CU_HOURS", "--amount", "100", "-o", "json");
        String budgetId = budget.id();
        try {
            long before = TestCli.requestsAnswered(server);
            var list = srg("budget", "list");
            assertThat(TestCli.requestsAnswered(server) - before).as("requests of srg budget list").isEqualTo(1);
            assertThat(list.out().lines().filter(l -> l.startsWith(budgetId)).findFirst().orElseThrow())
                    .contains("group ux-group").doesNotContain(group);
            assertThat(srg("budget", "get", budgetId).out()).contains("group ux-group (" + group + ")");
            var json = srg("budget", "get", budgetId, "-o", "json").json();
            assertThat(json.get("resourceGroupId").asString()).isEqualTo(group);
            assertThat(json.get("resourceGroupName").asString()).isEqualTo("ux-group");
        } finally {
            assertThat(srg("budget", "delete", budgetId).exit()).isZero();
        }

        var dev = fx.user();
        assertThat(srg("ws", "member-set", "ux-ws", dev.id(), "--role", "developer").exit()).isZero();
        // the users are not listed for their names (the groups are, for DEFAULT-RG, as before: docs/cli.md)
        long before = TestCli.requestsAnswered(server, "/api/v1/users");
        var wide = srg("ws", "list", "-o", "wide");
        assertThat(TestCli.requestsAnswered(server, "/api/v1/users") - before).as("user lists read by srg ws list").isZero();
        assertThat(wide.out().lines().filter(l -> l.startsWith(workspace)).findFirst().orElseThrow())
                .contains(dev.name() + " DEVELOPER").doesNotContain(dev.id());
        assertThat(srg("ws", "get", "ux-ws").out()).contains(dev.name() + " (" + dev.id() + ") DEVELOPER");
        var members = srg("ws", "get", "ux-ws", "-o", "json").json().get("members");
        assertThat(members.toString()).contains("\"userId\":\"" + dev.id() + "\"").contains("\"userName\":\"" + dev.name() + "\"");
        assertThat(srg("ws", "member-remove", "ux-ws", dev.id()).exit()).isZero();
    }

    @Test
    @DisplayName("srg login --workspace and srg ws use set the workspace srg run uses when it names none")
    void defaultWorkspaceInTheProfile() throws Exception {
        Path config = home.resolve("profile-test");
        Path tokenFile = home.resolve("token");
        Files.writeString(tokenFile, server.adminToken());
        Map<String, String> env = Map.of("XDG_CONFIG_HOME", config.toString());
        var login = TestCli.withEnv(env, "login", "--url", server.url(), "--token-file", tokenFile.toString(),
                "-w", "ux-ws");
        assertThat(login.exit()).as(login.toString()).isZero();
        assertThat(Files.readString(config.resolve("srg/profile"))).contains("workspace=" + workspace);
        var run = TestCli.withEnv(env, "run", "--follow", "echo from the profile");
        assertThat(run.out()).as(run.toString()).isEqualTo("from the profile\n");
        // the other commands that work in a workspace take the profile's too
        var source = TestCli.withEnv(env, "ds", "create", "--name", "ux-csv", "--type", "csv", "--path", "/tmp/ux-csv",
                "-o", "json");
        assertThat(source.json().get("workspaceId").asString()).isEqualTo(workspace);
        assertThat(TestCli.withEnv(env, "ds", "list", "-o", "name").out()).isEqualTo(source.id() + "\n");
        var apiGroup = TestCli.withEnv(env, "api", "group-create", "--name", "ux-apis", "--base-path", "ux", "-o", "json");
        assertThat(apiGroup.json().get("workspaceId").asString()).isEqualTo(workspace);

        String other = server.admin().post("workspaces", Map.of("name", "ux-other", "regionId", "local")).id();
        var use = TestCli.withEnv(env, "ws", "use", "ux-other");
        assertThat(use.out()).contains("ux-other (" + other + ")");
        var refused = TestCli.withEnv(env, "run", "true");
        // ux-other has no group: the server names the field, the CLI the flag
        assertThat(refused.exit()).isEqualTo(3);
        assertThat(refused.err()).contains("--rg)");
        var noProfile = srg("run", "true");
        assertThat(noProfile.exit()).isEqualTo(2);
        assertThat(noProfile.err()).contains("srg ws use");
    }

    @Test
    @DisplayName("-o wide, name, yaml (any case); tables fit $COLUMNS; durations, sizes and ages read as such")
    void outputFormats() {
        String instance = srg("run", "-w", workspace, "-o", "JSON", "true").id();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                srg("instance", "get", instance, "-o", "json").json().get("status").asString().equals("SUCCEEDED"));

        String yaml = srg("rg", "get", group, "-o", "Yaml").out();
        assertThat(yaml).contains("id: " + group + "\n").contains("name: ux-group\n").contains("status: RUNNING\n")
                .contains("specCu: 4\n").containsPattern("createdAt: \"\\d{4}-");
        String list = srg("rg", "list", "-o", "yaml").out();
        assertThat(list).startsWith("- id: ");

        String wide = srg("instance", "list", "--rg", group, "-o", "wide").out();
        assertThat(wide.lines().findFirst().orElseThrow()).contains("WORKSPACE").contains("FINISHED");
        String table = srg("instance", "list", "--rg", group).out();
        assertThat(table.lines().findFirst().orElseThrow()).doesNotContain("WORKSPACE").contains("WAIT").contains("RUN");
        assertThat(table).containsPattern(instance + " .* (\\d+ms|[\\d.]+s) ");
        assertThat(srg("instance", "get", instance).out()).containsPattern("FINISHED +\\S+Z \\(\\d+[smh] ago\\)");

        var narrow = srg(Map.of("COLUMNS", "80"), "rg", "list");
        assertThat(narrow.out().lines()).allMatch(l -> l.length() <= 80);
        assertThat(narrow.out()).contains("…").contains(group + "  "); // ids are never cut
        assertThat(srg(Map.of("COLUMNS", "80"), "rg", "list", "-o", "wide").out()).contains("SUBSCRIPTION").doesNotContain("…");
    }

    @Test
    @DisplayName("client-side errors name the flag and never print a stack trace; completion is generated")
    void errorsAndCompletion() {
        var cu = srg("run", "-w", workspace, "--cu", "abc", "true");
        assertThat(cu.exit()).isEqualTo(2);
        assertThat(cu.err()).contains("error: Invalid value for option '--cu': 'abc' is not a number")
                .contains("see 'srg run --help'").doesNotContain("Exception");
        var quota = srg("run", "-w", workspace, "--cu", "99", "true");
        assertThat(quota.exit()).isEqualTo(3);
        assertThat(quota.err()).contains(", --cu)");
        for (String[] call : new String[][] {{"completion"}, {"completion", "bash"}, {"completion", "ZSH"}}) {
            var completion = TestCli.withEnv(Map.of(), call);
            assertThat(completion.exit()).as(completion.toString()).isZero();
            assertThat(completion.out()).contains("complete -F").contains("instance").contains("quotas").contains("ZSH_VERSION");
        }
        var fish = TestCli.withEnv(Map.of(), "completion", "fish");
        assertThat(fish.exit()).isEqualTo(2);
        assertThat(fish.err()).contains("'fish'").contains("bash, zsh");
    }

    @Test
    @DisplayName("the exit codes docs/cli.md lists are the ones srg gives, one example each")
    void exitCodesAreTheDocumentedOnes() throws Exception {
        String doc = Files.readString(docs().resolve("cli.md"));
        String table = doc.substring(doc.indexOf("| exit | meaning |"));
        table = table.substring(0, table.indexOf("\n\n"));
        List<String> codes = table.lines().skip(2).map(l -> l.split("\\|")[1].strip()).toList();
        assertThat(codes).containsExactly("0", "1", "2", "3", "4", "other");

        Map<String, TestCli.Run> examples = new java.util.LinkedHashMap<>();
        examples.put("0", srg("rg", "get", "ux-group"));
        examples.put("1", srg("run", "-w", "ux-ws", "--file", home.resolve("no-such-script.sh").toString()));
        examples.put("2", srg("rg", "get"));
        examples.put("3", srg("rg", "get", "no-such-group"));
        examples.put("4", TestCli.withEnv(Map.of("XDG_CONFIG_HOME", home.resolve("none").toString()),
                "rg", "list", "--url", "http://127.0.0.1:1", "--token", "x"));
        examples.put("other", srg("run", "-w", "ux-ws", "--follow", "exit 7"));
        Map<String, Integer> expected = Map.of("0", 0, "1", 1, "2", 2, "3", 3, "4", 4, "other", 7);
        examples.forEach((code, run) -> {
            assertThat(run.exit()).as("exit " + code + ": " + run).isEqualTo(expected.get(code));
            assertThat(run.err()).as(run.toString()).doesNotContain("Exception").doesNotContain("\tat ");
        });
        assertThat(examples.get("1").err()).isEqualTo("error: no such file: " + home.resolve("no-such-script.sh") + "\n");
    }

    /** The repository's docs directory (tests run in app/). */
    static Path docs() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docs/cli.md"))) {
                return p.resolve("docs");
            }
        }
        throw new IllegalStateException("no docs/cli.md above " + Path.of("").toAbsolutePath());
    }

    @Test
    @DisplayName("on a terminal (a real pty from script(1)): tables fit its width without $COLUMNS, --wait spins; piped: neither")
    void onATerminalTablesFitAndWaitsSpin() throws Exception {
        var net = fx.network();
        String create = "rg create --name ux-tty --region local --zone local-a --billing-mode subscription --spec-cu 2"
                + " --cycle 1month --vpc " + net.vpcId() + " --vswitch " + net.vswitchId() + " --wait -o name";
        String onTerminal = onTerminal("stty cols 80 rows 20; $SRG rg list; $SRG " + create);
        List<String> lines = onTerminal.lines().toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("ID ")).findFirst().orElseThrow());
        List<String> table = lines.subList(header, lines.size()).stream().takeWhile(l -> !l.contains("waiting for")).toList();
        assertThat(table).as(onTerminal).hasSizeGreaterThan(1).allMatch(l -> l.length() <= 80);
        assertThat(onTerminal).contains("…").containsPattern("[|/\\\\-] waiting for rg-\\w+: CREATING \\(\\d+s\\)");

        var piped = srg(Map.of(), create.replace("ux-tty", "ux-piped").split(" "));
        assertThat(piped.exit()).as(piped.toString()).isZero();
        assertThat(piped.err()).isEmpty();
        assertThat(srg("rg", "list").out().lines()).anyMatch(l -> l.length() > 80);
    }

    /** Runs a shell command line on a fresh pseudo-terminal ({@code script -qec}), $SRG being the CLI; its output. */
    private static String onTerminal(String commands) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder("script", "-qec", commands, "/dev/null").redirectErrorStream(true);
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("SRG", java + " -Xmx256m " + String.join(" ", dev.srg.testing.ServerProcess.JVM_OPTIONS) + " dev.srg.Main");
        pb.environment().put("SRG_URL", server.url());
        pb.environment().put("SRG_TOKEN", server.adminToken());
        pb.environment().put("XDG_CONFIG_HOME", home.resolve("none").toString());
        pb.environment().remove("COLUMNS");
        pb.environment().remove("SRG_PROGRESS");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    @DisplayName("rg create --wait and rg scale --wait show their progress on stderr; the answer alone goes to stdout")
    void waitShowsProgress() {
        var net = fx.network();
        var created = srg(Map.of("SRG_PROGRESS", "always"), "rg", "create", "--name", "ux-wait", "--region", "local",
                "--zone", "local-a", "--billing-mode", "subscription", "--spec-cu", "2", "--cycle", "1month",
                "--vpc", net.vpcId(), "--vswitch", net.vswitchId(), "--wait", "-o", "json");
        assertThat(created.json().get("status").asString()).isEqualTo("RUNNING");
        assertThat(created.err()).containsPattern("waiting for rg-\\w+: CREATING \\(\\d+s\\)");

        var scaled = srg(Map.of("SRG_PROGRESS", "always"), "rg", "scale", "ux-wait", "--spec-cu", "3", "--wait");
        assertThat(scaled.exit()).as(scaled.toString()).isZero();
        assertThat(scaled.out()).contains("SCALING");
        assertThat(scaled.err()).containsPattern("waiting for rg-\\w+: SCALING \\(\\d+s\\)");
        var after = srg("rg", "get", "ux-wait", "-o", "json").json();
        assertThat(after.get("status").asString()).isEqualTo("RUNNING");
        assertThat(after.get("specCu").asInt()).isEqualTo(3);
    }

    @Test
    @DisplayName("Ctrl-C on run --follow stops following and says how to cancel the task")
    void interruptingFollowSaysHowToCancel() throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        cmd.addAll(dev.srg.testing.ServerProcess.JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.srg.Main", "run", "-w", "ux-ws", "--follow",
                "--url", server.url(), "--token", server.adminToken(), "echo started; sleep 60"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.equals("started")) {
                    p.toHandle().destroy(); // SIGTERM runs the same shutdown hooks as Ctrl-C's SIGINT
                }
            }
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String id = seen.toString().replaceAll("(?s).*instance (i-\\w{20}) .*", "$1");
        assertThat(seen.toString()).contains("keeps running. Cancel it: srg instance cancel " + id);
        JsonNode still = Json.MAPPER.readTree(srg("instance", "get", id, "-o", "json").out());
        assertThat(still.get("status").asString()).isEqualTo("RUNNING");
        srg("instance", "cancel", id);
    }
}
