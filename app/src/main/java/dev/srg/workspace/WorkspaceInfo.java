package dev.srg.workspace;

import java.time.Instant;
import java.util.List;

public record WorkspaceInfo(String id, String name, String regionId, String defaultResourceGroupId,
                            List<String> resourceGroupIds, List<Member> members, Instant createdAt) {
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
