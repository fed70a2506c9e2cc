package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * A full disk loses no accepted work (docs/benchmarks.md, eighteenth round, disk23; found by exh22):
 * the server's task directory is a real tmpfs of 48 MiB and 4,096 inodes, filled for real (a file
 * until ENOSPC, or empty files until no inode is left), never a mocked ENOSPC. Before: a submission
 * on a full disk answered 201 and failed LAUNCH_FAILED, and a task that ended while the disk was
 * full was recorded LOST though it had exited.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FullDiskTest {
    private static final long RESERVE = 8L * 1024 * 1024;
    /** A task of 0.25 CU may keep 1 MiB in its home. */
    private static final long HOME_PER_CU = 4L * 1024 * 1024;
    private static Path disk;
    private static TestServer server;
    private static TestHttp admin;
    private static String workspace;
    private final List<Path> fillers = new java.util.ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        disk = Path.of("/tmp/srg-fulldisk-" + UUID.randomUUID());
        Files.createDirectories(disk);
        run("mount", "-t", "tmpfs", "-o", "size=48m,nr_inodes=4096,mode=0711", "srg-fulldisk", disk.toString());
        server = TestServer.start(c -> c.withLocalBackend(l -> l.withBaseDirectory(disk).withMinFreeBytes(RESERVE)
                .withHomeBytesPerCu(HOME_PER_CU)));
        admin = server.admin();
        Fixtures fx = new Fixtures(server);
        workspace = fx.workspace(fx.subscriptionGroup(4).get("id").asString()).get("id").asString();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                // tasks outlive their server by design: a test that failed must not leave one running
                List<String> active = new java.util.ArrayList<>();
                try (var c = java.sql.DriverManager.getConnection(server.database().url(), server.database().user(),
                        server.database().password());
                     var rs = c.createStatement().executeQuery("SELECT id FROM instances WHERE status IN ('STARTING', 'RUNNING')")) {
                    while (rs.next()) {
                        active.add(rs.getString(1));
                    }
                }
                active.forEach(id -> admin.post("instances/" + id + "/cancel", null));
                active.forEach(FullDiskTest::awaitFinal);
                server.close();
            }
        } finally {
            run("umount", "-l", disk.toString());
            Files.deleteIfExists(disk);
        }
    }

    @AfterEach
    void makeRoom() throws IOException {
        for (Path filler : fillers) {
            deleteTree(filler);
        }
        fillers.clear();
    }

    @Test
    @DisplayName("on a task directory short of space a submission answers 507 InsufficientStorage.TaskDirectory and keeps nothing; "
            + "the dry run and readiness say so; with space back it is accepted and runs")
    void refusedAtSubmit() throws IOException {
        fillBytes();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> "SHORT".equals(server.anonymous().get("/readyz").json().path("taskStorage").asString()));
        JsonNode ready = server.anonymous().get("/readyz").json();
        assertThat(ready.path("status").asString()).isEqualTo("UP"); // reads still work
        assertThat(ready.path("taskStorageDetail").asString()).contains("MiB free");
        long before = server.sqlLong("SELECT count(*) FROM instances");

        var refused = admin.post("instances", task("echo never"));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(507);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        assertThat(refused.code()).isEqualTo("InsufficientStorage.TaskDirectory");
        assertThat(refused.json().path("detail").asString()).contains("task directory").contains("MiB free")
                .contains("nothing is kept").doesNotContain(disk.toString());
        assertThat(refused.header("Retry-After")).isEqualTo("60");
        assertThat(server.sqlLong("SELECT count(*) FROM instances")).isEqualTo(before);

        var dryRun = admin.post("instances?dryRun=true", task("echo never"));
        assertThat(dryRun.status()).as(dryRun.toString()).isEqualTo(200);
        assertThat(dryRun.json().path("startsNow").asBoolean()).isFalse();
        assertThat(dryRun.json().path("reason").asString()).isEqualTo("INSUFFICIENT_STORAGE");

        makeRoom();
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> "OK".equals(server.anonymous().get("/readyz").json().path("taskStorage").asString()));
        var accepted = admin.post("instances", task("echo ran"));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        JsonNode done = awaitFinal(accepted.id());
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
    }

    @Test
    @DisplayName("a disk without free inodes (its blocks free) is short up front: readiness says inodes, a submission answers 507,"
            + " a queued launch waits with INSUFFICIENT_STORAGE, leaves nothing, and runs once there is room: never LAUNCH_FAILED")
    void launchWaitsForRoom() throws IOException {
        var blocker = admin.post("instances", task("sleep 600", 4));
        assertThat(blocker.status()).as(blocker.toString()).isEqualTo(201);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.exists(disk.resolve(blocker.id()).resolve("started")));
        var accepted = admin.post("instances", task("echo ran once"));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201); // room: taken, queued behind the blocker
        String id = accepted.id();

        fillInodes();
        // a few inodes back, far below the reserve (512: 8 MiB at one per 16 KiB): short, yet a cancel's files fit
        Path filler = fillers.get(fillers.size() - 1);
        for (int i = 0; i < 32; i++) {
            Files.delete(filler.resolve(Integer.toString(i)));
        }
        // before: bytes were the only thing read, so nothing was short until a launch met ENOSPC
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> "SHORT".equals(server.anonymous().get("/readyz").json().path("taskStorage").asString()));
        assertThat(server.anonymous().get("/readyz").json().path("taskStorageDetail").asString()).contains("free inodes");
        var refused = admin.post("instances", task("echo never"));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(507);
        assertThat(refused.code()).isEqualTo("InsufficientStorage.TaskDirectory");
        assertThat(refused.json().path("detail").asString()).contains("free inodes").doesNotContain(disk.toString());

        assertThat(admin.post("instances/" + blocker.id() + "/cancel", null).status()).isEqualTo(200);
        awaitFinal(blocker.id());
        JsonNode[] seen = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            seen[0] = admin.get("instances/" + id).json();
            return "INSUFFICIENT_STORAGE".equals(seen[0].path("queue").path("reason").asString())
                    || !seen[0].path("status").asString().equals("QUEUED");
        });
        assertThat(seen[0].path("status").asString()).as(seen[0].toString()).isEqualTo("QUEUED");
        assertThat(seen[0].path("queue").path("reason").asString()).isEqualTo("INSUFFICIENT_STORAGE");
        assertThat(disk.resolve(id)).doesNotExist(); // nothing of its launch written

        makeRoom();
        JsonNode done = awaitFinal(id);
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(admin.get("instances/" + id + "/log").text()).isEqualTo("ran once\n"); // once
    }

    @Test
    @DisplayName("a task that ends while the disk is full keeps its real exit: its supervisor holds the outcome and writes it when"
            + " there is room (RUNNING meanwhile), never LOST")
    void exitKeptUntilRoom() throws IOException {
        var accepted = admin.post("instances", task("while [ ! -e go ]; do sleep 0.05; done; echo finished; exit 3"));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        String id = accepted.id();
        Path instance = disk.resolve(id);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.exists(instance.resolve("started")) && Files.exists(instance.resolve("identity")));
        long uid = Long.parseLong(Files.readString(instance.resolve("identity")).trim().split("\\s+")[0]);
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> !processesOf(uid).isEmpty());

        fillBytes();
        Files.createFile(instance.resolve("home").resolve("go")); // an inode, no block: the task ends now
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> processesOf(uid).isEmpty());
        assertThat(admin.get("instances/" + id).json().path("status").asString()).isEqualTo("RUNNING");
        assertThat(instance.resolve("exit")).doesNotExist();

        makeRoom();
        JsonNode done = awaitFinal(id);
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("FAILED");
        assertThat(done.path("failureReason").asString()).isEqualTo("NON_ZERO_EXIT");
        assertThat(done.path("exitCode").asInt()).isEqualTo(3);
        assertThat(done.path("limitsNote").asString()).contains("bytes of output not kept: the disk was full");
    }

    @Test
    @DisplayName("SPEC RT-3: a task whose home goes over its limit (per CU) is killed DISK_LIMIT, and its enforcement record says"
            + " how its disk is bounded")
    void homeOverItsLimit() {
        Map<String, Object> body = task("head -c 3000000 /dev/zero > big; while :; do sleep 1; done");
        body.put("timeoutSeconds", 60);
        var accepted = admin.post("instances", body);
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        JsonNode done = awaitFinal(accepted.id());
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("FAILED");
        assertThat(done.path("failureReason").asString()).isEqualTo("DISK_LIMIT");
        assertThat(done.path("limitsNote").asString()).contains("over its limit of 1048576 bytes: killed (DISK_LIMIT)");
        JsonNode disk = done.path("enforcement").path("disk");
        assertThat(disk.path("enforced").asBoolean()).as(done.toString()).isTrue();
        assertThat(disk.path("note").asString()).contains("home at most 1048576 bytes").contains("every 2 s");

        // within its limit, the same task succeeds, and says what it held
        var small = admin.post("instances", task("head -c 100000 /dev/zero > small; sleep 3; echo kept"));
        JsonNode ok = awaitFinal(small.id());
        assertThat(ok.path("status").asString()).as(ok.toString()).isEqualTo("SUCCEEDED");
        assertThat(ok.path("limitsNote").asString()).contains("home at most 1048576 bytes, measured every 2 s");
    }

    @Test
    @DisplayName("a cancel that cannot be recorded on a full disk (no inode left) answers 507 and changes nothing; with room it"
            + " cancels")
    void cancelOnFullDisk() throws IOException {
        var accepted = admin.post("instances", task("while :; do sleep 0.1; done"));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        String id = accepted.id();
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.exists(disk.resolve(id).resolve("started")));
        fillInodes();
        var refused = admin.post("instances/" + id + "/cancel", null);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(507);
        assertThat(refused.code()).isEqualTo("InsufficientStorage.TaskDirectory");
        assertThat(admin.get("instances/" + id).json().path("status").asString()).isEqualTo("RUNNING");

        makeRoom();
        assertThat(admin.post("instances/" + id + "/cancel", null).status()).isEqualTo(200);
        assertThat(awaitFinal(id).path("status").asString()).isEqualTo("CANCELLED");
    }

    @Test
    @DisplayName("a cancel that meets a launch put back for want of room ends the task CANCELLED at once, never QUEUED until"
            + " there is room, and it never runs")
    void cancelRacingADeferredLaunch() throws Exception {
        // the group full of blockers, victims queued behind them while there is room
        List<String> blockers = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            var b = admin.post("instances", task("sleep 600", 1));
            assertThat(b.status()).as(b.toString()).isEqualTo(201);
            blockers.add(b.id());
        }
        for (String b : blockers) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Files.exists(disk.resolve(b).resolve("started")));
        }
        List<String> victims = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
            var v = admin.post("instances", task("echo ran >> /dev/null; echo victim-ran"));
            assertThat(v.status()).as(v.toString()).isEqualTo(201);
            victims.add(v.id());
        }
        // short of room (below the reserve) but not full: a cancel's small files can still be written
        fillBytesLeaving(2L * 1024 * 1024);
        // the backend reads the free space at most every 200 ms: a launch before it saw the fill would run (2 MiB is room
        // enough for a victim), so the race starts once the server says it is short
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> "SHORT".equals(server.anonymous().get("/readyz").json().path("taskStorage").asString()));
        // the blockers end, the victims are admitted and their launches put back, while each is cancelled
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            blockers.forEach(b -> pool.submit(() -> admin.post("instances/" + b + "/cancel", null)));
            List<java.util.concurrent.Future<Integer>> cancels = new java.util.ArrayList<>();
            for (String v : victims) {
                cancels.add(pool.submit(() -> {
                    // each cancel until it is taken (a 507 means it could not be recorded and changed nothing)
                    for (int tries = 0; ; tries++) {
                        var r = admin.post("instances/" + v + "/cancel", null);
                        if (r.status() != 507 || tries > 200) {
                            return r.status();
                        }
                        Thread.sleep(5);
                    }
                }));
            }
            for (var c : cancels) {
                assertThat(c.get()).isIn(200, 409);
            }
        } finally {
            pool.shutdown();
        }
        // with the disk still short: every victim ends CANCELLED, none stays QUEUED waiting for room
        for (String v : victims) {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            JsonNode last = admin.get("instances/" + v).json();
            while (last.path("status").asString().matches("QUEUED|STARTING|RUNNING") && System.nanoTime() < deadline) {
                Thread.sleep(50);
                last = admin.get("instances/" + v).json();
            }
            assertThat(last.path("status").asString()).as(last.toString()).isEqualTo("CANCELLED");
            assertThat(admin.get("instances/" + v + "/log").text()).doesNotContain("victim-ran");
        }
        for (String b : blockers) {
            awaitFinal(b);
        }
    }

    private static Map<String, Object> task(String script, double cu) {
        Map<String, Object> body = task(script);
        body.put("cu", cu);
        return body;
    }

    private static Map<String, Object> task(String script) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", workspace);
        body.put("type", "SHELL");
        body.put("script", script);
        body.put("cu", 0.25);
        return body;
    }

    private static JsonNode awaitFinal(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }

    /** Fills the disk's blocks: one file, written until the kernel answers ENOSPC. */
    private void fillBytes() throws IOException {
        Path filler = disk.resolve("filler-" + UUID.randomUUID());
        fillers.add(filler);
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (;;) {
                out.write(chunk);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left on device");
        }
        assertThat(Files.getFileStore(disk).getUsableSpace()).isLessThan(RESERVE);
    }

    /** Fills the disk's blocks but {@code left} bytes (below the reserve: short of room, not full). */
    private void fillBytesLeaving(long left) throws IOException {
        Path filler = disk.resolve("filler-" + UUID.randomUUID());
        fillers.add(filler);
        long size = Files.getFileStore(disk).getUsableSpace() - left;
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (long written = 0; written < size; written += chunk.length) {
                out.write(chunk);
            }
        }
        assertThat(Files.getFileStore(disk).getUsableSpace()).isLessThan(RESERVE).isGreaterThan(left / 2);
    }

    /** Fills the disk's inodes: empty files until the kernel answers ENOSPC (its blocks stay free). */
    private void fillInodes() throws IOException {
        Path filler = disk.resolve("inodes-" + UUID.randomUUID());
        fillers.add(filler);
        Files.createDirectory(filler);
        try {
            for (int i = 0; ; i++) {
                Files.createFile(filler.resolve(Integer.toString(i)));
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left on device");
        }
        assertThat(Files.getFileStore(disk).getUsableSpace()).isGreaterThan(RESERVE);
    }

    private static List<Long> processesOf(long uid) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return Files.readAllLines(p.resolve("status"), StandardCharsets.UTF_8).stream()
                            .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals(Long.toString(uid)));
                } catch (IOException e) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
