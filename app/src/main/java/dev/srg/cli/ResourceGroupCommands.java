package dev.srg.cli;

import static dev.srg.cli.Column.count;
import static dev.srg.cli.Column.field;
import static dev.srg.cli.Column.joined;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.TypeConversionException;
import tools.jackson.databind.JsonNode;

@Command(name = "rg", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Resource groups: buy, list, rename, release, bind VPCs, test connectivity.")
final class ResourceGroupCommands extends ClientCommand {
    static final View GROUP = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("STATUS", "status"), field("MODE", "billingMode"),
                    Column.of("CU", g -> g.hasNonNull("specCu") ? Column.text(g.get("specCu")) : Column.text(g.path("maxCu"))),
                    Column.of("REGION/ZONE", g -> g.path("regionId").asString() + "/" + g.path("zoneId").asString()),
                    count("NETWORKS", "networks"), count("WORKSPACES", "workspaceIds")),
            List.of(field("REMARK", "remark"),
                    Column.of("CYCLE", g -> g.hasNonNull("billingCycle")
                            ? g.get("billingCycle").path("count").asString() + " " + g.get("billingCycle").path("unit").asString() : null),
                    field("AUTO-RENEW", "autoRenew"), Column.time("EXPIRES", "expiresAt"), field("MAX-RUNNING", "schedulingMaxRunning"),
                    field("QUEUE-POLICY", "queuePolicy"), joined("NETWORK-IDS", "networks", ResourceGroupCommands::network), joined("IN-WORKSPACES", "workspaceIds"),
                    Column.time("CREATED", "createdAt"), Column.time("UPDATED", "updatedAt"), field("TARGET-CU", "targetSpecCu"),
                    Column.time("TAKES-EFFECT", "transitionEndsAt"), Column.time("FROZEN", "frozenAt"), Column.time("RELEASED", "releasedAt")));
    static final View NETWORK = new View(List.of(field("ID", "id"), field("VPC", "vpcId"), field("VSWITCH", "vswitchId"),
            field("DATA-SERVICE", "dataService"), Column.time("CREATED", "createdAt")));

    private static String network(JsonNode n) {
        return n.path("id").asString() + " " + n.path("vpcId").asString() + "/" + n.path("vswitchId").asString()
                + (n.path("dataService").asBoolean() ? " (data service)" : "");
    }

    /** A billing cycle as the API takes it, from {@code 1MONTH}, {@code 3MONTHS}, {@code 1YEAR}. */
    record BillingCycle(String unit, int count) {
        private static final Pattern FORM = Pattern.compile("(\\d{1,3})(MONTH|YEAR)S?");
    }

    static final class BillingCycleConverter implements ITypeConverter<BillingCycle> {
        @Override
        public BillingCycle convert(String value) {
            Matcher m = BillingCycle.FORM.matcher(value.strip().toUpperCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a billing cycle such as 1MONTH, 3MONTH or 1YEAR");
            }
            return new BillingCycle(m.group(2), Integer.parseInt(m.group(1)));
        }
    }

    @Command(name = "create", description = "Buy a resource group; --wait waits until it is RUNNING.")
    void create(@Option(names = "--name", required = true, paramLabel = "NAME") String name,
                @Option(names = "--remark", paramLabel = "TEXT") String remark,
                @Option(names = "--region", required = true, paramLabel = "REGION_ID") String region,
                @Option(names = "--zone", required = true, paramLabel = "ZONE_ID") String zone,
                @Option(names = "--billing-mode", required = true, paramLabel = "SUBSCRIPTION|PAY_AS_YOU_GO") String mode,
                @Option(names = "--spec-cu", paramLabel = "CU", description = "subscription spec (whole CUs, at least 2)") BigDecimal specCu,
                @Option(names = "--max-cu", paramLabel = "CU", description = "pay-as-you-go maximum (at most 500)") BigDecimal maxCu,
                @Option(names = "--cycle", paramLabel = "1MONTH|3MONTH|1YEAR", converter = BillingCycleConverter.class,
                        description = "subscription billing cycle") BillingCycle cycle,
                @Option(names = "--auto-renew", description = "renew the subscription monthly before it expires") boolean autoRenew,
                @Option(names = "--vpc", required = true, paramLabel = "VPC") String vpc,
                @Option(names = "--vswitch", required = true, paramLabel = "VSWITCH") String vswitch,
                @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken,
                @Option(names = "--dry-run", description = "show the order and its price; buy nothing") boolean dryRun,
                @Option(names = "--queue-policy", paramLabel = "ARRIVAL|FAIR_SHARE",
                        description = "how tasks of one priority queue: by arrival (the default) or by each workspace's share")
                String queuePolicy,
                @Mixin WaitOptions wait) {
        ApiClient api = api();
        var request = body("name", name, "remark", remark, "regionId", region, "zoneId", zone,
                "billingMode", mode.toUpperCase(Locale.ROOT), "specCu", specCu, "maxCu", maxCu, "billingCycle", cycle,
                "autoRenew", autoRenew ? Boolean.TRUE : null, "vpcId", vpc, "vswitchId", vswitch, "clientToken", clientToken,
                "queuePolicy", queuePolicy == null ? null : queuePolicy.toUpperCase(Locale.ROOT));
        if (dryRun) {
            out().one(api.post(API + "/resource-groups?dryRun=true", request), LifecycleCommands.QUOTE);
            return;
        }
        JsonNode group = api.post(API + "/resource-groups", request);
        out().one(wait.wait ? awaitRunning(api, group, Duration.ofSeconds(wait.timeoutSeconds)) : group, GROUP);
    }

    /** {@code --wait [--wait-timeout S]} of the commands that leave a group CREATING, SCALING or CONVERTING for a while. */
    static final class WaitOptions {
        @Option(names = "--wait", description = "poll until the group is RUNNING (a spinner on a terminal)")
        boolean wait;

        @Option(names = "--wait-timeout", paramLabel = "SECONDS", defaultValue = "600", description = "default ${DEFAULT-VALUE}")
        long timeoutSeconds;
    }

    /** After an action that changes the group for a while: with --wait, until it is RUNNING again. */
    private void awaitIfAsked(String id, WaitOptions wait) {
        if (wait.wait) {
            ApiClient api = api();
            awaitRunning(api, api.get(path("/resource-groups/%s", id)), Duration.ofSeconds(wait.timeoutSeconds));
        }
    }

    private JsonNode awaitRunning(ApiClient api, JsonNode group, Duration timeout) {
        String id = group.path("id").asString();
        Instant deadline = Instant.now().plus(timeout);
        Progress progress = new Progress(spec.commandLine().getErr(), env);
        try {
            return poll(api, group, id, deadline, timeout, progress);
        } finally {
            progress.done();
        }
    }

    /** The states a group passes through on its way to RUNNING. */
    private static final java.util.Set<String> PASSING = java.util.Set.of("CREATING", "SCALING", "CONVERTING");

    private static JsonNode poll(ApiClient api, JsonNode group, String id, Instant deadline, Duration timeout, Progress progress) {
        while (!"RUNNING".equals(group.path("status").asString())) {
            String status = group.path("status").asString();
            progress.tick(id, status);
            if (!PASSING.contains(status)) {
                throw new CliException(1, "resource group " + id + " is " + status + ", not RUNNING");
            }
            if (Instant.now().isAfter(deadline)) {
                throw new CliException(1, "resource group " + id + " is still " + status + " after " + timeout.toSeconds() + "s");
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(1, "interrupted while waiting for " + id);
            }
            group = api.get(path("/resource-groups/%s", id));
        }
        return group;
    }

    @Command(name = "list", description = "List resource groups.")
    void list(@Option(names = "--region", paramLabel = "REGION_ID") String region,
              @Option(names = "--status", paramLabel = "STATUS", description = "CREATING, RUNNING, FROZEN, EXPIRED, RELEASED, ...") String status,
              @Mixin ListOptions page) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("regionId", region);
        query.put("status", status == null ? null : status.toUpperCase(Locale.ROOT));
        printList(API + "/resource-groups", query, page, GROUP);
    }

    @Command(name = "get", description = "Show a resource group.")
    void get(@Parameters(paramLabel = "RG") String id) {
        out().one(api().get(path("/resource-groups/%s", id)), GROUP);
    }

    @Command(name = "rename", description = "Rename a resource group and/or change its remark.")
    void rename(@Parameters(paramLabel = "RG") String id, @Option(names = "--name", paramLabel = "NAME") String name,
                @Option(names = "--remark", paramLabel = "TEXT") String remark) {
        out().one(api().patch(path("/resource-groups/%s", id), body("name", name, "remark", remark)), GROUP);
    }

    @Command(name = "delete", description = "Unsubscribe / release a resource group.")
    void delete(@Parameters(paramLabel = "RG") String id,
                @Option(names = "--yes", description = "do not ask to confirm") boolean yes) {
        if (!yes) {
            // asked about a group that exists, by its name and what its billing loses (with --yes: the one request)
            JsonNode g = api().get(path("/resource-groups/%s", id));
            String which = g.path("name").asString() + " (" + g.path("id").asString() + ")";
            LifecycleCommands.confirm(false, "SUBSCRIPTION".equals(g.path("billingMode").asString())
                    ? "Unsubscribe " + which + "? Its queued tasks are cancelled and the rest of its paid period is not refunded"
                    : "Release " + which + "? Its queued tasks are cancelled");
        }
        api().delete(path("/resource-groups/%s", id));
        out().done("Releasing resource group " + id + ": queued tasks cancelled, RELEASED once its running tasks end");
    }

    static final View TYPE_USAGE = new View(List.of(field("USAGE-TYPE", "type"), field("USED-CU", "usedCu"),
            field("RUNNING", "running"), field("QUEUED", "queued"), field("QUEUED-CU", "queuedCu")));

    @Command(name = "usage", description = "Used CU now per usage type; with --since the usage curve as a terminal chart.")
    void usage(@Parameters(paramLabel = "RG") String id,
               @Option(names = "--since", paramLabel = "DURATION", converter = AuditCommands.SinceConverter.class,
                       description = "draw the curve of the last 30m, 24h, 7d ...") Duration since,
               @Option(names = "--step", paramLabel = "DURATION", converter = AuditCommands.SinceConverter.class,
                       description = "one point per 1m (the least), 5m, 1h ... (default: about 60 points)") Duration step) {
        ApiClient api = api();
        if (since == null) {
            JsonNode usage = api.get(path("/resource-groups/%s/usage", id));
            if (format == Output.Format.json) {
                out().one(usage, TYPE_USAGE);
                return;
            }
            var writer = spec.commandLine().getOut();
            writer.println("capacity " + Column.text(usage.path("capacityCu")) + " CU, used " + Column.text(usage.path("usedCu"))
                    + " CU (" + Math.round(usage.path("utilization").asDouble() * 100) + "%), " + usage.path("status").asString());
            writer.flush();
            List<JsonNode> rows = new java.util.ArrayList<>();
            for (var e : usage.path("byUsageType").properties()) {
                boolean idle = e.getValue().path("running").asInt() == 0 && e.getValue().path("queued").asInt() == 0;
                if (idle && !e.getKey().equals("SCHEDULING")) {
                    continue; // only the types in use (and SCHEDULING, the usual one)
                }
                var row = dev.srg.json.Json.MAPPER.createObjectNode();
                row.put("type", e.getKey());
                row.setAll((tools.jackson.databind.node.ObjectNode) e.getValue());
                rows.add(row);
            }
            out().many(rows, TYPE_USAGE);
            return;
        }
        long stepSeconds = step != null ? step.getSeconds() : Math.max(60, (since.getSeconds() / 60 + 59) / 60 * 60);
        Map<String, String> query = new LinkedHashMap<>();
        query.put("since", since.getSeconds() + "s");
        query.put("step", Long.toString(stepSeconds));
        JsonNode history = api.get(path("/resource-groups/%s/usage/history", id), query);
        if (format == Output.Format.json) {
            out().one(history, TYPE_USAGE);
            return;
        }
        spec.commandLine().getOut().print(UsageChart.render(history));
        spec.commandLine().getOut().flush();
    }

    @Command(name = "networks", description = "List the VPCs bound to a resource group.")
    void networks(@Parameters(paramLabel = "RG") String id) {
        out().many(every(path("/resource-groups/%s/networks", id), Map.of()), NETWORK);
    }

    @Command(name = "bind", description = "Bind another VPC to a resource group.")
    void bind(@Parameters(paramLabel = "RG") String id, @Option(names = "--vpc", required = true, paramLabel = "VPC") String vpc,
              @Option(names = "--vswitch", required = true, paramLabel = "VSWITCH") String vswitch) {
        out().one(api().post(path("/resource-groups/%s/networks", id), body("vpcId", vpc, "vswitchId", vswitch)), NETWORK);
    }

    @Command(name = "unbind", description = "Remove a VPC binding (--force when running tasks may use it).")
    void unbind(@Parameters(paramLabel = "RG") String id, @Parameters(paramLabel = "NETWORK_ID") String networkId,
                @Option(names = "--force", description = "remove it even though running tasks may use it") boolean force) {
        api().delete(path("/resource-groups/%s/networks/%s", id, networkId) + (force ? "?force=true" : ""));
        out().done("Unbound network " + networkId + " from resource group " + id);
    }

    static final View CONNECTIVITY = new View(List.of(field("REACHABLE", "reachable"), field("PATH", "path"),
            field("ADDRESS", "resolvedAddress"), Column.of("LATENCY", r -> r.path("latencyMillis").isNumber()
                    ? r.path("latencyMillis").asLong() + " ms" : null), field("REASON", "reason")),
            List.of(field("INSTANCE", "instanceId"), field("ENFORCED", "networkEnforced")));

    /** SPEC NET-8: exit 0 when reachable, 1 when not (the answer is printed either way), 2 for a wrong call. */
    @Command(name = "connectivity-test", description = {"Make a real TCP connection from inside the group's network (a "
            + "CONNECTIVITY_TEST task): reachable or not, the path (VPC, ROUTE, INTERNET, NONE), the reason, the address, the latency.",
            "Exit 0 when reachable, 1 when not."})
    void connectivityTest(@Parameters(paramLabel = "RG") String id,
                          @Option(names = "--host", paramLabel = "HOST", description = "a DNS name or an IPv4 address") String host,
                          @Option(names = "--port", paramLabel = "PORT") Integer port,
                          @Option(names = "--data-source", paramLabel = "DS",
                                  description = "test a data source's host and port instead") String dataSource,
                          @Option(names = {"-w", "--workspace"}, paramLabel = "WS",
                                  description = "the workspace to run it in (default: one of the group's you belong to)") String workspace) {
        if (dataSource == null && (host == null || port == null)) {
            throw new CliException(2, "give --host and --port, or --data-source");
        }
        if (dataSource != null && (host != null || port != null)) {
            throw new CliException(2, "give --host and --port, or --data-source, not both");
        }
        JsonNode result = api().post(path("/resource-groups/%s/connectivity-tests", id),
                body("host", host, "port", port, "dataSourceId", dataSource, "workspaceId", workspace));
        out().one(result, CONNECTIVITY);
        if (!result.path("reachable").asBoolean()) {
            throw new CliException(1, "not reachable: " + result.path("reason").asString());
        }
    }

    @Command(name = "quotas", description = {"Show a group's CU quotas per usage type, or change them:",
            "--set TYPE=MIN:MAX changes only that type (an empty side keeps its value), --unset TYPE removes one,",
            "--replace makes the --set quotas all there are, --clear removes every one."})
    void quotas(@Parameters(paramLabel = "RG") String id,
                @Option(names = "--set", paramLabel = "TYPE=MIN:MAX",
                        description = "e.g. DATA_INTEGRATION=4:8 or SCHEDULING=:16 (repeat)") List<String> set,
                @Option(names = "--unset", paramLabel = "TYPE", description = "remove this type's quota (repeat)") List<String> unset,
                @Option(names = "--replace", description = "the --set quotas replace every other type's") boolean replace,
                @Option(names = "--clear", description = "remove every quota") boolean clear) {
        AdmissionCommands.quotas(this, id, set, unset, replace, clear);
    }

    @Command(name = "scale", description = "Scale a subscription group out or in (places an order; SCALING until it takes effect).")
    void scale(@Parameters(paramLabel = "RG") String id,
               @Option(names = "--spec-cu", required = true, paramLabel = "CU", description = "the new spec, whole CUs") BigDecimal specCu,
               @Option(names = "--client-token", paramLabel = "TOKEN") String clientToken,
               @Option(names = "--dry-run", description = "show the order and its price; buy nothing") boolean dryRun,
               @Option(names = "--yes", description = "do not ask to confirm a scale-in below what runs now") boolean yes,
               @Mixin WaitOptions wait) {
        LifecycleCommands.scale(this, id, specCu, clientToken, dryRun, yes);
        if (!dryRun) {
            awaitIfAsked(id, wait);
        }
    }

    @Command(name = "convert", description = "Convert a pay-as-you-go group to subscription (places an order; CONVERTING for about a minute).")
    void convert(@Parameters(paramLabel = "RG") String id,
                 @Option(names = "--cycle", required = true, paramLabel = "1MONTH|3MONTH|1YEAR", converter = BillingCycleConverter.class) BillingCycle cycle,
                 @Option(names = "--spec-cu", paramLabel = "CU", description = "destination spec (default: the current max CU)") BigDecimal specCu,
                 @Option(names = "--auto-renew", description = "renew monthly before expiry") boolean autoRenew,
                 @Option(names = "--client-token", paramLabel = "TOKEN") String clientToken,
                 @Option(names = "--dry-run", description = "show the order and its price; buy nothing") boolean dryRun,
                 @Mixin WaitOptions wait) {
        LifecycleCommands.convert(this, id, cycle, specCu, autoRenew, clientToken, dryRun);
        if (!dryRun) {
            awaitIfAsked(id, wait);
        }
    }

    @Command(name = "renew", description = "Renew a subscription group; an EXPIRED one runs again (places an order).")
    void renew(@Parameters(paramLabel = "RG") String id,
               @Option(names = "--cycle", required = true, paramLabel = "1MONTH|3MONTH|1YEAR", converter = BillingCycleConverter.class) BillingCycle cycle,
               @Option(names = "--client-token", paramLabel = "TOKEN") String clientToken,
               @Option(names = "--dry-run", description = "show the order and its price; buy nothing") boolean dryRun) {
        LifecycleCommands.renew(this, id, cycle, clientToken, dryRun);
    }

    @Command(name = "enable", description = "Enable a FROZEN pay-as-you-go group.")
    void enable(@Parameters(paramLabel = "RG") String id) {
        LifecycleCommands.enable(this, id);
    }

    @Command(name = "auto-renew", description = "Turn a subscription's monthly auto-renewal on or off.")
    void autoRenew(@Parameters(paramLabel = "RG") String id, @Parameters(paramLabel = "on|off") String onOff) {
        LifecycleCommands.autoRenew(this, id, onOff);
    }

    @Command(name = "resume-on-demand", description = {"Show, or turn on or off, whether a FROZEN pay-as-you-go group resumes",
            "by itself when a task is submitted (the task queues until the group is RUNNING)."})
    void resumeOnDemand(@Parameters(paramLabel = "RG") String id,
                        @Parameters(paramLabel = "on|off", arity = "0..1") String onOff) {
        View view = new View(List.of(Column.field("GROUP", "resourceGroupId"), Column.field("RESUME-ON-DEMAND", "enabled")), List.of());
        if (onOff == null) {
            out().one(api().get(path("/resource-groups/%s/resume-on-demand", id)), view);
            return;
        }
        boolean on = switch (onOff.toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new CliException(2, "resume-on-demand takes on or off, got '" + onOff + "'");
        };
        out().one(api().put(path("/resource-groups/%s/resume-on-demand", id), body("enabled", on)), view);
    }

    static final View SHARES = new View(List.of(field("WORKSPACE", "workspaceId"), field("SHARE-CU", "shareCu"),
            field("WEIGHT", "weight"), field("WEIGHTED-SHARE-CU", "weightedShareCu"),
            field("RUNNING-CU", "runningCu"), field("DECAYED-CU-SECONDS", "decayedCuSeconds")));

    @Command(name = "queue-policy", description = {"Show or set (--set ARRIVAL|FAIR_SHARE) how a group orders tasks of one priority,",
            "and the shares' half-life (--half-life SECONDS, 60..2592000), with each workspace's share and weight",
            "(what FAIR_SHARE orders by: the smallest share / weight first)."})
    void queuePolicy(@Parameters(paramLabel = "RG") String id,
                     @Option(names = "--set", paramLabel = "ARRIVAL|FAIR_SHARE") String set,
                     @Option(names = "--half-life", paramLabel = "SECONDS") Long halfLife) {
        ApiClient api = api();
        if (set != null || halfLife != null) {
            api.patch(path("/resource-groups/%s", id), body("queuePolicy", set == null ? null : set.toUpperCase(Locale.ROOT),
                    "shareHalfLifeSeconds", halfLife));
        }
        JsonNode usage = api.get(path("/resource-groups/%s/usage", id));
        if (format == Output.Format.json) {
            out().one(usage, SHARES);
            return;
        }
        var writer = spec.commandLine().getOut();
        writer.println("queue policy " + usage.path("queuePolicy").asString() + "; shares decay with a half-life of "
                + usage.path("shareHalfLifeSeconds").asLong() + " s");
        writer.flush();
        List<JsonNode> rows = new java.util.ArrayList<>();
        usage.path("shares").forEach(rows::add);
        out().many(rows, SHARES);
    }

    static final View WEIGHTS = new View(List.of(field("WORKSPACE", "workspaceId"), field("WEIGHT", "weight"),
            field("EXPLICIT", "explicit")));

    @Command(name = "weight", description = {"List the workspaces' FAIR_SHARE weights in a group (default 1), or set one",
            "(--set N, 0..100; 0: only what no other workspace wants) or give it the default again (--reset)."})
    void weight(@Parameters(paramLabel = "RG") String id, @Parameters(paramLabel = "WORKSPACE", arity = "0..1") String workspaceId,
                @Option(names = "--set", paramLabel = "N") Integer set, @Option(names = "--reset") boolean reset) {
        ApiClient api = api();
        if ((set != null || reset) && workspaceId == null) {
            throw new CliException(2, "--set and --reset need a WORKSPACE");
        }
        if (set != null && reset) {
            throw new CliException(2, "give --set or --reset, not both");
        }
        if (set != null) {
            api.put(path("/resource-groups/%s/workspace-weights/%s", id, workspaceId), body("weight", set));
        } else if (reset) {
            api.delete(path("/resource-groups/%s/workspace-weights/%s", id, workspaceId));
        }
        JsonNode weights = api.get(path("/resource-groups/%s/workspace-weights", id));
        // the workspace by its id, as it may have been named
        String only = workspaceId == null ? null : api.get(path("/workspaces/%s", workspaceId)).path("id").asString();
        List<JsonNode> rows = new java.util.ArrayList<>();
        weights.path("weights").forEach(w -> {
            if (only == null || only.equals(w.path("workspaceId").asString())) {
                rows.add(w);
            }
        });
        out().many(rows, WEIGHTS);
    }

    @Command(name = "concurrency", description = "Show or set (--set N, 1..200) how many SCHEDULING tasks a group runs at once.")
    void concurrency(@Parameters(paramLabel = "RG") String id, @Option(names = "--set", paramLabel = "N") Integer set) {
        AdmissionCommands.concurrency(this, id, set);
    }
}
