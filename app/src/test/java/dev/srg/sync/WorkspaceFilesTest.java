package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TaskReachableDirectories;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * A workspace's files are its own (V44_1): every task of a workspace shares the workspace's group
 * id, so a directory of that group with mode 2770 (a CSV data source's, as docs/data-integration.md
 * tells an operator to make it) is open to that workspace's tasks and syncs and closed to another
 * workspace's, on one group and one machine. Real tasks under real uids, real files, a real sync.
 * Before V44_1 the directory had to be open to every task uid, so any workspace's task could read
 * and replace another's exports; here the first workspace's own task could not even enter it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class WorkspaceFilesTest extends SyncTestBase {
    private static String other;
    private static long ownGid;
    private static long otherGid;
    private static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "tasks run as uids of their own only when the server is root");
        other = fx.workspace(groupId).get("id").asString();
        ownGid = admin.get("workspaces/" + workspaceId).json().get("taskGid").asLong();
        otherGid = admin.get("workspaces/" + other).json().get("taskGid").asLong();
        // what the docs tell an operator: the directory of the workspace's group, 2770 (setgid: new files stay in it)
        dir = TaskReachableDirectories.create("srg-ws-files-");
        Files.setAttribute(dir, "unix:gid", (int) ownGid);
        chmod("2770", dir);
        Path seed = dir.resolve("seed.csv");
        Files.writeString(seed, "1,one\n2,two\n", StandardCharsets.UTF_8);
        Files.setAttribute(seed, "unix:gid", (int) ownGid);
        Files.setPosixFilePermissions(seed, PosixFilePermissions.fromString("rw-r-----"));
        post("data-sources", Map.of("name", "files", "workspaceId", workspaceId, "type", "CSV", "path", dir.toString()));
        // the other workspace names the same directory: the API cannot know whose it is, the file system decides
        post("data-sources", Map.of("name", "files", "workspaceId", other, "type", "CSV", "path", dir.toString()));
    }

    @AfterAll
    static void removeFiles() {
        if (dir != null) {
            TaskReachableDirectories.remove(dir);
        }
    }

    @Test
    @DisplayName("every workspace has a task gid of its own, and its tasks run in it (as their one supplementary group)")
    void tasksRunInTheirWorkspacesGroup() {
        assertThat(ownGid).isGreaterThanOrEqualTo(1_800_000_000L).isNotEqualTo(otherGid);
        assertThat(otherGid).isGreaterThanOrEqualTo(1_800_000_000L);
        JsonNode mine = shell(workspaceId, "id -G; echo \"env=$SRG_WORKSPACE_GID\"", "SUCCEEDED");
        String log = log(mine.get("id").asString());
        List<String> groups = List.of(log.lines().findFirst().orElseThrow().strip().split(" "));
        assertThat(groups).as(log).hasSize(2).contains(Long.toString(ownGid)).doesNotContain(Long.toString(otherGid), "0");
        assertThat(log).contains("env=" + ownGid);
        assertThat(mine.path("limitsNote").asString()).contains("its workspace's group " + ownGid);
    }

    @Test
    @DisplayName("a workspace's tasks read and write its 2770 directory; another workspace's tasks cannot list, read or write it")
    void anotherWorkspacesTaskCannotReachTheDirectory() throws Exception {
        String d = dir.toString();
        JsonNode mine = shell(workspaceId, "cat " + d + "/seed.csv && ls " + d + " && echo mine > " + d + "/from-own-task && echo done",
                "SUCCEEDED");
        assertThat(log(mine.get("id").asString())).contains("1,one", "seed.csv", "done");
        assertThat(Files.readString(dir.resolve("from-own-task"))).isEqualTo("mine\n");
        // the workspace's next task (another uid) reads and replaces what the first made there (umask 007 in its group)
        JsonNode next = shell(workspaceId, "cat " + d + "/from-own-task && echo again > " + d + "/from-own-task", "SUCCEEDED");
        assertThat(log(next.get("id").asString())).contains("mine");
        assertThat(Files.readString(dir.resolve("from-own-task"))).isEqualTo("again\n");

        JsonNode theirs = shell(other, "cat " + d + "/seed.csv; ls " + d + "; echo theirs > " + d + "/from-other-task;"
                + " mv " + d + "/seed.csv " + d + "/taken.csv; true", "SUCCEEDED");
        String log = log(theirs.get("id").asString());
        assertThat(log).doesNotContain("1,one").doesNotContain("from-own-task").contains("Permission denied");
        assertThat(dir.resolve("from-other-task")).doesNotExist();
        assertThat(dir.resolve("seed.csv")).exists();
    }

    @Test
    @DisplayName("a sync's export is its workspace's (group, 0640): the workspace's next task reads it, another workspace's sync cannot")
    void aSyncsExportIsItsWorkspaces() throws Exception {
        JsonNode done = sync(workspaceId, "seed.csv", "export.csv", "SUCCEEDED");
        assertThat(done.path("progress").path("recordsWritten").asLong()).as(done.toString()).isEqualTo(2);
        Path export = dir.resolve("export.csv");
        assertThat(((Number) Files.getAttribute(export, "unix:gid")).longValue()).isEqualTo(ownGid);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(export))).isEqualTo("rw-r-----");
        JsonNode reader = shell(workspaceId, "cat " + dir + "/export.csv", "SUCCEEDED");
        assertThat(log(reader.get("id").asString())).contains("1,one", "2,two");

        JsonNode refused = sync(other, "export.csv", "stolen.csv", "FAILED");
        assertThat(log(refused.get("id").asString())).contains("AccessDeniedException: " + dir,
                "a CSV directory must be its workspace's group's, 2770: chgrp " + otherGid);
        assertThat(dir.resolve("stolen.csv")).doesNotExist();
    }

    @Test
    @DisplayName("the connectivity test says whether a CSV directory is its workspace's alone, and how to make it so")
    void theConnectivityTestSaysWhetherTheDirectoryIsTheWorkspaces() throws Exception {
        JsonNode closed = connectivity("files", workspaceId);
        assertThat(closed.get("reachable").asBoolean()).as(closed.toString()).isTrue();
        assertThat(closed.path("reason").isNull() || closed.path("reason").isMissingNode()).as(closed.toString()).isTrue();
        JsonNode refused = connectivity("files", other);
        assertThat(refused.get("reachable").asBoolean()).as(refused.toString()).isFalse();
        assertThat(refused.get("reason").asString()).contains("may not read it", "chmod 2770");

        Path open = TaskReachableDirectories.create("srg-ws-open-");
        try {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
            post("data-sources", Map.of("name", "open", "workspaceId", workspaceId, "type", "CSV", "path", open.toString()));
            JsonNode shared = connectivity("open", workspaceId);
            assertThat(shared.get("reachable").asBoolean()).as(shared.toString()).isTrue();
            assertThat(shared.get("reason").asString()).contains("open to other workspaces' tasks",
                    "chgrp " + ownGid + " " + open, "chmod 2770 " + open);
        } finally {
            TaskReachableDirectories.remove(open);
        }
    }

    private static JsonNode shell(String workspace, String script, String expected) {
        var r = admin.post("instances", Map.of("workspaceId", workspace, "resourceGroupId", groupId, "type", "SHELL", "cu", 0.25,
                "script", script));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo(expected);
        return done;
    }

    private static JsonNode sync(String workspace, String from, String to, String expected) {
        List<Object> columns = List.of(Map.of("index", 0, "type", "long"), Map.of("index", 1, "type", "string"));
        Map<String, Object> job = new HashMap<>();
        job.put("setting", Map.of("speed", Map.of("channel", 1), "errorLimit", Map.of("record", 0)));
        job.put("reader", Map.of("plugin", "txtfile", "parameter", Map.of("datasource", "files", "path", from, "column", columns)));
        job.put("writer", Map.of("plugin", "txtfile", "parameter", Map.of("datasource", "files", "path", to,
                "column", List.of("id", "name"))));
        Map<String, Object> body = task(job, 1);
        body.put("workspaceId", workspace);
        body.put("resourceGroupId", groupId);
        var r = admin.post("instances", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        JsonNode done = awaitFinished(r.id());
        assertThat(done.get("status").asString()).as(log(r.id())).isEqualTo(expected);
        return done;
    }

    private static JsonNode connectivity(String dataSource, String workspace) {
        String id = admin.get("data-sources?workspaceId=" + workspace).json().path("items").valueStream()
                .filter(ds -> ds.path("name").asString().equals(dataSource)).findFirst().orElseThrow().get("id").asString();
        var r = admin.post("resource-groups/" + groupId + "/connectivity-tests", Map.of("dataSourceId", id));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    private static void post(String path, Map<String, Object> body) {
        var r = admin.post(path, body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    private static void chmod(String mode, Path path) throws Exception {
        Process p = new ProcessBuilder("chmod", mode, path.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }
}
