package dev.srg.cli;

import static dev.srg.cli.Column.field;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/** {@code srg rg scale|convert|renew|enable|auto-renew}: the purchase actions on a group (SPEC RG-3..RG-8). */
final class LifecycleCommands {
    private LifecycleCommands() {}

    /** The answer of scale, convert and renew: the group now, its order, warnings. */
    static final View ACTION = new View(
            List.of(Column.of("ID", r -> Column.text(r.path("resourceGroup").path("id"))),
                    Column.of("STATUS", r -> Column.text(r.path("resourceGroup").path("status"))),
                    Column.of("MODE", r -> Column.text(r.path("resourceGroup").path("billingMode"))),
                    Column.of("CU", r -> cu(r.path("resourceGroup"))),
                    Column.of("EXPIRES", r -> Column.text(r.path("resourceGroup").path("expiresAt"))),
                    Column.of("ORDER", r -> Column.text(r.path("order").path("id"))),
                    Column.of("ORDER-TYPE", r -> Column.text(r.path("order").path("type"))),
                    Column.of("AMOUNT", r -> orderAmount(r.path("order")))),
            List.of(Column.of("TAKES-EFFECT", r -> Column.text(r.path("resourceGroup").path("transitionEndsAt"))),
                    Column.joined("WARNING", "warnings")));

    static String cu(JsonNode g) {
        String now = g.hasNonNull("specCu") ? Column.text(g.get("specCu")) : Column.text(g.path("maxCu"));
        return g.hasNonNull("targetSpecCu") ? now + " -> " + Column.text(g.get("targetSpecCu")) : now;
    }

    /** What an order charged, in cents as it is paid (exact in -o json): prorated amounts have six decimals. */
    static String orderAmount(JsonNode order) {
        return Human.cents(order.path("amount"), order.path("currency").asString(""));
    }

    /** An amount with its currency and at least 2 decimals: {@code 200.00 USD}, {@code 0.000008 USD}. */
    static String money(JsonNode n) {
        JsonNode amount = n.path("amount");
        if (!amount.isNumber()) {
            return null;
        }
        BigDecimal v = amount.decimalValue().stripTrailingZeros();
        return (v.scale() < 2 ? v.setScale(2) : v).toPlainString() + " " + n.path("currency").asString("");
    }

    /** A purchase's quote ({@code --dry-run}): the order it would place, its price in cents (exact in -o json). */
    static final View QUOTE = new View(
            List.of(Column.of("ORDER-TYPE", q -> Column.text(q.path("type"))),
                    Column.of("CU", q -> q.hasNonNull("previousSpecCu") ? Column.text(q.get("previousSpecCu")) + " -> "
                            + Column.text(q.path("specCu")) : Column.text(q.path("specCu"))),
                    Column.of("CYCLE", q -> q.has("billingCycle") ? q.path("billingCycle").path("count").asString() + " "
                            + q.path("billingCycle").path("unit").asString() : null),
                    Column.of("PERIOD-END", q -> Column.text(q.path("periodEnd"))),
                    Column.of("PRICE", q -> Human.cents(q.path("amount"), q.path("currency").asString("")))),
            List.of(Column.joined("WARNING", "warnings")));

    /**
     * A purchase: with {@code dryRun} only its quote; else, when the quote says it lowers the group
     * below what runs now (a scale-in below use), it asks first ({@link #confirm}).
     */
    static void purchase(ClientCommand c, String path, java.util.Map<String, Object> body, boolean dryRun, boolean yes) {
        if (dryRun || !yes) {
            JsonNode quote = c.api().post(path + "?dryRun=true", body);
            if (dryRun) {
                c.out().one(quote, QUOTE);
                return;
            }
            if (quote.path("confirmationRequired").asBoolean()) {
                confirm(yes, String.join("; ", ClientCommand.elements(quote.path("warnings")).stream().map(JsonNode::asString).toList())
                        + ". Order it for " + Human.cents(quote.path("amount"), quote.path("currency").asString("")) + "?");
            }
        }
        c.out().one(c.api().post(path, body), ACTION);
    }

    /**
     * Asks on the terminal before something hard to undo; {@code --yes} answers for the user. With
     * no terminal to ask on (a script, a pipe) and no {@code --yes} it refuses, saying so.
     */
    static void confirm(boolean yes, String question) {
        if (yes) {
            return;
        }
        if (Terminal.of(0).isEmpty()) {
            // one line: "error: refused without --yes (no terminal to ask on): Unsubscribe ...?"
            throw new CliException(ClientCommands.USAGE, "refused without --yes (no terminal to ask on): " + question);
        }
        // the question goes to standard error, so that what the command prints stays parseable
        System.err.print(question + " [y/N] ");
        System.err.flush();
        String answer;
        try {
            answer = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.Charset.defaultCharset())).readLine();
        } catch (java.io.IOException e) {
            answer = null;
        }
        if (answer == null || !(answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"))) {
            throw new CliException(ClientCommands.FAILED, "not confirmed: nothing done");
        }
    }

    static void scale(ClientCommand c, String id, BigDecimal specCu, String clientToken, boolean dryRun, boolean yes) {
        purchase(c, ClientCommand.path("/resource-groups/%s/scale", id), ClientCommand.body("specCu", specCu, "clientToken", clientToken),
                dryRun, yes);
    }

    static void convert(ClientCommand c, String id, ResourceGroupCommands.BillingCycle cycle, BigDecimal specCu,
                        boolean autoRenew, String clientToken, boolean dryRun) {
        purchase(c, ClientCommand.path("/resource-groups/%s/convert", id),
                ClientCommand.body("billingCycle", cycle, "specCu", specCu, "autoRenew", autoRenew ? Boolean.TRUE : null,
                        "clientToken", clientToken), dryRun, true);
    }

    static void renew(ClientCommand c, String id, ResourceGroupCommands.BillingCycle cycle, String clientToken, boolean dryRun) {
        purchase(c, ClientCommand.path("/resource-groups/%s/renew", id), ClientCommand.body("billingCycle", cycle,
                "clientToken", clientToken), dryRun, true);
    }

    static void enable(ClientCommand c, String id) {
        c.out().one(c.api().post(ClientCommand.path("/resource-groups/%s/enable", id), null), ResourceGroupCommands.GROUP);
    }

    static void autoRenew(ClientCommand c, String id, String onOff) {
        boolean on = switch (onOff.toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new CliException(2, "auto-renew takes on or off, got '" + onOff + "'");
        };
        c.out().one(c.api().patch(ClientCommand.path("/resource-groups/%s", id), ClientCommand.body("autoRenew", on)),
                ResourceGroupCommands.GROUP);
    }

    static final View ORDER = new View(
            List.of(field("ID", "id"), field("GROUP", "resourceGroupId"), field("TYPE", "type"),
                    Column.of("CU", o -> o.hasNonNull("previousSpecCu")
                            ? Column.text(o.get("previousSpecCu")) + " -> " + Column.text(o.path("specCu")) : Column.text(o.path("specCu"))),
                    Column.of("CYCLE", o -> o.hasNonNull("billingCycle")
                            ? o.get("billingCycle").path("count").asString() + " " + o.get("billingCycle").path("unit").asString() : null),
                    Column.of("AMOUNT", LifecycleCommands::orderAmount), Column.time("CREATED", "createdAt")),
            List.of(field("MODE", "billingMode"), field("PERIOD-START", "periodStart"), field("PERIOD-END", "periodEnd"),
                    field("STATUS", "status"), field("BY", "createdBy"), field("DETAIL", "detail")));

    static final View BILL_LINE = new View(
            List.of(field("HOUR", "hourStart"), field("GROUP", "resourceGroupId"), field("CU-SECONDS", "cuSeconds"),
                    Column.of("CU-HOURS", b -> b.hasNonNull("cuSeconds")
                            ? b.get("cuSeconds").decimalValue().divide(BigDecimal.valueOf(3600), 4, java.math.RoundingMode.HALF_UP)
                                    .stripTrailingZeros().toPlainString() : null),
                    Column.of("AMOUNT", LifecycleCommands::money)),
            List.of(field("ID", "id"), Column.of("PRICE/CU-HOUR", b -> Column.text(b.path("pricePerCuHour")))));

    static final View BILL_SUMMARY = new View(
            List.of(field("FROM", "from"), field("TO", "to"), field("GROUP", "resourceGroupId"), field("LINES", "lines"),
                    field("CU-SECONDS", "cuSeconds"), Column.of("AMOUNT", LifecycleCommands::money)));

    static final View CLOCK = new View(List.of(field("NOW", "now"), field("SIMULATED", "simulated"),
            field("OFFSET-SECONDS", "offsetSeconds")));
}
