package dev.srg.cli;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** {@code srg rg quotas|concurrency}: a group's CU quotas per usage type and its scheduling threshold. */
final class AdmissionCommands {
    private AdmissionCommands() {}

    private static final Pattern QUOTA = Pattern.compile("([A-Za-z_]+)=(\\d+(?:\\.\\d+)?)?:(\\d+(?:\\.\\d+)?)?");

    static final View QUOTA_VIEW = new View(List.of(Column.field("USAGE-TYPE", "type"), Column.field("MIN-CU", "minCu"),
            Column.field("MAX-CU", "maxCu")));

    /**
     * {@code srg rg quotas RG_ID [--set TYPE=MIN:MAX ...] [--unset TYPE ...] [--replace] [--clear]}.
     * The API replaces the whole quota map; like {@code scontrol update}, the CLI changes only the
     * types named (an empty side keeps that type's current value) unless {@code --replace} says the
     * given quotas are all there should be.
     */
    static void quotas(ClientCommand cmd, String id, List<String> set, List<String> unset, boolean replace, boolean clear) {
        ApiClient api = cmd.api();
        JsonNode answer;
        boolean change = set != null || unset != null || clear;
        if (replace && set == null) {
            throw new CliException(2, "--replace needs the quotas to keep: --set TYPE=MIN:MAX ... (or --clear to remove every one)");
        }
        if (clear && (set != null || unset != null)) {
            throw new CliException(2, "--clear removes every quota; it cannot go with --set or --unset");
        }
        if (change) {
            (set == null ? List.<String>of() : set).forEach(AdmissionCommands::quota); // a typo is said before anything is read
            answer = api.put(ClientCommand.path("/resource-groups/%s/quotas", id), Map.of("quotas",
                    replace || clear ? changed(Map.of(), set, unset) : changedOnTheLatest(api, id, set, unset)));
        } else {
            answer = api.get(ClientCommand.path("/resource-groups/%s/quotas", id));
        }
        if (cmd.format == Output.Format.json) {
            cmd.out().one(answer, QUOTA_VIEW);
            return;
        }
        List<JsonNode> rows = new java.util.ArrayList<>();
        answer.path("quotas").properties().forEach(e -> {
            var row = dev.srg.json.Json.MAPPER.createObjectNode();
            row.put("type", e.getKey());
            row.set("minCu", e.getValue().path("minCu"));
            row.set("maxCu", e.getValue().path("maxCu"));
            rows.add(row);
        });
        cmd.out().many(rows, QUOTA_VIEW);
    }

    /**
     * The group's quotas with the --set/--unset changes applied. The API has no conditional PUT
     * (no ETag or version on quotas), so the read, change and write are not atomic: this re-reads
     * the quotas just before the write and, when another client changed them in between, applies
     * the changes again on what is there now (at most 3 times), so a change made while this command
     * ran is kept. What remains is the time between that last read and the write (one round trip,
     * milliseconds; docs/cli.md).
     */
    private static Map<String, Map<String, Object>> changedOnTheLatest(ApiClient api, String id, List<String> set, List<String> unset) {
        Map<String, Map<String, Object>> read = current(api, id);
        for (int attempt = 0; attempt < 3; attempt++) {
            Map<String, Map<String, Object>> quotas = changed(read, set, unset);
            Map<String, Map<String, Object>> again = current(api, id);
            if (again.equals(read)) {
                return quotas;
            }
            read = again;
        }
        throw new CliException(1, "the quotas of " + id + " kept changing while srg changed them (another client); run the command again");
    }

    private static Map<String, Map<String, Object>> current(ApiClient api, String id) {
        Map<String, Map<String, Object>> quotas = new LinkedHashMap<>();
        api.get(ClientCommand.path("/resource-groups/%s/quotas", id)).path("quotas").properties().forEach(e ->
                quotas.put(e.getKey(), ClientCommand.body("minCu", decimal(e.getValue().path("minCu")),
                        "maxCu", decimal(e.getValue().path("maxCu")))));
        return quotas;
    }

    /** {@code quotas} (not changed) with the --unset types removed and the --set values put in; an empty side keeps its value. */
    private static Map<String, Map<String, Object>> changed(Map<String, Map<String, Object>> quotas, List<String> set, List<String> unset) {
        Map<String, Map<String, Object>> result = new LinkedHashMap<>();
        quotas.forEach((type, quota) -> result.put(type, new LinkedHashMap<>(quota)));
        for (String type : unset == null ? List.<String>of() : unset) {
            String t = type.strip().toUpperCase(Locale.ROOT);
            if (result.remove(t) == null) {
                throw new CliException(2, "--unset " + type + ": the group has no quota for " + t);
            }
        }
        for (String s : set == null ? List.<String>of() : set) {
            Matcher m = quota(s);
            Map<String, Object> quota = result.computeIfAbsent(m.group(1).toUpperCase(Locale.ROOT), t -> new LinkedHashMap<>());
            if (m.group(2) != null) {
                quota.put("minCu", new BigDecimal(m.group(2)));
            }
            if (m.group(3) != null) {
                quota.put("maxCu", new BigDecimal(m.group(3)));
            }
        }
        return result;
    }

    /** One --set value, TYPE=MIN:MAX with at least one side; a usage error otherwise. */
    private static Matcher quota(String s) {
        Matcher m = QUOTA.matcher(s.strip());
        if (!m.matches() || (m.group(2) == null && m.group(3) == null)) {
            throw new CliException(2, "--set '" + s + "' is not TYPE=MIN:MAX (e.g. DATA_INTEGRATION=4:8 or SCHEDULING=:16)");
        }
        return m;
    }

    private static BigDecimal decimal(JsonNode n) {
        return n.isNumber() ? n.decimalValue() : null;
    }

    /** {@code srg rg concurrency RG_ID [--set N]}. */
    static void concurrency(ClientCommand cmd, String id, Integer set) {
        ApiClient api = cmd.api();
        JsonNode answer = set == null ? api.get(ClientCommand.path("/resource-groups/%s/concurrency", id))
                : api.put(ClientCommand.path("/resource-groups/%s/concurrency", id), Map.of("schedulingMaxRunning", set));
        cmd.out().one(answer, new View(List.of(Column.field("SCHEDULING-MAX-RUNNING", "schedulingMaxRunning"))));
    }
}
