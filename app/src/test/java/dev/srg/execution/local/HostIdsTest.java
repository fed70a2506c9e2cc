package dev.srg.execution.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What keeps tasks' uids and workspaces' gids away from the host's ids, read from account files
 * under a root of the test's own: the workspaces' gid range is checked for gids only (a login user
 * with such a uid does not matter; a group, a subordinate gid range or an unmapped range does).
 */
class HostIdsTest {
    @TempDir
    Path root;

    private void write(String file, String... lines) throws Exception {
        Path path = root.resolve(file);
        Files.createDirectories(path.getParent());
        Files.write(path, List.of(lines));
    }

    private List<String> workspaceGidConflicts() throws Exception {
        return TaskIdentities.HostIds.conflicts(root, TaskIdentities.WORKSPACE_GID_FIRST, TaskIdentities.WORKSPACE_GID_LAST, true);
    }

    @Test
    void aHostWithNothingInTheRangeIsSafe() throws Exception {
        write("etc/login.defs", "UID_MIN 1000", "UID_MAX 60000", "GID_MIN 1000", "GID_MAX 60000");
        write("etc/group", "root:x:0:", "users:x:100:");
        write("etc/passwd", "odd:x:1800000005:100::/:/bin/false"); // a uid there: not a gid conflict
        write("proc/self/gid_map", "         0          0 4294967295");
        assertThat(workspaceGidConflicts()).isEmpty();
        assertThat(TaskIdentities.HostIds.conflicts(root, 1_800_000_000L, 1_800_000_010L, false))
                .containsExactly("/etc/passwd has odd with id 1800000005");
    }

    @Test
    void aGroupASubordinateRangeOrAnUnmappedRangeIsNot() throws Exception {
        write("etc/group", "root:x:0:", "big:x:1800000042:");
        write("etc/subgid", "alice:1850000000:65536");
        write("proc/self/gid_map", "         0          0      65536");
        assertThat(workspaceGidConflicts()).containsExactly(
                "/etc/group has big with id 1800000042",
                "/etc/subgid gives 1850000000-1850065535 to alice",
                "not mapped in /proc/self/gid_map (a user namespace): setpriv could not switch to it");
    }
}
