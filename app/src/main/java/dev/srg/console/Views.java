package dev.srg.console;

import dev.srg.admission.UsageType;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager.GroupUsage;
import dev.srg.json.Json;
import dev.srg.store.PageRequest.Page;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** The read models the templates show, beyond the features' own records. */
public final class Views {
    private Views() {}

    /** A row of the groups list: the group and its usage now. */
    public record GroupRow(ResourceGroupInfo group, GroupUsage usage) {}

    /** The running (and starting) and queued tasks of one usage type of a group. */
    public record TypeTasks(UsageType type, List<InstanceInfo> running, List<InstanceInfo> queued) {}

    /** A workspace as a group's page shows it: its name when the viewer may see it. */
    public record WorkspaceRef(String id, String name, boolean isDefault) {}

    /** Rows of JSON objects and the columns to show (their fields, in first-seen order). */
    public record JsonTable(List<String> columns, List<Map<String, String>> rows, String nextPageToken) {
        static JsonTable of(Page<?> page, Set<String> hidden) {
            Set<String> columns = new LinkedHashSet<>();
            List<Map<String, String>> rows = new ArrayList<>();
            for (Object item : page.items()) {
                JsonNode node = Json.MAPPER.valueToTree(item);
                Map<String, String> row = new java.util.LinkedHashMap<>();
                for (var e : node.properties()) {
                    if (hidden.contains(e.getKey())) {
                        continue;
                    }
                    columns.add(e.getKey());
                    JsonNode v = e.getValue();
                    row.put(e.getKey(), v.isNull() ? "" : v.isValueNode() ? v.asString() : Json.write(v));
                }
                rows.add(row);
            }
            return new JsonTable(List.copyOf(columns), rows, page.nextPageToken() == null ? "" : page.nextPageToken());
        }
    }

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
