package dev.srg.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

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

    private static Map<String, String> query(String group, String from, String to) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("resourceGroupId", group);
        query.put("from", from);
        query.put("to", to);
        return query;
    }
}
