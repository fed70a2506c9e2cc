package dev.srg.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.dataservice.DataServiceGateway;
import dev.srg.store.BaseBackup;
import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * {@code srg backup} of a real running server (its embedded PostgreSQL) while tasks are submitted,
 * and {@code srg restore} into a new data directory where a second real server starts: every row
 * usable, secrets open, the queue runs once, what ran on the old host is LOST and not run again.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class BackupRestoreTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @Test
    @DisplayName("a backup taken while the server runs and tasks are submitted restores into a new directory: every row usable,"
            + " secrets open, queued tasks run once, running ones LOST; a backup cut short leaves no backup")
    void backupWhileRunningAndRestoreElsewhere() throws Exception {
        Path a = TestDatabases.dataDirectory("srg-backup-a");
        Path files = Files.createTempDirectory("srg-backup-files");
        Path backup = files.resolve("srg.tar");
        TestDatabases.Fresh source = TestDatabases.fresh();
        try (Connection c = DriverManager.getConnection(source.url(), source.user(), source.password()); var s = c.createStatement()) {
            s.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)");
            s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 10) g");
        }
        String ws;
        String rg;
        String appKey;
        String appSecret;
        String dataSource;
        String lostTask;
        List<String> queued = new ArrayList<>();
        List<Accepted> accepted = new CopyOnWriteArrayList<>();
        Set<String> ordersBefore;
        long backupBegan;
        try (ServerProcess first = ServerProcess.start(a, "--provisioning-delay-ms", "0", "--network-enforcement", "off")) {
            TestHttp http = first.http(a);
            ws = ServerProcess.workspaceOnARunningGroup(http);
            rg = http.get("workspaces/" + ws).json().get("defaultResourceGroupId").asString();
            dataSource = http.post("data-sources", dataSourceBody(ws, source)).id();
            String apiGroup = http.post("dataservice/api-groups", Map.of("name", "shop", "workspaceId", ws, "basePath", "shop")).id();
            Map<String, Object> api = new LinkedHashMap<>(Map.of("apiGroupId", apiGroup, "name", "items", "path", "items",
                    "method", "GET", "mode", "SCRIPT", "dataSourceId", dataSource, "resourceGroupId", rg,
                    "sql", "SELECT id, name FROM items ORDER BY id"));
            api.put("parameters", List.of());
            String apiId = http.post("dataservice/apis", api).id();
            TestHttp.Response[] tested = new TestHttp.Response[1];
            try {
                Awaitility.await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    tested[0] = http.post("dataservice/apis/" + apiId + "/test", Map.of("params", Map.of()));
                    return tested[0].status() == 200;
                });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                StringBuilder services = new StringBuilder();
                for (JsonNode i : http.get("instances?resourceGroupId=" + rg + "&usageType=DATA_SERVICE").json().get("items")) {
                    services.append(i).append('\n').append(http.get("instances/" + i.get("id").asString() + "/log").text()).append('\n');
                }
                throw new AssertionError("the API's test: " + tested[0] + "\nservices: " + services + "\n" + first.output(), e);
            }
            assertThat(http.post("dataservice/apis/" + apiId + "/publish", null).status()).isEqualTo(200);
            JsonNode app = http.post("dataservice/apps", Map.of("name", "reader")).json();
            appKey = app.get("appKey").asString();
            appSecret = app.get("appSecret").asString();
            assertThat(http.put("dataservice/apps/" + app.get("id").asString() + "/grants/" + apiId, null).status()).isLessThan(300);
            assertThat(signedCall(first.url(), appKey, appSecret)).isEqualTo(10);

            // one task runs (on this host's supervisor); with the service (1 CU) the group's 2 CU are taken: the next ones queue
            lostTask = submit(http, ws, "echo started-long; sleep 600", 1);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> status(http, lostTask).equals("RUNNING"));
            for (int i = 0; i < 2; i++) {
                String id = submit(http, ws, "echo ran-queued", 1);
                assertThat(status(http, id)).isEqualTo("QUEUED");
                queued.add(id);
            }
            ordersBefore = ids(http.get("orders").json());

            // SPEC ACC-5: refused, changing nothing: not an administrator, a bad parameter
            String userToken = http.post("users", Map.of("name", "ops", "policies", List.of("ResourceGroupFullAccess")))
                    .json().get("token").asString();
            TestHttp.Response forbidden = new TestHttp(first.url(), userToken).post("admin/backups", null);
            assertThat(forbidden.status()).as(forbidden.toString()).isEqualTo(403);
            assertThat(forbidden.contentType()).startsWith("application/problem+json");
            TestHttp.Response bad = http.post("admin/backups?includeKey=yes", null);
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.field()).isEqualTo("includeKey");

            // submissions go on while the backup is taken
            AtomicBoolean submitting = new AtomicBoolean(true);
            Thread submitter = Thread.ofVirtual().start(() -> {
                for (int i = 0; submitting.get() && i < 30; i++) {
                    long sent = System.nanoTime();
                    String id = submit(http, ws, "echo ran-during", 1);
                    accepted.add(new Accepted(id, sent, System.nanoTime()));
                    sleep(150);
                }
            });
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> accepted.size() >= 2);
            backupBegan = System.nanoTime();
            ServerProcess.Result taken = ServerProcess.run("backup", "--url", first.url(), "--token-file",
                    a.resolve("admin.token").toString(), "--to", backup.toString());
            submitting.set(false);
            submitter.join();
            assertThat(taken.exitCode()).as(taken.output()).isZero();
            assertThat(taken.output()).contains("The data-source key is not in it");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup))).isEqualTo("rw-------");
            BackupArchive.Checked checked = BackupArchive.verify(backup);
            assertThat(checked.manifest().keyIncluded()).isFalse();
            assertThat(entries(backup)).doesNotContain(BackupArchive.KEY).contains("postgres/backup_label", "postgres/global/pg_control");
            assertThat(files).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".partial-"));
            // SPEC ACC-5: the backup is in the audit log
            var audit = http.get("audit-events?actor=admin&pageSize=1000").json().get("items");
            assertThat(audit.toString()).contains("Take a backup");

            // kill -9 of srg backup midway: no backup file, and what it left is refused as incomplete
            Path killed = files.resolve("killed.tar");
            Process cli = backupProcess(first.url(), a.resolve("admin.token"), killed);
            Path partial = awaitPartial(files, "killed.tar");
            cli.destroyForcibly().waitFor();
            assertThat(killed).doesNotExist();
            assertThat(refusedAsIncomplete(partial)).isTrue();
            Files.delete(partial);

            // the old server's work ends here (its host is "lost" for the restored one)
            http.post("instances/" + lostTask + "/cancel", null);
            for (JsonNode s : http.get("instances?resourceGroupId=" + rg + "&usageType=DATA_SERVICE&status=RUNNING").json().get("items")) {
                http.post("instances/" + s.get("id").asString() + "/cancel", null);
            }
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !status(http, lostTask).equals("RUNNING"));
            // a server killed while it sends a backup: the client keeps nothing
            Path cut = files.resolve("cut.tar");
            Process cutCli = backupProcess(first.url(), a.resolve("admin.token"), cut);
            awaitPartial(files, "cut.tar");
            first.kill();
            assertThat(cutCli.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(cutCli.exitValue()).isNotZero();
            assertThat(cut).doesNotExist();
            assertThat(files).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".partial-"));
        } finally {
            ServerProcess.stopLeftBehind();
        }
        List<String> mustBeThere = accepted.stream().filter(x -> x.answeredNanos() < backupBegan).map(Accepted::id).toList();
        assertThat(mustBeThere).isNotEmpty();

        Path b = TestDatabases.dataDirectory("srg-backup-b");
        // refused, changing nothing: no key, a wrong key, a non-empty directory, a newer schema
        assertRefused(ServerProcess.run("restore", "--from", backup.toString(), "--data-dir", b.toString()),
                "does not hold the data-source key", b);
        Path wrongKey = files.resolve("wrong.key");
        Files.writeString(wrongKey, Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        assertRefused(ServerProcess.run("restore", "--from", backup.toString(), "--data-dir", b.toString(), "--datasource-key",
                wrongKey.toString()), "is not the one this backup's secrets are sealed with", b);
        assertRefused(ServerProcess.run("restore", "--from", backup.toString(), "--data-dir", a.toString(), "--datasource-key",
                a.resolve("datasource.key").toString()), "is not empty", null);
        Path newer = files.resolve("newer.tar");
        withSchema(backup, newer, "999.1");
        assertRefused(ServerProcess.run("restore", "--from", newer.toString(), "--data-dir", b.toString(), "--datasource-key",
                a.resolve("datasource.key").toString()), "newer than this srg's", b);

        ServerProcess.Result restored = ServerProcess.run("restore", "--from", backup.toString(), "--data-dir", b.toString(),
                "--datasource-key", a.resolve("datasource.key").toString());
        assertThat(restored.exitCode()).as(restored.output()).isZero();
        assertThat(restored.output()).contains("recorded LOST");
        assertThat(b.resolve(Restore.MARKER)).doesNotExist();
        try (ServerProcess second = ServerProcess.start(b, "--config", b.resolve("restored-settings/server.properties").toString(),
                "--provisioning-delay-ms", "0")) {
            // the same administrator token: the users are the backup's
            TestHttp http = new TestHttp(second.url(), Files.readString(a.resolve("admin.token")).strip());
            try {
                assertThat(http.get("workspaces/" + ws).json().get("defaultResourceGroupId").asString()).isEqualTo(rg);
                assertThat(http.get("resource-groups/" + rg).json().get("status").asString()).isEqualTo("RUNNING");
                assertThat(http.get("data-sources/" + dataSource).status()).isEqualTo(200);
                assertThat(ids(http.get("orders").json())).isEqualTo(ordersBefore);
                // what ran on the old host is LOST, never run here (recorded by the restart's recovery)
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !status(http, lostTask).equals("RUNNING"));
                JsonNode lost = http.get("instances/" + lostTask).json();
                assertThat(lost.get("status").asString()).as(lost.toString()).isEqualTo("FAILED");
                assertThat(lost.get("failureReason").asString()).isEqualTo("LOST");
                // SPEC DI-1: the app's secret opens (a signature checks against it) and the data source answers: the published API serves
                Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                        .until(() -> signedCall(second.url(), appKey, appSecret) == 10);

                // the queue runs, each task once
                List<String> toRun = new ArrayList<>(queued);
                toRun.addAll(mustBeThere);
                Awaitility.await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> toRun.stream().allMatch(id -> status(http, id).equals("SUCCEEDED")));
                for (String id : toRun) {
                    JsonNode task = http.get("instances/" + id).json();
                    assertThat(task.get("restarts").asInt()).isZero();
                    String log = http.get("instances/" + id + "/log").text();
                    assertThat(log.split("ran-", -1)).as(log).hasSize(2);
                }
                // the long task's log is the old host's: nothing of it ran here
                assertThat(status(http, lostTask)).isEqualTo("FAILED");
                // tasks accepted during the backup are there whole or not at all; those there run once too
                for (Accepted x : accepted) {
                    TestHttp.Response r = http.get("instances/" + x.id());
                    assertThat(r.status()).isIn(200, 404);
                    if (r.status() == 200) {
                        Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> status(http, x.id()).equals("SUCCEEDED"));
                    }
                }
                // and the restored server takes new work
                String fresh = submit(http, ws, "echo ran-after", 0.25);
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> status(http, fresh).equals("SUCCEEDED"));
            } finally {
                for (JsonNode s : http.get("instances?resourceGroupId=" + rg + "&usageType=DATA_SERVICE&status=RUNNING").json().get("items")) {
                    http.post("instances/" + s.get("id").asString() + "/cancel", null);
                }
            }
        } finally {
            ServerProcess.stopLeftBehind();
            TestDatabases.drop(source);
        }
    }

    private record Accepted(String id, long sentNanos, long answeredNanos) {}

    private static void assertRefused(ServerProcess.Result r, String why, Path untouched) throws Exception {
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains(why).contains("Nothing was changed");
        if (untouched != null) {
            try (var list = Files.list(untouched)) {
                assertThat(list.toList()).isEmpty();
            }
        }
    }

    /** A copy of {@code from} whose manifest says {@code schema} (a backup of a newer srg), complete and consistent otherwise. */
    private static void withSchema(Path from, Path to, String schema) throws Exception {
        BackupArchive.Checked checked = BackupArchive.verify(from);
        BackupManifest m = checked.manifest();
        try (var out = Files.newOutputStream(to)) {
            BackupArchive.Writer w = new BackupArchive.Writer(out);
            w.json(BackupArchive.MANIFEST, new BackupManifest(m.format(), m.takenAt(), schema, m.postgresMajor(), m.serverId(),
                    m.keyIncluded(), m.keyFingerprint(), m.settings()));
            BackupArchive.read(from, (name, directory, size, content) -> {
                if (directory) {
                    w.directory(name.substring(0, name.length() - 1));
                } else {
                    w.file(name, size, content);
                }
            });
            w.finish(new BaseBackup.Taken(checked.end().startLsn(), checked.end().stopLsn(), checked.end().walSegments(), 0));
        }
    }

    private static List<String> entries(Path backup) throws Exception {
        List<String> names = new ArrayList<>();
        BackupArchive.read(backup, (name, directory, size, content) -> names.add(name));
        return names;
    }

    private static boolean refusedAsIncomplete(Path partial) {
        try {
            BackupArchive.verify(partial);
            return false;
        } catch (java.io.IOException e) {
            return e instanceof BackupArchive.NotABackupException && e.getMessage().contains("complete");
        }
    }

    private static Process backupProcess(String url, Path tokenFile, Path to) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ServerProcess.JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.srg.Main", "backup", "--url", url,
                "--token-file", tokenFile.toString(), "--to", to.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The hidden file a backup to {@code name} is received in, once it holds something. */
    private static Path awaitPartial(Path dir, String name) {
        Path[] found = new Path[1];
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() -> {
            try (var list = Files.list(dir)) {
                for (Path p : list.toList()) {
                    if (p.getFileName().toString().startsWith("." + name + ".partial-") && Files.size(p) > 0) {
                        found[0] = p;
                        return true;
                    }
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // renamed or removed meanwhile
            }
            return false;
        });
        return found[0];
    }

    private static int signedCall(String url, String appKey, String appSecret) throws Exception {
        long now = System.currentTimeMillis();
        String nonce = UUID.randomUUID().toString();
        String path = "/data/shop/items";
        String signature = Base64.getEncoder().encodeToString(DataServiceGateway.sign(appSecret,
                DataServiceGateway.stringToSign("GET", path, Map.of(), null, Long.toString(now), nonce)));
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url + path)).header("X-Srg-AppKey", appKey)
                .header("X-Srg-Timestamp", Long.toString(now)).header("X-Srg-Nonce", nonce)
                .header("X-Srg-Signature", signature).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new AssertionError(r.statusCode() + " " + r.body());
        }
        return dev.srg.json.Json.STORED.readTree(r.body()).get("data").size();
    }

    private static Map<String, Object> dataSourceBody(String ws, TestDatabases.Fresh source) {
        String rest = source.url().substring("jdbc:postgresql://".length());
        String hostPort = rest.substring(0, rest.indexOf('/'));
        Map<String, Object> ds = new LinkedHashMap<>(Map.of("name", "items-db", "workspaceId", ws, "type", "POSTGRESQL",
                "host", hostPort.substring(0, hostPort.lastIndexOf(':')),
                "port", Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)),
                "database", rest.substring(rest.indexOf('/') + 1), "user", source.user()));
        ds.put("password", source.password() != null ? source.password() : "unused-" + UUID.randomUUID());
        return ds;
    }

    private static String submit(TestHttp http, String ws, String script, double cu) {
        TestHttp.Response r = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", script, "cu", cu));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.id();
    }

    private static String status(TestHttp http, String id) {
        return http.get("instances/" + id).json().get("status").asString();
    }

    private static Set<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("items").forEach(i -> ids.add(i.get("id").asString()));
        return ids.stream().collect(Collectors.toSet());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
