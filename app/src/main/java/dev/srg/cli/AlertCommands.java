package dev.srg.cli;

import static dev.srg.cli.Column.field;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

@Command(name = "alert", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Alert rules on a group's CU utilization or pending instances, notified by webhook.")
final class AlertCommands extends ClientCommand {
    static final View RULE = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("GROUP", "resourceGroupId"),
                    Column.of("CONDITION", AlertCommands::condition), field("STATE", "state"), field("VALUE", "lastValue")),
            List.of(field("WEBHOOK", "webhookUrl"), field("SINCE", "stateSince"), Column.time("EVALUATED", "lastEvaluatedAt"),
                    Column.time("CREATED", "createdAt")));
    static final View EVENT = new View(List.of(field("SEQ", "sequence"), field("TIME", "time"), field("FROM", "fromState"),
            field("TO", "toState"), field("VALUE", "value"),
            Column.of("NOTIFICATION", e -> e.hasNonNull("notification")
                    ? e.get("notification").path("status").asString() + " (" + e.get("notification").path("attempts").asInt()
                            + " attempt(s))" : null),
            field("EVENT-ID", "id")));

    private static String condition(JsonNode r) {
        String symbol = switch (r.path("comparator").asString()) {
            case "GT" -> ">";
            case "GE" -> ">=";
            case "LT" -> "<";
            default -> "<=";
        };
        int seconds = r.path("forSeconds").asInt();
        return r.path("metric").asString() + " " + symbol + " " + Column.text(r.path("threshold"))
                + (seconds > 0 ? " for " + UsageChart.human(seconds) : "");
    }

    @Command(name = "create", description = "Create an alert rule.")
    void create(@Option(names = {"--group", "--rg"}, required = true, paramLabel = "RG") String group,
                @Option(names = "--metric", required = true, paramLabel = "CU_UTILIZATION|PENDING_INSTANCES") String metric,
                @Option(names = "--comparator", required = true, paramLabel = "GT|GE|LT|LE") String comparator,
                @Option(names = "--threshold", required = true, paramLabel = "N",
                        description = "utilization as a ratio (0.8 = 80%%), or a count of pending instances") BigDecimal threshold,
                @Option(names = "--for", paramLabel = "DURATION", converter = AuditCommands.SinceConverter.class,
                        description = "how long the condition must hold before it fires: 0s (default), 90s, 5m, 1h") Duration forDuration,
                @Option(names = "--webhook", required = true, paramLabel = "URL") String webhook,
                @Option(names = "--name", paramLabel = "NAME") String name,
                @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken) {
        out().one(api().post(API + "/alert-rules", body("name", name, "resourceGroupId", group,
                "metric", metric.toUpperCase(Locale.ROOT), "comparator", comparator.toUpperCase(Locale.ROOT), "threshold", threshold,
                "forSeconds", forDuration == null ? null : (int) forDuration.getSeconds(), "webhookUrl", webhook,
                "clientToken", clientToken)), RULE);
    }

    @Command(name = "list", description = "List alert rules.")
    void list(@Option(names = {"--group", "--rg"}, paramLabel = "RG") String group, @Mixin ListOptions page) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("resourceGroupId", group);
        printList(API + "/alert-rules", query, page, RULE);
    }

    @Command(name = "get", description = "Show an alert rule and its state.")
    void get(@Parameters(paramLabel = "RULE") String id) {
        out().one(api().get(path("/alert-rules/%s", id)), RULE);
    }

    @Command(name = "delete", description = "Delete an alert rule.")
    void delete(@Parameters(paramLabel = "RULE") String id) {
        api().delete(path("/alert-rules/%s", id));
        out().done("Deleted alert rule " + id);
    }

    @Command(name = "events", description = "A rule's transitions and their notifications, oldest first.")
    void events(@Parameters(paramLabel = "RULE") String id, @Mixin ListOptions page) {
        printList(path("/alert-rules/%s/events", id), Map.of(), page, EVENT);
    }
}
