package dev.srg.console;

import dev.srg.admission.UsageType;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager.GroupUsage;
import java.util.List;

/** The read models the templates show, beyond the features' own records. */
public final class Views {
    private Views() {}

    /** A row of the groups list: the group, its usage now, and what its state lets its owner do (asked of the lifecycle, not re-stated here). */
    public record GroupRow(ResourceGroupInfo group, GroupUsage usage, java.util.Set<dev.srg.group.LifecycleDecider.Action> offered) {}

    /** The running (and starting) and queued tasks of one usage type of a group. */
    public record TypeTasks(UsageType type, List<InstanceInfo> running, List<InstanceInfo> queued) {}

    /** A workspace as a group's page shows it: its name when the viewer may see it. */
    public record WorkspaceRef(String id, String name, boolean isDefault) {}

    /** The list's filters, kept in its links and in the live fragment's URL. */
    public record Filters(String resourceGroupId, String status, String usageType, String pageToken) {
        public String query() {
            StringBuilder sb = new StringBuilder();
            append(sb, "resourceGroupId", resourceGroupId);
            append(sb, "status", status);
            append(sb, "usageType", usageType);
            append(sb, "pageToken", pageToken);
            return sb.toString();
        }

        private static void append(StringBuilder sb, String name, String value) {
            if (value != null && !value.isEmpty()) {
                sb.append(sb.isEmpty() ? "?" : "&").append(name).append('=')
                        .append(java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }
}
