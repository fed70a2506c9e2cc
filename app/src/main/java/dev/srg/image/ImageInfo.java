package dev.srg.image;

import java.time.Instant;
import java.util.List;

/**
 * An image as the API shows it. {@code buildInstanceId} is the IMAGE_BUILD task that built it (its
 * log is the build log); {@code buildLog} is that log's last part when the caller may read it.
 */
public record ImageInfo(String id, String name, String base, List<String> packages, String buildScript, ImageStatus status,
                        String failureReason, String regionId, String resourceGroupId, String workspaceId,
                        String buildInstanceId, Long sizeBytes, String createdBy, Instant createdAt, Instant finishedAt,
                        String buildLog) {
    public ImageInfo {
        packages = List.copyOf(packages);
    }

    ImageInfo withBuildLog(String log) {
        return new ImageInfo(id, name, base, packages, buildScript, status, failureReason, regionId, resourceGroupId,
                workspaceId, buildInstanceId, sizeBytes, createdBy, createdAt, finishedAt, log);
    }
}
