package dev.srg.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

@Command(name = "order", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Orders: every purchase (create, scale, renew, convert, auto-renew) with its price.")
final class OrderCommands extends ClientCommand {
    @Command(name = "list", description = "List orders, oldest first.")
    void list(@Option(names = "--rg", paramLabel = "RG") String group,
              @Option(names = "--type", paramLabel = "TYPE", description = "CREATE, SCALE_OUT, SCALE_IN, RENEW, AUTO_RENEW, CONVERT") String type,
              @Option(names = "--from", paramLabel = "TIME", description = "RFC 3339 UTC") String from,
              @Option(names = "--to", paramLabel = "TIME", description = "RFC 3339 UTC") String to,
              @Mixin ListOptions page) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("resourceGroupId", group);
        query.put("type", type == null ? null : type.toUpperCase(Locale.ROOT));
        query.put("from", from);
        query.put("to", to);
        printList(API + "/orders", query, page, LifecycleCommands.ORDER);
    }

    @Command(name = "get", description = "Show an order.")
    void get(@Parameters(paramLabel = "ORDER_ID") String id) {
        out().one(api().get(path("/orders/%s", id)), LifecycleCommands.ORDER);
    }
}
