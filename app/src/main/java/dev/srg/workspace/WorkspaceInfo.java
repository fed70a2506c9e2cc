package dev.srg.workspace;

import java.time.Instant;
import java.util.List;

public record WorkspaceInfo(String id, String name, String regionId, String defaultResourceGroupId,
                            List<String> resourceGroupIds, List<Member> members, Instant createdAt) {
    public WorkspaceInfo {
        resourceGroupIds = List.copyOf(resourceGroupIds);
        members = List.copyOf(members);
    }

    public record Member(String userId, WorkspaceRole role) {}
}
