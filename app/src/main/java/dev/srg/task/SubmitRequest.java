package dev.srg.task;

import dev.srg.quantity.ComputeUnits;

/** {@code POST /instances}: a task to run on a resource group (or the workspace's default, WS-3). */
public record SubmitRequest(String workspaceId, String resourceGroupId, TaskType type, String script, ComputeUnits cu,
                            Integer priority, Integer timeoutSeconds, String imageId, String name, String clientToken) {
    String fingerprint() {
        return String.join("|", String.valueOf(workspaceId), String.valueOf(resourceGroupId), String.valueOf(type),
                String.valueOf(script), String.valueOf(cu), String.valueOf(priority), String.valueOf(timeoutSeconds),
                String.valueOf(imageId), String.valueOf(name));
    }
}
