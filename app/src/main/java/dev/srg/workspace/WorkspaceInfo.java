package dev.srg.workspace;

import java.time.Instant;
import java.util.List;

/**
 * A workspace. {@code taskGid}: the group id its tasks share (their one supplementary group where
 * tasks run as uids of their own): a directory of group {@code taskGid} and mode 2770 is open to this
 * workspace's tasks only (a CSV data source's; docs/data-integration.md).
 */
public record WorkspaceInfo(String id, String name, String regionId, String defaultResourceGroupId,
                            List<String> resourceGroupIds, List<Member> members, Instant createdAt, long taskGid) {
    public WorkspaceInfo {
        resourceGroupIds = List.copyOf(resourceGroupIds);
        members = List.copyOf(members);
    }

    /**
     * {@code userName}: the user's name, for people (the CLI's table shows it without asking again); in the
     * answers of the workspace API, not in the reads other features make (a submission's: issue 17).
     */
    public record Member(String userId, WorkspaceRole role, String userName) {
        public Member(String userId, WorkspaceRole role) {
            this(userId, role, null);
        }
    }
}
