package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.console.Views.GroupRow;
import dev.srg.console.Views.TypeTasks;
import dev.srg.console.Views.WorkspaceRef;

import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.group.BillingCycle;
import dev.srg.group.BillingMode;
import dev.srg.group.ConcurrencySettings;
import dev.srg.group.GroupStatus;
import dev.srg.group.PurchaseQuote;
import dev.srg.group.QuotaSettings;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.group.ResourceGroupManager;
import dev.srg.json.Json;
import dev.srg.network.Vpc;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.PageRequest;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager.GroupUsage;
import dev.srg.task.InstanceStatus;
import dev.srg.workspace.WorkspaceInfo;
import dev.srg.workspace.WorkspaceManager;
import dev.srg.workspace.WorkspaceRole;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Resource groups: the list, the purchase form, and the details page with everything done to one group. */
final class GroupPages {
    static final List<String> CREATE_FIELDS = List.of("name", "remark", "regionId", "zoneId", "billingMode", "specCu", "maxCu",
            "billingCycle.unit", "billingCycle.count", "autoRenew", "vpcId", "vswitchId");

    private GroupPages() {}

    /** The usage windows of the chart. */
    enum Window {
        /** What the live view starts with: the recent minutes, then its own samples. */
        M15("15m", Duration.ofMinutes(15), Duration.ofMinutes(1)),
        H1("1h", Duration.ofHours(1), Duration.ofMinutes(1)),
        H24("24h", Duration.ofHours(24), Duration.ofMinutes(15)),
        D7("7d", Duration.ofDays(7), Duration.ofHours(1));

        final String label;
        final Duration span;
        final Duration step;

        Window(String label, Duration span, Duration step) {
            this.label = label;
            this.span = span;
            this.step = step;
        }

        static Window of(String label) {
            for (Window w : values()) {
                if (w.label.equals(label)) {
                    return w;
                }
            }
            throw SrgException.invalid("window", "InvalidParameter.Window", "window must be 1h, 24h or 7d");
        }
    }

    static void register(Console c) {
        c.page("/console/groups", r -> list(c, r));
        c.page("/console/groups/new", r -> createForm(c, r));
        c.action("/console/groups", "Buy a resource group", r -> create(c, r));
        c.page("/console/groups/{id}", r -> details(c, r));
        c.page("/console/groups/{id}/tasks", r -> tasksFragment(c, r));
        c.page("/console/groups/{id}/usage.json", r -> json(r, c.features.instances().usage(r.caller, r.path("id"))));
        c.page("/console/groups/{id}/history.json", r -> history(c, r));
        c.action("/console/groups/{id}/rename", "Rename a resource group", r -> rename(c, r));
        c.action("/console/groups/{id}/quotas", "Set a resource group's quotas", r -> quotas(c, r));
        c.action("/console/groups/{id}/concurrency", "Set a resource group's concurrency", r -> concurrency(c, r));
        c.action("/console/groups/{id}/queue-policy", "Set a resource group's queue policy", r -> queuePolicy(c, r));
        c.action("/console/groups/{id}/workspace-weight", "Set a workspace's weight in a resource group", r -> workspaceWeight(c, r));
        c.action("/console/groups/{id}/networks", "Bind a network to a resource group", r -> bind(c, r));
        c.action("/console/groups/{id}/networks/{networkId}/unbind", "Unbind a network from a resource group", r -> unbind(c, r));
        c.action("/console/groups/{id}/connectivity-test", "Test connectivity from a resource group", r -> connectivityTest(c, r));
        c.action("/console/groups/{id}/workspaces", "Associate a resource group with a workspace", r -> associate(c, r));
        c.action("/console/groups/{id}/workspaces/{workspaceId}/dissociate", "Dissociate a resource group from a workspace", r -> dissociate(c, r));
        c.action("/console/groups/{id}/scale", "Scale a resource group", r -> lifecycle(c, r, "scale"));
        c.action("/console/groups/{id}/convert", "Convert a resource group to a subscription", r -> lifecycle(c, r, "convert"));
        c.action("/console/groups/{id}/renew", "Renew a resource group", r -> lifecycle(c, r, "renew"));
        c.action("/console/groups/{id}/enable", "Enable a frozen resource group", r -> lifecycle(c, r, "enable"));
        c.action("/console/groups/{id}/resume-on-demand", "Set whether a resource group resumes on demand", r -> {
            boolean on = r.form().checkbox("enabled");
            c.extensions.lifecycleAdapter().orElseThrow().setResumeOnDemand(r.caller, r.path("id"), on);
            r.done(on ? "It resumes by itself when a task is submitted while it is frozen." : "It stays frozen until it is enabled.",
                    "/console/groups/" + r.path("id") + "#resume-on-demand");
        });
        c.action("/console/groups/{id}/unsubscribe", "Unsubscribe (release) a resource group", r -> lifecycle(c, r, "unsubscribe"));
    }

    private static void list(Console c, ConsoleRequest r) {
        String region = r.query("regionId");
        String statusText = r.query("status");
        GroupStatus status = statusText == null ? null : new FormInput(Map.of("status", List.of(statusText)))
                .enumValue("status", GroupStatus.class);
        String q = r.query("q");
        var page = c.features.groups().list(r.caller, region, status, PageRequest.parse("50", r.query("pageToken")));
        List<GroupRow> rows = new ArrayList<>();
        for (ResourceGroupInfo g : page.items()) {
            if (q != null && !g.name().toLowerCase(Locale.ROOT).contains(q.toLowerCase(Locale.ROOT))
                    && !g.id().contains(q)) {
                continue;
            }
            rows.add(new GroupRow(g, c.features.instances().usage(r.caller, g.id()), ResourceGroupLifecycle.offered(g)));
        }
        r.render("groups/list.jte", model("page", r.page("Resource groups", "groups"), "rows", rows,
                "regions", c.features.regions().list(), "statuses", GroupStatus.values(),
                "regionId", region == null ? "" : region, "status", statusText == null ? "" : statusText, "q", q == null ? "" : q,
                "nextPageToken", page.nextPageToken() == null ? "" : page.nextPageToken(),
                "lifecycle", c.extensions.lifecycleAdapter().isPresent()));
    }

    private static void createForm(Console c, ConsoleRequest r) {
        FormState form = r.takeForm().of("create");
        List<Vpc> vpcs = List.of();
        String vpcError = null;
        if (r.viewer.canReadVpcs()) {
            vpcs = c.features.networks().listVpcs(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        } else {
            vpcError = "You may not list VPCs (that needs VpcReadOnlyAccess): type the IDs of the VPC and vSwitch.";
        }
        r.render("groups/new.jte", model("page", r.page("Buy a resource group", "groups").crumb("Resource groups", Console.HOME),
                "form", form, "regions", c.features.regions().list(), "vpcs", vpcs, "vpcError", vpcError == null ? "" : vpcError,
                "clientToken", ConsoleSessions.random(), "roleExists", c.features.access().serviceLinkedRoleExists()));
    }

    private static void create(Console c, ConsoleRequest r) {
        FormInput in = r.form();
        try {
            ResourceGroupInfo g = c.features.groups().create(r.caller, createRequest(in));
            r.auditResource(g.id());
            r.done("Resource group " + g.name() + " is being created (" + g.id() + ").", "/console/groups/" + g.id());
        } catch (SrgException e) {
            r.refused("create", in, e, CREATE_FIELDS, "/console/groups/new");
        }
    }

    /** The buy form as a purchase request (also quoted before "Buy now", see BeyondPages). */
    static ResourceGroupManager.CreateRequest createRequest(FormInput in) {
        BillingMode mode = in.enumValue("billingMode", BillingMode.class);
        boolean sub = mode == BillingMode.SUBSCRIPTION;
        boolean payg = mode == BillingMode.PAY_AS_YOU_GO;
        return new ResourceGroupManager.CreateRequest(in.text("name"), in.text("remark"), in.text("regionId"), in.text("zoneId"), mode,
                sub ? in.cu("specCu") : null, payg ? in.cu("maxCu") : null, sub ? cycle(in) : null,
                sub ? in.checkbox("autoRenew") : null, in.text("vpcId"), in.text("vswitchId"), in.text("clientToken"), null);
    }

    static BillingCycle cycle(FormInput in) {
        BillingCycle.Unit unit = in.enumValue("billingCycle.unit", BillingCycle.Unit.class);
        Integer count = in.integer("billingCycle.count");
        return unit == null && count == null ? null : new BillingCycle(unit, count);
    }

    private static void details(Console c, ConsoleRequest r) {
        String id = r.path("id");
        ResourceGroupInfo g = c.features.groups().get(r.caller, id);
        FormState form = r.takeForm();
        GroupUsage usage = c.features.instances().usage(r.caller, id);
        QuotaSettings quotas = c.features.groups().quotas(r.caller, id);
        Map<String, Vpc> vpcsById = new LinkedHashMap<>();
        if (r.viewer.canReadVpcs()) {
            c.features.networks().listVpcs(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items()
                    .forEach(v -> vpcsById.put(v.id(), v));
        }
        List<WorkspaceInfo> visible = c.features.workspaces().list(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        List<WorkspaceRef> associated = new ArrayList<>();
        for (String wsId : g.workspaceIds()) {
            WorkspaceInfo ws = visible.stream().filter(w -> w.id().equals(wsId)).findFirst().orElse(null);
            associated.add(new WorkspaceRef(wsId, ws == null ? "" : ws.name(), ws != null && id.equals(ws.defaultResourceGroupId())));
        }
        List<WorkspaceInfo> associable = visible.stream()
                .filter(w -> w.regionId().equals(g.regionId()) && !g.workspaceIds().contains(w.id()) && isAdmin(r.caller, w)
                        && r.caller.has(Policy.ResourceGroupFullAccess)) // SPEC ACC-3: what the form may associate
                .toList();
        Set<String> adminOf = new java.util.HashSet<>();
        visible.stream().filter(w -> isAdmin(r.caller, w)).forEach(w -> adminOf.add(w.id()));
        r.render("groups/detail.jte", model("page", r.page(g.name(), "groups").crumb("Resource groups", Console.HOME),
                "g", g, "offered", ResourceGroupLifecycle.offered(g), "usage", usage, "quotas", quotas, "form", form, "tasks", tasks(c, r.caller, id, usage),
                "vpcs", vpcsById, "associated", associated, "associable", associable, "adminOf", adminOf,
                "usageTypes", UsageType.values(), "lifecycle", c.extensions.lifecycleAdapter().isPresent(),
                "history", c.extensions.usageHistoryAdapter().isPresent(), "usageJson", Json.write(usage),
                "clientToken", ConsoleSessions.random(), "resumeOnDemand", g.billingMode() == BillingMode.PAY_AS_YOU_GO
                        ? c.extensions.lifecycleAdapter().map(l -> l.resumeOnDemand(r.caller, id)).orElse(null) : null,
                "weights", c.features.groups().workspaceWeights(r.caller, id)));
    }

    static boolean isAdmin(Principal caller, WorkspaceInfo ws) {
        return caller.isAdministrator() || ws.members().stream()
                .anyMatch(m -> m.userId().equals(caller.userId()) && m.role() == WorkspaceRole.ADMIN);
    }

    /** The running (and starting) and queued tasks of a group, per usage type that has any or a quota. */
    static List<TypeTasks> tasks(Console c, Principal caller, String groupId, GroupUsage usage) {
        Map<UsageType, List<InstanceInfo>> running = new EnumMap<>(UsageType.class);
        Map<UsageType, List<InstanceInfo>> queued = new EnumMap<>(UsageType.class);
        for (InstanceStatus s : List.of(InstanceStatus.RUNNING, InstanceStatus.STARTING, InstanceStatus.QUEUED)) {
            for (InstanceInfo i : c.features.instances().list(caller, groupId, s, null, PageRequest.first(200)).items()) {
                (s == InstanceStatus.QUEUED ? queued : running).computeIfAbsent(i.usageType(), t -> new ArrayList<>()).add(i);
            }
        }
        queued.values().forEach(l -> l.sort(java.util.Comparator.comparingInt(
                (InstanceInfo i) -> i.queue() == null ? Integer.MAX_VALUE : i.queue().position())));
        List<TypeTasks> result = new ArrayList<>();
        for (UsageType t : UsageType.values()) {
            var u = usage.byUsageType().get(t);
            boolean any = running.containsKey(t) || queued.containsKey(t) || (u != null && (u.running() > 0 || u.queued() > 0));
            if (any || t == UsageType.SCHEDULING) {
                result.add(new TypeTasks(t, running.getOrDefault(t, List.of()), queued.getOrDefault(t, List.of())));
            }
        }
        return result;
    }

    private static void tasksFragment(Console c, ConsoleRequest r) {
        String id = r.path("id");
        ResourceGroupInfo g = c.features.groups().get(r.caller, id);
        GroupUsage usage = c.features.instances().usage(r.caller, id);
        r.render("groups/tasks.jte", model("g", g, "usage", usage, "tasks", tasks(c, r.caller, id, usage)));
    }

    private static void history(Console c, ConsoleRequest r) {
        UsageHistory history = c.extensions.usageHistoryAdapter().orElseThrow(() -> new SrgException(404,
                "Console.NotAvailable", null, "usage history is not available in this version"));
        Window w = Window.of(r.query("window") == null ? "1h" : r.query("window"));
        Instant to = c.clock.instant();
        json(r, history.history(r.caller, r.path("id"), to.minus(w.span), to, w.step));
    }

    static void json(ConsoleRequest r, Object value) {
        r.ctx.contentType("application/json").result(Json.write(value));
    }

    private static void rename(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            String remark = in.raw("remark");
            c.features.groups().update(r.caller, id, new ResourceGroupManager.UpdateRequest(in.text("name"),
                    remark == null ? null : remark.strip().isEmpty() ? null : remark.strip(), null, null, null));
            r.done("Saved.", "/console/groups/" + id);
        } catch (SrgException e) {
            r.refused("rename", in, e, List.of("name", "remark"), "/console/groups/" + id);
        }
    }

    private static void quotas(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        List<String> fields = new ArrayList<>();
        try {
            Map<UsageType, QuotaSettings.Quota> quotas = new EnumMap<>(UsageType.class);
            for (UsageType t : UsageType.values()) {
                String min = "quotas." + t + ".minCu";
                String max = "quotas." + t + ".maxCu";
                fields.add(min);
                fields.add(max);
            }
            for (UsageType t : UsageType.values()) {
                ComputeUnits min = in.cu("quotas." + t + ".minCu");
                ComputeUnits max = in.cu("quotas." + t + ".maxCu");
                if (min != null || max != null) {
                    quotas.put(t, new QuotaSettings.Quota(min, max));
                }
            }
            c.features.groups().setQuotas(r.caller, id, new QuotaSettings(quotas));
            r.done("Quotas saved; admission re-ran with them.", "/console/groups/" + id + "#quotas");
        } catch (SrgException e) {
            r.refused("quotas", in, e, fields, "/console/groups/" + id);
        }
    }

    private static void concurrency(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            c.features.groups().setConcurrency(r.caller, id, new ConcurrencySettings(in.integer("schedulingMaxRunning")));
            r.done("Concurrency threshold saved.", "/console/groups/" + id + "#concurrency");
        } catch (SrgException e) {
            r.refused("concurrency", in, e, List.of("schedulingMaxRunning"), "/console/groups/" + id);
        }
    }

    private static void queuePolicy(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            dev.srg.admission.QueuePolicy policy = in.enumValue("queuePolicy", dev.srg.admission.QueuePolicy.class);
            if (policy == null) {
                throw SrgException.invalid("queuePolicy", "MissingParameter", "queuePolicy is required: ARRIVAL or FAIR_SHARE");
            }
            Integer halfLife = in.integer("shareHalfLifeSeconds");
            c.features.groups().update(r.caller, id, new ResourceGroupManager.UpdateRequest(null, null, null, policy,
                    halfLife == null ? null : halfLife.longValue()));
            r.done("Queue policy saved; the queue is ordered by it now.", "/console/groups/" + id + "#queue-policy");
        } catch (SrgException e) {
            r.refused("queue-policy", in, e, List.of("queuePolicy", "shareHalfLifeSeconds"), "/console/groups/" + id);
        }
    }

    private static void workspaceWeight(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            String workspaceId = in.text("workspaceId");
            if (workspaceId == null) {
                throw SrgException.invalid("workspaceId", "MissingParameter", "workspaceId is required");
            }
            if ("true".equals(in.text("reset"))) {
                c.features.groups().resetWorkspaceWeight(r.caller, id, workspaceId);
                r.done("Workspace " + workspaceId + " weighs the default again.", "/console/groups/" + id + "#queue-policy");
                return;
            }
            c.features.groups().setWorkspaceWeight(r.caller, id, workspaceId,
                    new dev.srg.group.WorkspaceWeights.SetRequest(in.integer("weight")));
            r.done("Weight of workspace " + workspaceId + " saved; the queue is ordered by it now.", "/console/groups/" + id + "#queue-policy");
        } catch (SrgException e) {
            r.refused("workspace-weight", in, e, List.of("workspaceId", "weight"), "/console/groups/" + id);
        }
    }

    private static void bind(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            var n = c.features.groups().bind(r.caller, id, new ResourceGroupManager.BindRequest(in.text("vpcId"), in.text("vswitchId"),
                    in.text("clientToken")));
            r.auditResource(n.id());
            r.done("VPC " + n.vpcId() + " bound.", "/console/groups/" + id + "#networks");
        } catch (SrgException e) {
            r.refused("bind", in, e, List.of("vpcId", "vswitchId"), "/console/groups/" + id);
        }
    }

    /**
     * SPEC NET-8: a real connection from inside the group's network (a CONNECTIVITY_TEST task, as
     * the API's); the answer comes back as the page's message, with the instance that made it.
     */
    private static void connectivityTest(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            var result = c.features.connectivityTests().test(r.caller, id,
                    new dev.srg.connectivity.ConnectivityTests.Request(in.text("host"), in.integer("port"), null, null));
            String target = in.text("host") + ":" + in.integer("port");
            String message = result.reachable()
                    ? "Reachable: " + target + " (" + result.resolvedAddress() + ") through " + result.path()
                            + (result.latencyMillis() == null ? "" : ", connected in " + result.latencyMillis() + " ms") + "."
                    : "Not reachable: " + target + ": " + result.reason()
                            + (result.path() == dev.srg.network.NetworkPolicy.Path.NONE ? "" : " (path " + result.path() + ")") + ".";
            Flash.Link instance = result.instanceId() == null ? null
                    : new Flash.Link("/console/instances/" + result.instanceId(), "the test's instance");
            r.auditResource(result.instanceId());
            r.done(new Flash(result.reachable() ? Flash.Kind.OK : Flash.Kind.ERROR, message, List.of(), instance),
                    "/console/groups/" + id + "#connectivity");
        } catch (SrgException e) {
            r.refused("connectivity", in, e, List.of("host", "port"), "/console/groups/" + id);
        }
    }

    private static void unbind(Console c, ConsoleRequest r) {
        String id = r.path("id");
        String networkId = r.path("networkId");
        FormInput in = r.form();
        try {
            c.features.groups().unbind(r.caller, id, networkId, in.checkbox("force"));
            r.done("Binding " + networkId + " removed.", "/console/groups/" + id + "#networks");
        } catch (SrgException e) {
            r.refused("unbind-" + networkId, in, e, List.of("force"), "/console/groups/" + id);
        }
    }

    private static void associate(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            String ws = in.text("workspaceId");
            if (ws == null) {
                throw SrgException.invalid("workspaceId", "MissingParameter", "choose a workspace");
            }
            c.features.workspaces().associate(r.caller, ws, new WorkspaceManager.AssociateRequest(id, in.text("clientToken")));
            r.auditResource(ws);
            r.done("Associated with workspace " + ws + ".", "/console/groups/" + id + "#workspaces");
        } catch (SrgException e) {
            r.refused("associate", in, e, List.of("workspaceId", "resourceGroupId"), "/console/groups/" + id);
        }
    }

    private static void dissociate(Console c, ConsoleRequest r) {
        String id = r.path("id");
        String ws = r.path("workspaceId");
        c.features.workspaces().dissociate(r.caller, ws, id);
        r.done("Dissociated from workspace " + ws + ".", "/console/groups/" + id + "#workspaces");
    }

    static final List<String> LIFECYCLE_FIELDS = List.of("specCu", "billingMode", "billingCycle.unit", "billingCycle.count",
            "autoRenew", "confirm");

    private static void lifecycle(Console c, ConsoleRequest r, String action) {
        String id = r.path("id");
        FormInput in = r.form();
        String back = "/console/groups/" + id;
        try {
            GroupLifecycle lifecycle = c.extensions.lifecycleAdapter().orElseThrow(() -> new SrgException(409,
                    "Console.NotAvailable", null, "Scale, convert, renew, enable and unsubscribe are not available in this version."));
            String token = in.text("clientToken");
            if (!action.equals("enable") && !action.equals("unsubscribe")) {
                // the price before money moves: every purchase is quoted first; "Show the price" stops there
                PurchaseQuote q = switch (action) {
                    case "scale" -> lifecycle.quoteScale(r.caller, id, new ResourceGroupLifecycle.ScaleRequest(in.cu("specCu"), token));
                    case "convert" -> lifecycle.quoteConvert(r.caller, id, convertRequest(in, token));
                    default -> lifecycle.quoteRenew(r.caller, id, new ResourceGroupLifecycle.RenewRequest(cycle(in), token));
                };
                if (in.checkbox("quote")) {
                    r.again(action, in, new Flash(Flash.Kind.OK, "Price: " + q.amountShown() + " (" + Fmt.words(q.type())
                            + (q.specCu() == null ? "" : ", " + Fmt.cu(q.specCu()) + " CU") + (q.periodEnd() == null ? ""
                            : " until " + Fmt.time(q.periodEnd())) + "). Nothing is bought until you press " + Fmt.words(action) + ".",
                            q.warnings(), null), back + "#" + action);
                    return;
                }
                if (q.confirmationRequired() && !in.checkbox("confirm")) {
                    throw SrgException.invalid("confirm", "MissingParameter", String.join("; ", q.warnings())
                            + ": tick the box to confirm (running tasks are never stopped)");
                }
            }
            Flash flash = switch (action) {
                case "scale" -> {
                    ComputeUnits spec = in.cu("specCu");
                    if (spec == null) {
                        throw SrgException.invalid("specCu", "MissingParameter", "specCu is required");
                    }
                    var o = lifecycle.scale(r.caller, id, new ResourceGroupLifecycle.ScaleRequest(spec, token));
                    yield ordered(o, o.group().status() == GroupStatus.SCALING
                            ? "Scaling to " + Fmt.cu(spec) + " CU; the new spec takes effect in a moment."
                            : "Scaled to " + Fmt.cu(spec) + " CU.");
                }
                case "convert" -> {
                    var o = lifecycle.convert(r.caller, id, convertRequest(in, token));
                    yield ordered(o, "Converting to a " + Fmt.cu(o.group().targetSpecCu() != null ? o.group().targetSpecCu()
                            : o.group().specCu()) + " CU subscription; running tasks are not affected.");
                }
                case "renew" -> {
                    var o = lifecycle.renew(r.caller, id, new ResourceGroupLifecycle.RenewRequest(cycle(in), token));
                    yield ordered(o, "Renewed until " + Fmt.time(o.group().expiresAt()) + ".");
                }
                case "enable" -> Flash.ok("Enabled: the group admits tasks again (" + Fmt.words(lifecycle.enable(r.caller, id).status())
                        + ").");
                default -> {
                    if (!in.checkbox("confirm")) {
                        throw SrgException.invalid("confirm", "MissingParameter",
                                "tick the box to confirm: the group is released once its tasks end");
                    }
                    lifecycle.unsubscribe(r.caller, id);
                    yield Flash.ok("Unsubscribed: the group admits nothing new and is released once its running tasks end.");
                }
            };
            r.done(flash, back);
        } catch (SrgException e) {
            r.refused(action, in, e, LIFECYCLE_FIELDS, back);
        }
    }

    private static ResourceGroupLifecycle.ConvertRequest convertRequest(FormInput in, String token) {
        return new ResourceGroupLifecycle.ConvertRequest(BillingMode.SUBSCRIPTION, in.cu("specCu"), cycle(in), in.checkbox("autoRenew"),
                token);
    }

    /** The action's message, its order (with a link to it among the orders) and the manager's warnings. */
    private static Flash ordered(GroupLifecycle.Outcome o, String message) {
        List<String> warnings = o.warnings().stream().map(w -> w.isEmpty() ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1)
                + (w.endsWith(".") ? "" : ".")).toList();
        if (o.order() == null) {
            return new Flash(Flash.Kind.OK, message, warnings, null);
        }
        var order = o.order();
        String text = message + " Order " + order.id() + " placed: " + Fmt.words(order.type()) + " "
                + (order.previousSpecCu() != null ? Fmt.cu(order.previousSpecCu()) + " → " : "") + Fmt.cu(order.specCu())
                + " CU, " + order.amount() + " " + order.currency() + ".";
        return new Flash(Flash.Kind.OK, text, warnings, new Flash.Link("/console/billing?resourceGroupId=" + o.group().id()
                + "#order-" + order.id(), "View the order"));
    }
}
