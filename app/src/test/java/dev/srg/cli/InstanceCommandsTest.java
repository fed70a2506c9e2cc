package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestCli;
import dev.srg.testing.TestServer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code srg run}, {@code srg instance ...}, {@code srg rg quotas|concurrency} against a real server. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InstanceCommandsTest {
    static TestServer server;
    static String workspace;
    static String group;
    static String groupName;
    static String workspaceName;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        Fixtures fx = new Fixtures(server);
        var g = fx.subscriptionGroup(4);
        group = g.get("id").asString();
        groupName = g.get("name").asString();
        var ws = fx.workspace(group);
        workspace = ws.get("id").asString();
        workspaceName = ws.get("name").asString();
    }

    static TestCli.Run srg(String... args) {
        return TestCli.asAdmin(server, args);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void runFollowStreamsTheLogAndExitsWithTheTasksExitCode() {
        var ok = srg("run", "-w", workspace, "--follow", "echo hello; echo again");
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(ok.out()).isEqualTo("hello\nagain\n");
        // nothing stops it (the submit answers before the dispatcher admits it): no place in a queue, no "reason"
        assertThat(ok.err()).doesNotContain("in the queue").containsPattern("instance i-\\w+ (QUEUED on " + groupName
                + " \\(nothing stops it: starting\\)|[A-Z]+ on " + groupName + ")\n");
        var failed = srg("run", "-w", workspace, "--cu", "0.5", "--follow", "echo bad >&2; exit 7");
        assertThat(failed.exit()).isEqualTo(7);
        assertThat(failed.out()).isEqualTo("bad\n");
        assertThat(failed.err()).contains("FAILED (NON_ZERO_EXIT)");
        var timedOut = srg("run", "-w", workspace, "--timeout", "1", "--follow", "sleep 30");
        assertThat(timedOut.exit()).isEqualTo(124);
        var py = srg("run", "-w", workspace, "--type", "python", "--follow", "print(2**10)");
        assertThat(py.out()).isEqualTo("1024\n");
        var refused = srg("run", "-w", workspace, "--cu", "0.3", "true");
        assertThat(refused.exit()).isEqualTo(3);
        assertThat(refused.err()).contains(", --cu)");
    }

    @Test
    @org.junit.jupiter.api.DisplayName("run --follow of a task that must wait says where it waits and why, then streams it when it starts")
    void runFollowOfAQueuedTaskSaysWhyItWaits() {
        var big = srg("run", "-w", workspace, "--cu", "4", "-o", "name", "sleep 3");
        assertThat(big.exit()).as(big.toString()).isZero();
        var queued = srg("run", "-w", workspace, "--follow", "echo after the wait");
        assertThat(queued.exit()).as(queued.toString()).isZero();
        // the group by the name a user knows it by
        assertThat(queued.err()).contains("QUEUED on " + groupName + " (#").containsPattern("\\(#\\d+ in the queue: CAPACITY; it starts when that clears\\)");
        assertThat(queued.out()).isEqualTo("after the wait\n");
    }

    @Test
    @org.junit.jupiter.api.DisplayName("SPEC BEY-1: srg instance get of a queued task shows its estimated start and how it was made")
    void instanceGetShowsAQueuedTasksEstimatedStart() {
        Fixtures fx = new Fixtures(server);
        String small = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(small).get("id").asString();
        String running = srg("run", "-w", ws, "--cu", "2", "--timeout", "600", "-o", "name", "sleep 120").out().strip();
        String queued = srg("run", "-w", ws, "--cu", "2", "-o", "name", "sleep 1").out().strip();
        try {
            var got = srg("instance", "get", queued);
            assertThat(got.exit()).as(got.toString()).isZero();
            // the running task ends at its timeout (no history): 600 s from its start, shown as a time and its age
            assertThat(got.out()).containsPattern("QUEUE +#1 CAPACITY\n")
                    .containsPattern("ESTIMATED-START +20\\d\\d-\\d\\d-\\d\\dT[0-9:.]+Z \\(in (9|10)m\\)\n")
                    .containsPattern("ESTIMATE +estimated by replaying the queue ahead");
            var runningPage = srg("instance", "get", running);
            assertThat(runningPage.out()).doesNotContain("ESTIMATED-START").doesNotContain("ESTIMATE ");
        } finally {
            srg("instance", "cancel", queued);
            srg("instance", "cancel", running);
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("SPEC BEY-1: srg run --dry-run says what would happen, with the cost in cents, and submits nothing")
    void runDryRun() {
        long before = server.sqlLong("SELECT count(*) FROM instances");
        var dry = srg("run", "-w", workspace, "--cu", "2", "--timeout", "600", "--name", "cli-dry", "--dry-run", "sleep 1");
        assertThat(dry.exit()).as(dry.toString()).isZero();
        // 0.12 USD per CU-hour x 2 CU x 600 s (its timeout: no history) = 0.04 USD
        assertThat(dry.out()).startsWith("GROUP").contains(groupName + " (" + group + ")").contains("now").contains("0.04 USD").contains("600 s");
        var json = srg("run", "-w", workspace, "--cu", "2", "--dry-run", "-o", "json", "sleep 1").json();
        assertThat(json.get("dryRun").asBoolean()).isTrue();
        assertThat(server.sqlLong("SELECT count(*) FROM instances")).isEqualTo(before);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("SPEC BEY-6: srg rg resume-on-demand RG on|off, and shows it")
    void resumeOnDemand() {
        String payg = new Fixtures(server).payAsYouGoGroup(2).get("id").asString();
        assertThat(srg("rg", "resume-on-demand", payg).out()).containsPattern("RESUME-ON-DEMAND +false");
        var on = srg("rg", "resume-on-demand", payg, "on");
        assertThat(on.exit()).as(on.toString()).isZero();
        assertThat(on.out()).containsPattern("RESUME-ON-DEMAND +true");
        assertThat(srg("rg", "resume-on-demand", group, "on").exit()).isEqualTo(3);
        assertThat(srg("rg", "resume-on-demand", payg, "maybe").exit()).isEqualTo(2);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("SPEC BEY-5: srg bill chargeback shows the month per workspace; --csv prints the CSV")
    void chargeback() {
        var table = srg("bill", "chargeback");
        assertThat(table.exit()).as(table.toString()).isZero();
        assertThat(table.out()).startsWith("WORKSPACE").contains("CU-HOURS").contains("COST");
        assertThat(table.err()).contains("total").contains("orders");
        var csv = srg("bill", "chargeback", "--csv");
        assertThat(csv.exit()).as(csv.toString()).isZero();
        assertThat(csv.out()).startsWith("month,workspace_id,");
        assertThat(srg("bill", "chargeback", "--month", "2026-13").exit()).isEqualTo(3);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("SPEC BEY-4: srg advise lists the workspace's recurring tasks with their advice")
    void advise() {
        for (int i = 0; i < 3; i++) {
            assertThat(srg("run", "-w", workspace, "--name", "nightly-advice", "--follow", "true").exit()).isZero();
        }
        var advice = srg("advise", "-w", workspace);
        assertThat(advice.exit()).as(advice.toString()).isZero();
        assertThat(advice.out()).startsWith("NAME").contains("ADVISED-CU").contains("nightly-advice");
        assertThat(srg("advise").exit()).isEqualTo(2);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("tables show the group and workspace by name (one request for the names); json keeps the API's ids;"
            + " a name two groups share stays an id")
    void tablesShowOtherResourcesByName() {
        String id = srg("run", "-w", workspace, "--name", "by-name", "-o", "name", "true").out().strip();
        var list = srg("instance", "list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow())
                .contains(" " + groupName + " ").doesNotContain(group);
        var wide = srg("instance", "list", "-o", "wide");
        assertThat(wide.out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow())
                .contains(" " + groupName + " ").contains(" " + workspaceName + " ").doesNotContain(group).doesNotContain(workspace);
        var json = srg("instance", "list", "-o", "json").json();
        var item = java.util.stream.StreamSupport.stream(json.spliterator(), false)
                .filter(i -> i.get("id").asString().equals(id)).findFirst().orElseThrow();
        assertThat(item.get("resourceGroupId").asString()).isEqualTo(group);
        assertThat(item.get("workspaceId").asString()).isEqualTo(workspace);
        assertThat(srg("instance", "get", id).out()).containsPattern("GROUP +" + groupName + " \\(" + group + "\\)")
                .containsPattern("WORKSPACE +" + workspaceName + " \\(" + workspace + "\\)");
        // filtered by a name: the name learned resolving --rg labels the table (no request more)
        assertThat(srg("instance", "list", "--rg", groupName).out()).contains(id).contains(" " + groupName + " ");

        // a second group of the same name: the name says nothing, so the table shows the id
        String twin = new Fixtures(server).payAsYouGoGroup(2).get("id").asString();
        assertThat(srg("rg", "rename", twin, "--name", groupName).exit()).isZero();
        try {
            assertThat(srg("instance", "list").out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow()).contains(group);
        } finally {
            assertThat(srg("rg", "rename", twin, "--name", groupName + "-twin").exit()).isZero();
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("srg api service takes the group's name, as every other group argument does")
    void dataServiceServiceByGroupName() {
        var byId = srg("api", "service", group, "-w", workspace, "-o", "json");
        assertThat(byId.exit()).as(byId.toString()).isZero();
        var byName = srg("api", "service", groupName, "-w", workspaceName, "-o", "json");
        assertThat(byName.exit()).as(byName.toString()).isZero();
        assertThat(byName.json().get("resourceGroupId").asString()).isEqualTo(group);
        assertThat(srg("api", "service", groupName, "-w", workspaceName).out()).containsPattern("RESOURCE-GROUP +" + groupName);
    }

    @Test
    void instancesListGetLogCancel() {
        var submitted = srg("run", "-w", workspace, "-o", "json", "sleep 30");
        String id = submitted.id();
        var list = srg("instance", "list", "--rg", group);
        assertThat(list.out()).startsWith("ID").contains(id);
        var cancelled = srg("instance", "cancel", id, "-o", "json");
        assertThat(cancelled.exit()).isZero();
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED"); // it waits for the end
        var got = srg("instance", "get", id);
        assertThat(got.out()).contains("STATUS").containsPattern("SCRIPT +sleep 30\n");
        var multi = srg("run", "-w", workspace, "-o", "json", "echo one\necho two").id();
        assertThat(srg("instance", "get", multi).out()).contains("echo one  (+1 lines: srg instance script " + multi + ")");
        assertThat(srg("instance", "script", multi).out()).isEqualTo("echo one\necho two\n");
        var log = srg("instance", "log", id, "--follow");
        assertThat(log.exit()).isZero();
    }

    @Test
    void quotasAndConcurrency() {
        var set = srg("rg", "quotas", group, "--set", "DATA_INTEGRATION=1:2", "--set", "scheduling=:3");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("DATA_INTEGRATION").contains("SCHEDULING");
        var shown = srg("rg", "quotas", group, "-o", "json");
        assertThat(shown.json().get("quotas").get("SCHEDULING").get("maxCu").asInt()).isEqualTo(3);
        var bad = srg("rg", "quotas", group, "--set", "DATA_INTEGRATION=3:4", "--set", "DATA_SERVICE=2:");
        assertThat(bad.exit()).isEqualTo(3);
        assertThat(bad.err()).contains("MinimumsAboveSpec");
        assertThat(srg("rg", "quotas", group, "--set", "nonsense").exit()).isEqualTo(2);
        // a typo is said before the server is asked anything (here: none listens)
        var typo = TestCli.withEnv(java.util.Map.of("XDG_CONFIG_HOME", "/nonexistent-srg-test"), "rg", "quotas", "g",
                "--set", "SCHEDULING=a:b", "--url", "http://127.0.0.1:1", "--token", "x");
        assertThat(typo.exit()).as(typo.toString()).isEqualTo(2);
        assertThat(typo.err()).isEqualTo("error: --set 'SCHEDULING=a:b' is not TYPE=MIN:MAX (e.g. DATA_INTEGRATION=4:8 or SCHEDULING=:16)\n");
        var notAType = srg("rg", "quotas", group, "--set", "FOO=1:2");
        assertThat(notAType.exit()).isEqualTo(3);
        assertThat(notAType.err()).contains("'FOO'").endsWith(", --set)\n"); // the flag, not the API's field

        // --set changes the named type only (as scontrol update does); an empty side keeps its value
        var one = srg("rg", "quotas", group, "--set", "DATA_INTEGRATION=:2.5", "-o", "json").json().get("quotas");
        assertThat(one.get("SCHEDULING").get("maxCu").asInt()).isEqualTo(3);
        assertThat(one.get("DATA_INTEGRATION").get("minCu").asInt()).isEqualTo(1);
        assertThat(one.get("DATA_INTEGRATION").get("maxCu").asDouble()).isEqualTo(2.5);
        var unset = srg("rg", "quotas", group, "--unset", "scheduling", "-o", "json").json().get("quotas");
        assertThat(unset.has("SCHEDULING")).isFalse();
        assertThat(unset.has("DATA_INTEGRATION")).isTrue();
        var replaced = srg("rg", "quotas", group, "--replace", "--set", "SCHEDULING=:2", "-o", "json").json().get("quotas");
        assertThat(replaced.properties()).hasSize(1);
        assertThat(replaced.get("SCHEDULING").get("maxCu").asInt()).isEqualTo(2);
        var notThere = srg("rg", "quotas", group, "--unset", "DATA_SERVICE");
        assertThat(notThere.exit()).isEqualTo(2);
        assertThat(notThere.err()).contains("--unset DATA_SERVICE");
        assertThat(srg("rg", "quotas", group, "--replace").exit()).isEqualTo(2);
        assertThat(srg("rg", "quotas", group, "--clear", "-o", "json").json().get("quotas").isEmpty()).isTrue();
        var c = srg("rg", "concurrency", group, "--set", "7");
        assertThat(c.out()).contains("7");
        assertThat(srg("rg", "concurrency", group, "--set", "500").exit()).isEqualTo(3);
    }

    /**
     * Two users change a group's quotas at once: another client's change lands between this
     * command's read and its write (a proxy in front of the server makes it, right after passing on
     * the command's first read). The command applies its --set on what is there at the write, so
     * neither change is lost.
     */
    @Test
    void quotasChangedByAnotherClientMeanwhileAreKept() throws Exception {
        srg("rg", "quotas", group, "--clear");
        var otherChangeMade = new java.util.concurrent.atomic.AtomicBoolean();
        var http = java.net.http.HttpClient.newHttpClient();
        var proxy = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            var forward = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + exchange.getRequestURI()))
                    .method(exchange.getRequestMethod(), java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h : java.util.List.of("Authorization", "Content-Type", "Accept")) {
                String v = exchange.getRequestHeaders().getFirst(h);
                if (v != null) {
                    forward.header(h, v);
                }
            }
            try {
                var answer = http.send(forward.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                answer.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
                exchange.sendResponseHeaders(answer.statusCode(), answer.body().length == 0 ? -1 : answer.body().length);
                exchange.getResponseBody().write(answer.body());
                exchange.close();
                if (exchange.getRequestMethod().equals("GET") && exchange.getRequestURI().getPath().endsWith("/quotas")
                        && otherChangeMade.compareAndSet(false, true)) {
                    var other = server.admin().put("resource-groups/" + group + "/quotas", java.util.Map.of("quotas",
                            java.util.Map.of("DATA_SERVICE", java.util.Map.of("minCu", 1, "maxCu", 1))));
                    assertThat(other.status()).as(other.toString()).isEqualTo(200);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.IOException(e);
            }
        });
        proxy.start();
        try {
            var run = TestCli.withEnv(java.util.Map.of("XDG_CONFIG_HOME", "/nonexistent-srg-test"), "rg", "quotas", group,
                    "--set", "SCHEDULING=:3", "-o", "json", "--url", "http://127.0.0.1:" + proxy.getAddress().getPort(),
                    "--token", server.adminToken());
            assertThat(otherChangeMade).isTrue();
            var quotas = run.json().get("quotas");
            assertThat(quotas.get("SCHEDULING").get("maxCu").asInt()).isEqualTo(3);
            assertThat(quotas.has("DATA_SERVICE")).as("the other client's change is kept: " + quotas).isTrue();
        } finally {
            proxy.stop(0);
        }
        srg("rg", "quotas", group, "--clear");
    }

    @Test
    void getFollowShowsASyncsProgressBarUntilItEnds() throws Exception {
        // SPEC DI-5: a sync's progress in srg instance get --follow (CSV to CSV: no database needed)
        java.nio.file.Path dir = dev.srg.testing.TaskReachableDirectories.create("srg-cli-csv-");
        try {
            java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            java.nio.file.Path in = dir.resolve("in.csv");
            java.nio.file.Files.writeString(in, "a,b\n1,x\n2,y\n3,z\n");
            java.nio.file.Files.setPosixFilePermissions(in, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            var admin = server.admin();
            var ds = admin.post("data-sources", java.util.Map.of("name", "cli-files", "workspaceId", workspace, "type", "CSV",
                    "path", dir.toString()));
            assertThat(ds.status()).as(ds.toString()).isEqualTo(201);
            java.util.Map<String, Object> csvIn = java.util.Map.of("plugin", "txtfile", "parameter", java.util.Map.of("datasource",
                    "cli-files", "path", "in.csv", "column", java.util.List.of("a", "b"), "header", true));
            java.util.Map<String, Object> csvOut = java.util.Map.of("plugin", "txtfile", "parameter", java.util.Map.of("datasource",
                    "cli-files", "path", "out.csv", "column", java.util.List.of("a", "b"), "header", true));
            var submitted = admin.post("instances", java.util.Map.of("workspaceId", workspace, "type", "DATA_INTEGRATION", "cu", 0.5,
                    "sync", java.util.Map.of("reader", csvIn, "writer", csvOut)));
            assertThat(submitted.status()).as(submitted.toString()).isEqualTo(201);
            var got = srg("instance", "get", submitted.id(), "--follow");
            assertThat(got.exit()).as(got.toString()).isZero();
            assertThat(got.err()).contains("[####################] 1/1 splits  3 read, 3 written").contains("0 dirty  SUCCEEDED");
            assertThat(got.out()).contains("SUCCEEDED").contains("PROGRESS");
            assertThat(java.nio.file.Files.readString(dir.resolve("out.csv"))).isEqualTo("a,b\n1,x\n2,y\n3,z\n");
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
