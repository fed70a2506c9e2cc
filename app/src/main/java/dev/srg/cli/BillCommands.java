package dev.srg.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

@Command(name = "bill", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Pay-as-you-go bills: one line per group per hour, CU-seconds and amount.")
final class BillCommands extends ClientCommand {
    @Command(name = "list", description = "List hourly bill lines, oldest first.")
    void list(@Option(names = "--rg", paramLabel = "RG") String group,
              @Option(names = "--from", paramLabel = "TIME", description = "first hour, RFC 3339 UTC") String from,
              @Option(names = "--to", paramLabel = "TIME", description = "end (exclusive), RFC 3339 UTC") String to,
              @Mixin ListOptions page) {
        printList(API + "/bills", query(group, from, to), page, LifecycleCommands.BILL_LINE);
    }

    @Command(name = "summary", description = "Total CU-seconds and amount of the lines in a range.")
    void summary(@Option(names = "--rg", paramLabel = "RG") String group,
                 @Option(names = "--from", paramLabel = "TIME") String from,
                 @Option(names = "--to", paramLabel = "TIME") String to) {
        out().one(api().get(API + "/bills/summary", query(group, from, to)), LifecycleCommands.BILL_SUMMARY);
    }

    static final View CHARGEBACK = new View(
            List.of(Column.of("WORKSPACE", r -> r.hasNonNull("workspaceName") ? r.get("workspaceName").asString()
                            : r.hasNonNull("workspaceId") ? r.get("workspaceId").asString() : "(unused)"),
                    Column.of("GROUP", r -> r.hasNonNull("resourceGroupName") ? r.get("resourceGroupName").asString()
                            : r.path("resourceGroupId").asString()),
                    Column.field("CU-HOURS", "cuHours"),
                    Column.of("SUBSCRIPTION", r -> Human.cents(r.path("subscriptionCost"), null)),
                    Column.of("PAY-AS-YOU-GO", r -> Human.cents(r.path("payAsYouGoCost"), null)),
                    Column.of("COST", r -> Human.cents(r.path("cost"), null))),
            List.of(Column.id("WORKSPACE-ID", "workspaceId"), Column.id("GROUP-ID", "resourceGroupId"),
                    Column.field("METERED-CU-SECONDS", "meteredCuSeconds")));

    @Command(name = "chargeback", description = {"CU-hours and cost per workspace and group for a calendar month (docs/rules.md#BEY-5):",
            "subscription orders shared by the CU-hours used, pay-as-you-go as metered. Amounts shown rounded to cents;",
            "-o json and --csv keep them exact and add up exactly to the month's orders and bills."})
    void chargeback(@Option(names = "--month", paramLabel = "YYYY-MM", description = "default: this month") String month,
                    @Option(names = "--csv", description = "print the CSV report") boolean csv) throws java.io.IOException {
        String path = API + (csv ? "/chargeback.csv" : "/chargeback") + (month == null ? ""
                : "?month=" + java.net.URLEncoder.encode(month, java.nio.charset.StandardCharsets.UTF_8));
        if (csv) {
            try (var in = api().stream(path).body()) {
                var out = spec.commandLine().getOut();
                out.print(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                out.flush();
            }
            return;
        }
        JsonNode report = api().get(path);
        if (!out().table()) {
            out().one(report, CHARGEBACK);
            return;
        }
        List<JsonNode> rows = new java.util.ArrayList<>();
        report.get("rows").forEach(rows::add);
        out().many(rows, CHARGEBACK);
        var err = spec.commandLine().getErr();
        err.println(report.path("month").asString() + ": total " + Human.cents(report.path("total"), report.path("currency").asString())
                + " = orders " + Human.cents(report.path("ordersTotal"), null) + " + pay-as-you-go bills "
                + Human.cents(report.path("billsTotal"), null));
        err.flush();
    }

    private static Map<String, String> query(String group, String from, String to) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("resourceGroupId", group);
        query.put("from", from);
        query.put("to", to);
        return query;
    }
}
