package dev.srg.cli;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/** {@code srg budget}: monthly budgets of a workspace or a group in CU-hours or money (SPEC BEY-3). */
@Command(name = "budget", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = {"Monthly budgets of a workspace or a resource group, in CU-hours or money: the alert rules'",
                "webhooks are told at 50, 80 and 100 %% (each once a month). Needs OrderAccess."})
final class BudgetCommands extends ClientCommand {
    private static final View VIEW = new View(List.of(Column.field("ID", "id"), Column.field("NAME", "name"),
            new Column("SCOPE", b -> scope(b, false), b -> scope(b, true)),
            Column.field("UNIT", "unit"), Column.of("SPENT/AMOUNT", b -> amount(b, "spent") + " / " + amount(b, "amount")),
            Column.of("PERCENT", b -> b.path("percent").asString() + " %"), Column.field("SPENT-OUT", "spentOut"),
            Column.field("HOLDING", "holding")),
            List.of(Column.field("MONTH", "month"), Column.joined("THRESHOLDS", "thresholds", t -> t.asString() + " %"),
                    Column.joined("NOTIFIED", "notified", t -> t.asString() + " %"),
                    Column.joined("ALERT-RULES", "alertRuleIds", t -> t.asString()), Column.field("HOLD-NEW-TASKS", "holdNewTasks")));
    private static final View EVENTS = new View(List.of(Column.field("MONTH", "month"),
            Column.of("THRESHOLD", e -> e.path("threshold").asString() + " %"), Column.field("SPENT", "spent"),
            Column.field("AMOUNT", "amount"), Column.time("TIME", "time"),
            Column.joined("NOTICES", "notices", n -> n.path("alertRuleId").asString() + " " + n.path("delivery").asString())));

    /**
     * {@code workspace demo} / {@code group demo-group} by the name the answer carries (no request more; the id
     * when the answer has no name), and on one budget's page the id beside it; {@code -o json} keeps the ids.
     */
    private static String scope(tools.jackson.databind.JsonNode b, boolean withId) {
        boolean workspace = b.hasNonNull("workspaceId");
        String id = b.path(workspace ? "workspaceId" : "resourceGroupId").asString();
        String name = b.path(workspace ? "workspaceName" : "resourceGroupName").asString(null);
        return (workspace ? "workspace " : "group ") + (name == null ? id : withId ? name + " (" + id + ")" : name);
    }

    /** Money in cents for people (the ledger stays exact: -o json); CU-hours as they are. */
    private static String amount(tools.jackson.databind.JsonNode b, String field) {
        return b.path("unit").asString().equals("MONEY") ? Human.cents(b.path(field), "") : b.path(field).asString();
    }

    @Command(name = "list", description = "Every budget with what this month spent.")
    void list() {
        out().many(every(API + "/budgets", Map.of()), VIEW);
    }

    @Command(name = "get", description = "One budget with what this month spent.")
    void get(@Parameters(paramLabel = "BUDGET") String id) {
        out().one(api().get(path("/budgets/%s", id)), VIEW);
    }

    @Command(name = "create", description = "Create a budget: srg budget create NAME (-w WS | --rg RG) --unit CU_HOURS|MONEY --amount N")
    void create(@Parameters(paramLabel = "NAME") String name,
                @Option(names = {"-w", "--workspace"}, paramLabel = "WS") String workspace,
                @Option(names = "--rg", paramLabel = "RG") String group,
                @Option(names = "--unit", required = true, paramLabel = "CU_HOURS|MONEY") String unit,
                @Option(names = "--amount", required = true, paramLabel = "N", description = "per calendar month (UTC)") BigDecimal amount,
                @Option(names = "--threshold", paramLabel = "PERCENT", description = "repeatable; default 50, 80, 100") List<Integer> thresholds,
                @Option(names = "--alert-rule", paramLabel = "RULE", description = "repeatable: whose webhooks to notify") List<String> rules,
                @Option(names = "--hold-new-tasks", description = "once spent, new tasks wait (reason BUDGET) until the next month or a raise")
                boolean hold) {
        out().one(api().post(API + "/budgets", body("name", name, "workspaceId", workspace, "resourceGroupId", group,
                "unit", unit.toUpperCase(java.util.Locale.ROOT), "amount", amount, "thresholds", thresholds, "alertRuleIds", rules,
                "holdNewTasks", hold)), VIEW);
    }

    @Command(name = "set", description = "Change a budget: raise (or lower) the amount, thresholds, alert rules, the hold.")
    void set(@Parameters(paramLabel = "BUDGET") String id,
             @Option(names = "--amount", paramLabel = "N") BigDecimal amount,
             @Option(names = "--threshold", paramLabel = "PERCENT") List<Integer> thresholds,
             @Option(names = "--alert-rule", paramLabel = "RULE") List<String> rules,
             @Option(names = "--hold-new-tasks", negatable = true, description = "once spent, new tasks wait (--no-hold-new-tasks: notify only)")
             Boolean hold) {
        out().one(api().patch(path("/budgets/%s", id), body("amount", amount, "thresholds", thresholds, "alertRuleIds", rules,
                "holdNewTasks", hold)), VIEW);
    }

    @Command(name = "delete", description = "Delete a budget.")
    void delete(@Parameters(paramLabel = "BUDGET") String id) {
        api().delete(path("/budgets/%s", id));
        out().done("deleted " + id);
    }

    @Command(name = "events", description = "The thresholds a budget crossed (each once a month) and their notices.")
    void events(@Parameters(paramLabel = "BUDGET") String id) {
        out().many(every(path("/budgets/%s/events", id), Map.of()), EVENTS);
    }
}
