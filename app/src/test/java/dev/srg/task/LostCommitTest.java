package dev.srg.task;

import static dev.srg.task.InstanceApiTest.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.LostAnswerProxy;
import dev.srg.testing.LostAnswerProxy.Moment;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Starts whose COMMIT's answer is lost (issue 17): the server's connection to PostgreSQL goes
 * through {@link LostAnswerProxy}, which breaks it at the moment that matters. The statements that
 * start instances carry their transaction's id ({@code pg_current_xact_id}), which is what the
 * proxy is armed with.
 */
@Tag("database")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LostCommitTest {
    private static final String START = "pg_current_xact_id";

    private static TestDatabases.Fresh db;
    private static LostAnswerProxy proxy;
    private static TestServer server;
    private static TestHttp admin;
    private static Fixtures fx;

    @BeforeAll
    static void start() throws IOException {
        db = TestDatabases.fresh();
        proxy = LostAnswerProxy.before(db.url());
        // the files of a start written while its transaction commits, and its supervisor forked and held
        // until the commit releases it (both off by default; the hold implies the files): a rolled-back
        // one leaves neither, a committed one whose answer is lost runs once
        System.setProperty("srg.execution.holdAhead", "true");
        try {
            server = TestServer.onDatabase(proxy.url(db.url()), db.user(), db.password());
        } finally {
            System.clearProperty("srg.execution.holdAhead");
        }
        admin = server.admin();
        fx = new Fixtures(server);
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (db != null) {
            TestDatabases.drop(db);
        }
    }

    @Test
    @DisplayName("SPEC ADM-6: a submission started in its own transaction whose COMMIT's answer is lost is answered as committed, runs once, and keeps its room")
    void submissionCommittedButUnanswered() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        int brokenBefore = proxy.broken();
        proxy.breakNext(START, Moment.COMMIT_ANSWERED);
        var first = admin.post("instances", task(ws, "sleep 5; echo once", 2));
        assertThat(proxy.broken()).isEqualTo(brokenBefore + 1);
        // the store committed it: asked, it says so, and the caller gets the truth, not a 503
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.json().get("status").asString()).isEqualTo("STARTING");
        awaitStatus(first.id(), "RUNNING");
        // it holds its 2 CU: the next waits
        var second = admin.post("instances", task(ws, "echo next", 2));
        assertThat(second.json().get("status").asString()).isEqualTo("QUEUED");
        assertThat(usedCu(rg)).isEqualTo(2.0);
        assertThat(awaitStatus(first.id(), "SUCCEEDED").get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(admin.get("instances/" + first.id() + "/log").text()).isEqualTo("once\n");
        awaitStatus(second.id(), "SUCCEEDED");
        assertThat(server.sqlLong("SELECT count(*) FROM instances WHERE resource_group_id = '" + rg + "'")).isEqualTo(2);
    }

    @Test
    @DisplayName("SPEC ADM-6: a submission whose transaction breaks after its start, before its COMMIT, is refused with a 503, leaves nothing, and gives its room back")
    void submissionRolledBack() throws IOException {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        // the client token is recorded after the start, in the same transaction: break it there
        int brokenBefore = proxy.broken();
        proxy.breakNext("INSERT INTO idempotency_keys", Moment.STATEMENT_SENT);
        var body = task(ws, "echo once", 2);
        body.put("clientToken", "lost-commit-rolled-back");
        var lost = admin.post("instances", body);
        assertThat(proxy.broken()).isEqualTo(brokenBefore + 1);
        assertThat(lost.status()).as(lost.toString()).isEqualTo(503);
        assertThat(admin.get("instances?resourceGroupId=" + rg).json().get("items")).isEmpty();
        // the room comes back (at once, or when the store can tell the transaction was rolled back)
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> usedCu(rg) == 0.0);
        // and its files, written while its transaction ran (issue 17: prepared ahead), went with it:
        // no instance directory that no supervisor took, no uid claim of one
        assertThat(unlaunchedTaskDirectories()).isEmpty();
        // and the supervisor held for it exited without running (issue 17, twelfth round)
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(heldSupervisors()).isEmpty());
        // the same request again creates it now, once, and it starts at once
        var again = admin.post("instances", body);
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertThat(again.json().get("status").asString()).isEqualTo("STARTING");
        awaitStatus(again.id(), "SUCCEEDED");
        assertThat(admin.get("instances/" + again.id() + "/log").text()).isEqualTo("once\n");
    }

    @Test
    @DisplayName("SPEC ADM-6: an admission whose COMMIT's answer is lost launches what it committed, without a restart, and the group stays within its capacity")
    void admissionCommittedButUnanswered() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        var first = admin.post("instances", task(ws, "sleep 60", 2));
        awaitStatus(first.id(), "RUNNING");
        var queued = admin.post("instances", task(ws, "sleep 3; echo admitted", 2));
        assertThat(queued.json().get("status").asString()).isEqualTo("QUEUED");
        // the admitter starts it when the first ends: that transaction's answer is lost
        proxy.breakNext(START, Moment.COMMIT_ANSWERED);
        int brokenBefore = proxy.broken();
        assertThat(admin.post("instances/" + first.id() + "/cancel", null).status()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> proxy.broken() == brokenBefore + 1);
        // it committed: launched without a restart, and it holds the room while it runs
        awaitStatus(queued.id(), "RUNNING");
        var third = admin.post("instances", task(ws, "echo third", 2));
        assertThat(third.json().get("status").asString()).isEqualTo("QUEUED");
        assertThat(usedCu(rg)).isEqualTo(2.0);
        awaitStatus(queued.id(), "SUCCEEDED");
        assertThat(admin.get("instances/" + queued.id() + "/log").text()).isEqualTo("admitted\n");
        awaitStatus(third.id(), "SUCCEEDED");
    }

    private static double usedCu(String rg) {
        return admin.get("resource-groups/" + rg + "/usage").json().get("usedCu").asDouble();
    }

    private static JsonNode awaitStatus(String id, String status) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            String now = last[0].path("status").asString();
            assertThat(now).as(id).isNotIn(List.of("FAILED", "CANCELLED", "TIMED_OUT"));
            return now.equals(status);
        });
        return last[0];
    }

    /** Supervisors of this server's instances that have not taken their run (held, or not yet started). */
    private static List<String> heldSupervisors() throws IOException {
        String tasks = tasksDirectory().toString() + "/";
        List<String> found = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : entries) {
                String cmdline;
                try {
                    cmdline = Files.readString(process.resolve("cmdline")).replace('\0', ' ');
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                // a supervisor's command line: the binary (under the tasks' .supervisor) and its instance directory
                for (String arg : cmdline.split(" ")) {
                    String name = arg.startsWith(tasks) ? arg.substring(tasks.length()) : "";
                    if (!name.isEmpty() && !name.startsWith(".") && name.indexOf('/') < 0 && !Files.exists(Path.of(arg, "started"))) {
                        found.add(process.getFileName() + " " + arg);
                    }
                }
            }
        }
        return found;
    }

    private static Path tasksDirectory() throws IOException {
        Path pointer = server.dataDir().resolve("RUNTIME-DIRECTORY");
        return (Files.exists(pointer) ? Path.of(Files.readString(pointer).strip()) : server.dataDir()).resolve("instances");
    }

    /** The local backend's instance directories that no supervisor took (no {@code started}), and uid claims naming one. */
    private static List<String> unlaunchedTaskDirectories() throws IOException {
        Path pointer = server.dataDir().resolve("RUNTIME-DIRECTORY");
        Path tasks = (Files.exists(pointer) ? Path.of(Files.readString(pointer).strip()) : server.dataDir()).resolve("instances");
        List<String> found = new ArrayList<>();
        try (var entries = Files.list(tasks)) {
            for (Path dir : entries.filter(d -> !d.getFileName().toString().startsWith(".")).toList()) {
                if (!Files.exists(dir.resolve("started"))) {
                    found.add(dir.getFileName().toString());
                }
            }
        }
        Path slots = tasks.resolve(".slots");
        if (Files.isDirectory(slots)) {
            try (var entries = Files.list(slots)) {
                for (Path slot : entries.toList()) {
                    String holder = Files.readString(slot).strip();
                    if (!Files.exists(tasks.resolve(holder).resolve("started"))) {
                        found.add("uid " + slot.getFileName() + " held by " + holder);
                    }
                }
            }
        }
        return found;
    }
}
