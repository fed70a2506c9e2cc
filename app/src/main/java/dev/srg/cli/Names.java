package dev.srg.cli;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Lets a user write a name wherever the API wants an id ({@code srg rg get demo-group},
 * {@code srg run -w demo}), as long as the name is unique. Applied to every request the CLI sends,
 * so each command (and every new one) gets it without saying so: a path segment after a known
 * collection ({@code /resource-groups/NAME/...}, {@code /workspaces/ID/members/NAME}), a body
 * field and a query parameter ending in a known reference ({@code workspaceId}, {@code vpcId},
 * {@code resourceGroupId}, ...). What already has the shape of an id is sent unchanged.
 */
final class Names {
    /** The shape of every srg id: a prefix, a dash, 20 characters of Crockford-like base32. */
    static final Pattern ID = Pattern.compile("[a-z]+-[0-9a-hjkmnp-tv-z]{20}");

    /** Path segment (a collection) -> where its members are listed; a new collection is one line here. */
    static final Map<String, Kind> COLLECTIONS = Map.of(
            "resource-groups", new Kind("resource group", "/resource-groups"),
            "workspaces", new Kind("workspace", "/workspaces"),
            "vpcs", new Kind("VPC", "/vpcs"),
            "users", new Kind("user", "/users"),
            "members", new Kind("user", "/users"),
            "alert-rules", new Kind("alert rule", "/alert-rules"),
            "data-sources", new Kind("data source", "/data-sources"),
            "images", new Kind("image", "/images"));

    /** A body field or query parameter -> the collection its value names. */
    static final Map<String, String> FIELDS = Map.of(
            "resourceGroupId", "resource-groups", "defaultResourceGroupId", "resource-groups",
            "workspaceId", "workspaces", "vpcId", "vpcs", "userId", "users", "dataSourceId", "data-sources",
            "imageId", "images");

    record Kind(String what, String listPath) {}

    private final ApiClient api;
    private final Map<String, String> resolved = new HashMap<>();

    Names(ApiClient api) {
        this.api = Objects.requireNonNull(api);
    }

    static boolean isId(String value) {
        return ID.matcher(value).matches();
    }

    /** {@code /api/v1/resource-groups/demo-group/usage} -> {@code /api/v1/resource-groups/rg-.../usage}. */
    String path(String path) {
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        String[] segments = bare.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            Kind kind = COLLECTIONS.get(segments[i - 1]);
            if (kind != null && !segments[i].isEmpty()) {
                String value = URLDecoder.decode(segments[i], StandardCharsets.UTF_8);
                if (!isId(value)) {
                    segments[i] = URLEncoder.encode(id(kind, value), StandardCharsets.UTF_8);
                }
            }
        }
        return String.join("/", segments) + (query < 0 ? "" : path.substring(query));
    }

    /** A JSON body's reference fields, names turned into ids (a copy; other bodies unchanged). */
    Object body(Object body) {
        if (!(body instanceof Map<?, ?> map)) {
            return body;
        }
        Map<Object, Object> copy = new LinkedHashMap<>(map);
        copy.replaceAll((k, v) -> v instanceof String s && FIELDS.containsKey(k) && !isId(s)
                ? id(COLLECTIONS.get(FIELDS.get(k)), s) : v);
        return copy;
    }

    Map<String, String> query(Map<String, String> query) {
        Map<String, String> copy = new LinkedHashMap<>(query);
        copy.replaceAll((k, v) -> v != null && FIELDS.containsKey(k) && !isId(v) ? id(COLLECTIONS.get(FIELDS.get(k)), v) : v);
        return copy;
    }

    /** The id of the one {@code kind} named {@code name}; the name itself when none is; a usage error when several are. */
    String id(Kind kind, String name) {
        String key = kind.listPath() + "/" + name;
        String cached = resolved.get(key);
        if (cached != null) {
            return cached;
        }
        List<String> ids = new ArrayList<>();
        Map<String, String> q = new LinkedHashMap<>();
        q.put("pageSize", "100");
        while (true) {
            JsonNode page = api.get(ClientCommand.API + kind.listPath(), q);
            for (JsonNode item : page.path("items")) {
                if (name.equals(item.path("name").asString(null)) || name.equals(item.path("id").asString(null))) {
                    ids.add(item.path("id").asString());
                }
            }
            String next = Column.text(page.path("nextPageToken"));
            if (next == null) {
                break;
            }
            q.put("pageToken", next);
        }
        if (ids.isEmpty()) {
            return name; // as given: the server's answer (404, "... does not exist") says the rest
        }
        if (ids.size() > 1) {
            throw new CliException(ClientCommands.USAGE, ids.size() + " " + kind.what() + "s are named '" + name + "' ("
                    + String.join(", ", ids) + "): give the id");
        }
        resolved.put(key, ids.get(0));
        return ids.get(0);
    }
}
