package dev.srg.cli;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    static final Map<String, Kind> COLLECTIONS = Map.ofEntries(
            Map.entry("resource-groups", new Kind("resource group", "/resource-groups")),
            Map.entry("workspaces", new Kind("workspace", "/workspaces")),
            Map.entry("vpcs", new Kind("VPC", "/vpcs")),
            Map.entry("users", new Kind("user", "/users")),
            Map.entry("members", new Kind("user", "/users")),
            Map.entry("workspace-weights", new Kind("workspace", "/workspaces")),
            Map.entry("alert-rules", new Kind("alert rule", "/alert-rules")),
            Map.entry("data-sources", new Kind("data source", "/data-sources")),
            Map.entry("images", new Kind("image", "/images")),
            Map.entry("budgets", new Kind("budget", "/budgets")),
            // a DataService service is named by its group: /dataservice/services/{resourceGroupId}
            Map.entry("services", new Kind("resource group", "/resource-groups")),
            Map.entry("apps", new Kind("DataService app", "/dataservice/apps")));

    /** A body field or query parameter -> the collection its value names. */
    static final Map<String, String> FIELDS = Map.of(
            "resourceGroupId", "resource-groups", "defaultResourceGroupId", "resource-groups",
            "workspaceId", "workspaces", "vpcId", "vpcs", "userId", "users", "dataSourceId", "data-sources",
            "imageId", "images");

    /**
     * A field of an answer that holds another resource's id (or a list of them) -> its collection:
     * the tables show those by name ({@link Labels}).
     */
    static final Map<String, String> REFS;

    static {
        Map<String, String> refs = new HashMap<>(FIELDS);
        refs.remove("userId");
        refs.put("workspaceIds", "workspaces");
        refs.put("resourceGroupIds", "resource-groups");
        refs.put("alertRuleIds", "alert-rules");
        REFS = Map.copyOf(refs);
    }

    record Kind(String what, String listPath) {}

    /**
     * Other resources' names for a table that shows their ids (SRG issue 19: users know their groups
     * and workspaces by name, as Slurm shows a partition's). {@link #prefetch} asks the server once
     * per kind, before printing, for what is not known yet; {@link #label} then only reads.
     */
    interface Labels {
        Labels NONE = new Labels() {
            @Override
            public void prefetch(Map<String, Set<String>> idsByField) {}

            @Override
            public String label(String field, String id) {
                return id;
            }
        };

        /** Learns the names of these ids, per field of {@link #REFS} that holds them. */
        void prefetch(Map<String, Set<String>> idsByField);

        /** The name of the resource {@code field} refers to by {@code id}; the id when unknown or not unique. */
        String label(String field, String id);
    }

    /** The largest page {@link #labels()} reads of one kind. */
    static final int LABEL_PAGE = 500;

    private final ApiClient api;
    private final Set<String> listed = new HashSet<>();
    private final Map<String, String> resolved = new HashMap<>();
    /** List path -> id -> name, of every resource seen while resolving or labelling. */
    private final Map<String, Map<String, String>> seen = new HashMap<>();

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
                ? id(COLLECTIONS.get(FIELDS.get(k)), s)
                : v instanceof List<?> list && REFS.containsKey(k) // alertRuleIds, workspaceIds: each a name or id
                ? list.stream().map(e -> e instanceof String s && !isId(s) ? id(COLLECTIONS.get(REFS.get(k)), s) : e).toList() : v);
        if (copy.get("vswitchId") instanceof String vsw && !isId(vsw) && copy.get("vpcId") instanceof String vpc && isId(vpc)) {
            copy.put("vswitchId", vswitch(vpc, vsw)); // a vSwitch is named inside its VPC (--vpc VPC --vswitch VSWITCH)
        }
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
            see(kind.listPath(), page.path("items"));
            for (JsonNode item : page.path("items")) {
                if (name.equals(item.path("name").asString(null)) || name.equals(item.path("id").asString(null))) {
                    ids.add(item.path("id").asString());
                }
            }
            String next = Column.text(page.path("nextPageToken"));
            if (next == null) {
                listed.add(kind.listPath()); // every one seen: a table needs not ask again
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

    /** The id of the one vSwitch of {@code vpcId} named {@code name}; the name itself when none is. */
    private String vswitch(String vpcId, String name) {
        List<String> ids = new ArrayList<>();
        for (JsonNode v : api.get(ClientCommand.API + "/vpcs/" + vpcId).path("vswitches")) {
            if (name.equals(v.path("name").asString(null))) {
                ids.add(v.path("id").asString());
            }
        }
        if (ids.size() > 1) {
            throw new CliException(ClientCommands.USAGE, ids.size() + " vSwitches of " + vpcId + " are named '" + name + "' ("
                    + String.join(", ", ids) + "): give the id");
        }
        return ids.isEmpty() ? name : ids.get(0);
    }

    private void see(String listPath, JsonNode items) {
        Map<String, String> names = seen.computeIfAbsent(listPath, k -> new HashMap<>());
        for (JsonNode item : items) {
            if (item.path("id").isString() && item.path("name").isString()) {
                names.put(item.get("id").asString(), item.get("name").asString());
            }
        }
    }

    /**
     * The names of other resources a table shows. One request per kind with ids not yet seen (the
     * kinds asked at once): one list page of up to {@value #LABEL_PAGE}, the list a name given as
     * an argument is looked up in, so a name shown is one the CLI takes. What the caller may not
     * list (403), or what is not on that page, stays an id; so does an id whose name another
     * resource of its kind has.
     */
    Labels labels() {
        return new Labels() {
            @Override
            public void prefetch(Map<String, Set<String>> idsByField) {
                Set<String> kinds = new LinkedHashSet<>(); // the list paths to ask
                idsByField.forEach((field, ids) -> {
                    String listPath = COLLECTIONS.get(REFS.get(field)).listPath();
                    Map<String, String> known = seen.getOrDefault(listPath, Map.of());
                    if (!listed.contains(listPath) && ids.stream().anyMatch(id -> isId(id) && !known.containsKey(id))) {
                        kinds.add(listPath);
                    }
                });
                listed.addAll(kinds);
                Map<String, JsonNode> answers = new ConcurrentHashMap<>();
                List<Thread> asking = new ArrayList<>();
                for (String listPath : kinds) {
                    Runnable ask = () -> {
                        try {
                            answers.put(listPath, api.get(ClientCommand.API + listPath, Map.of("pageSize", String.valueOf(LABEL_PAGE)))
                                    .path("items"));
                        } catch (ApiClient.ApiException e) {
                            // not listable by this caller, or unreachable: the table shows the ids
                        }
                    };
                    if (kinds.size() == 1) {
                        ask.run();
                    } else {
                        asking.add(Thread.ofPlatform().daemon().start(ask));
                    }
                }
                for (Thread t : asking) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                answers.forEach(Names.this::see);
            }

            @Override
            public String label(String field, String id) {
                String collection = REFS.get(field);
                if (collection == null) {
                    return id;
                }
                Map<String, String> names = seen.getOrDefault(COLLECTIONS.get(collection).listPath(), Map.of());
                String name = names.get(id);
                if (name == null || name.isEmpty() || names.values().stream().filter(name::equals).count() > 1) {
                    return id;
                }
                return name;
            }
        };
    }
}
