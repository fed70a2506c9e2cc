package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AccessManager;
import dev.srg.access.AuditLog;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.admission.FairShareSettings;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.QueuePolicy;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.network.NetworkManager;
import dev.srg.quantity.ComputeUnits;
import dev.srg.region.Region;
import dev.srg.region.RegionCatalog;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.OneTrip;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Resource groups: purchase (RG-1..3, NET-1, NET-3, NET-4, ACC-1, ACC-2, ACC-4, RG-10), reading,
 * renaming and network bindings (NET-5, NET-6). Creation is asynchronous: a group is CREATING until
 * the {@link ResourceGroupProvisioner} has provisioned it.
 */
public final class ResourceGroupManager {
    public static final long SUBSCRIPTION_MIN_CU = 2;
    public static final long SUBSCRIPTION_MAX_CU = 1000;
    public static final long PAY_AS_YOU_GO_MAX_CU = 500;
    public static final int DEFAULT_SCHEDULING_MAX_RUNNING = 50;

    private final Jdbi jdbi;
    private final RegionCatalog regions;
    private final NetworkManager networks;
    private final AccessManager access;
    private final Clock clock;
    private final ToIntFunction<String> runningTasks;
    private final AdmissionLimitsReader limitsReader;
    private final List<GroupLimitsListener> limitsListeners;
    private final PurchaseLedger ledger;
    private final ResourceGroupProvisioner provisioner;

    /**
     * @param runningTasks how many tasks run on a group now (unbinding a network they use needs force, NET-5)
     * @param limitsListeners told when a group's admission limits changed (the dispatcher re-admits)
     * @param ledger records the order of each purchase (RG-9) in the purchase's transaction
     * @param provisioner provisions each new group in the background (CREATING → RUNNING)
     */
    public ResourceGroupManager(Jdbi jdbi, RegionCatalog regions, NetworkManager networks, AccessManager access,
                                Clock clock, ToIntFunction<String> runningTasks, List<GroupLimitsListener> limitsListeners,
                                PurchaseLedger ledger, ResourceGroupProvisioner provisioner) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.regions = requireNonNull(regions, "regions is null");
        this.networks = requireNonNull(networks, "networks is null");
        this.access = requireNonNull(access, "access is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.runningTasks = requireNonNull(runningTasks, "runningTasks is null");
        this.limitsListeners = List.copyOf(requireNonNull(limitsListeners, "limitsListeners is null"));
        this.limitsReader = new AdmissionLimitsReader(jdbi, clock);
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.provisioner = requireNonNull(provisioner, "provisioner is null");
    }

    /** Provisions the groups a crash left CREATING (at start). */
    public void resumeProvisioning() {
        creating().forEach(id -> provisioner.schedule(id, this::markProvisioned));
    }

    /** Admission re-reads the group's limits (after a lifecycle change). */
    void limitsChanged(String id) {
        limitsListeners.forEach(l -> l.limitsChanged(id));
    }

    /** What admission needs to know of a group, read from the store (the truth). */
    public GroupLimits admissionLimits(String groupId) {
        return limitsReader.read(groupId);
    }

    /** A group and its limits now, as a submission checks them (one statement); empty for an unknown id. */
    public Optional<AdmissionLimitsReader.Submitting> forSubmit(String groupId) {
        return limitsReader.forSubmit(groupId);
    }

    /** {@link #forSubmit} as a read for one round trip with others (see {@link AdmissionLimitsReader#forSubmitOfWorkspaceRead}). */
    public OneTrip.Read<AdmissionLimitsReader.Submitting> forSubmitOfWorkspaceRead() {
        return limitsReader.forSubmitOfWorkspaceRead();
    }

    public QuotaSettings quotas(Principal caller, String id) {
        get(caller, id);
        return jdbi.withHandle(h -> new ResourceGroupDao(h).quotas(id));
    }

    /** ADM-2: replaces the quotas; minimums sum to at most the capacity, each minimum at most its maximum. */
    public QuotaSettings setQuotas(Principal caller, String id, QuotaSettings request) {
        caller.requireAll("change quotas", Policy.ResourceGroupFullAccess);
        if (request == null || request.quotas() == null) {
            throw SrgException.invalid("quotas", "MissingParameter", "quotas is required (an empty object removes them all)");
        }
        jdbi.useTransaction(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g);
            checkQuotas("quotas", request.quotas(), g.quotaCapacity());
            dao.replaceQuotas(id, request);
        });
        limitsChanged(id);
        return quotas(caller, id);
    }

    /**
     * ADM-2 for a quota set under {@code field} (the PUT's {@code quotas}, a scheduled profile's
     * {@code profiles[i].quotas}): each bound named, minimum at most maximum, maximum at most the
     * capacity, minimums summing to at most the capacity. Returns the sum of the minimums.
     */
    static long checkQuotas(String field, java.util.Map<dev.srg.admission.UsageType, QuotaSettings.Quota> quotas,
                            ComputeUnits capacity) {
        long minimums = 0;
        for (var e : quotas.entrySet()) {
            String typeField = field + "." + e.getKey();
            QuotaSettings.Quota q = e.getValue();
            if (q == null || (q.minCu() == null && q.maxCu() == null)) {
                throw SrgException.invalid(typeField, "InvalidParameter.Quota", typeField + " needs minCu, maxCu or both");
            }
            if (q.minCu() != null && q.maxCu() != null && q.minCu().compareTo(q.maxCu()) > 0) {
                throw SrgException.invalid(typeField + ".minCu", "InvalidParameter.Quota",
                        typeField + ".minCu " + q.minCu() + " is above its maxCu " + q.maxCu() + " (see docs/rules.md#ADM-2)");
            }
            if (q.maxCu() != null && q.maxCu().compareTo(capacity) > 0) {
                throw SrgException.invalid(typeField + ".maxCu", "InvalidParameter.Quota",
                        typeField + ".maxCu " + q.maxCu() + " is above the group's capacity " + capacity);
            }
            minimums += q.minCu() == null ? 0 : q.minCu().milli();
        }
        if (minimums > capacity.milli()) {
            throw SrgException.invalid(field, "InvalidParameter.Quota.MinimumsAboveSpec",
                    "the minimums sum to " + ComputeUnits.ofMilli(minimums) + ", above the group's capacity "
                            + capacity + " (see docs/rules.md#ADM-2)");
        }
        return minimums;
    }

    public ConcurrencySettings concurrency(Principal caller, String id) {
        return new ConcurrencySettings(get(caller, id).schedulingMaxRunning());
    }

    /** ADM-4: 1 to 200 SCHEDULING tasks at once. */
    public ConcurrencySettings setConcurrency(Principal caller, String id, ConcurrencySettings request) {
        caller.requireAll("change the concurrency threshold", Policy.ResourceGroupFullAccess);
        Integer n = request == null ? null : request.schedulingMaxRunning();
        if (n == null) {
            throw SrgException.invalid("schedulingMaxRunning", "MissingParameter", "schedulingMaxRunning is required");
        }
        if (n < GroupLimits.MIN_SCHEDULING_MAX_RUNNING || n > GroupLimits.MAX_SCHEDULING_MAX_RUNNING) {
            throw SrgException.invalid("schedulingMaxRunning", "InvalidParameter.Concurrency",
                    "schedulingMaxRunning must be " + GroupLimits.MIN_SCHEDULING_MAX_RUNNING + " to "
                            + GroupLimits.MAX_SCHEDULING_MAX_RUNNING + ", got " + n + " (see docs/rules.md#ADM-4)");
        }
        jdbi.useTransaction(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g);
            dao.setSchedulingMaxRunning(id, n, clock.instant());
        });
        limitsChanged(id);
        return concurrency(caller, id);
    }

    public record CreateRequest(String name, String remark, String regionId, String zoneId, BillingMode billingMode,
                                ComputeUnits specCu, ComputeUnits maxCu, BillingCycle billingCycle, Boolean autoRenew,
                                String vpcId, String vswitchId, String clientToken, QueuePolicy queuePolicy) {
        /** The request as compared for idempotency: everything but the token. */
        String fingerprint() {
            return String.join("|", String.valueOf(name), String.valueOf(remark), String.valueOf(regionId),
                    String.valueOf(zoneId), String.valueOf(billingMode), String.valueOf(specCu), String.valueOf(maxCu),
                    String.valueOf(billingCycle), String.valueOf(autoRenew), String.valueOf(vpcId), String.valueOf(vswitchId))
                    + (queuePolicy == null ? "" : "|" + queuePolicy);
        }
    }

    /**
     * {@code autoRenew} turns a subscription's monthly auto-renewal on or off (RG-3);
     * {@code queuePolicy} orders the queue (ARRIVAL or FAIR_SHARE, docs/rules.md#queue-policy);
     * {@code shareHalfLifeSeconds} is how fast past use stops counting in FAIR_SHARE's shares (60 .. 2592000).
     */
    public record UpdateRequest(String name, String remark, Boolean autoRenew, QueuePolicy queuePolicy, Long shareHalfLifeSeconds) {}

    public record BindRequest(String vpcId, String vswitchId, String clientToken) {}

    /** A create request that passed every check that needs no transaction. */
    private record Checked(String name, String remark, Region region, ComputeUnits specCu, ComputeUnits maxCu,
                           BillingCycle billingCycle, Boolean autoRenew) {}

    private Checked check(Principal caller, CreateRequest r) {
        // SPEC ACC-1: buying needs both policies
        caller.requireAll("buy resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        String name = Names.require("name", r.name());
        String remark = r.remark() == null ? null : Names.check("remark", r.remark());
        if (r.billingMode() == null) {
            throw SrgException.invalid("billingMode", "MissingParameter", "billingMode is required: SUBSCRIPTION or PAY_AS_YOU_GO");
        }
        Region region = regions.require("regionId", r.regionId());
        if (!region.purchasable()) {
            throw SrgException.invalid("regionId", "InvalidParameter.Region.NotPurchasable",
                    "resource groups cannot be purchased in region '" + region.id() + "' (" + region.name() + ")");
        }
        if (r.zoneId() == null) {
            throw SrgException.invalid("zoneId", "MissingParameter", "zoneId is required");
        }
        if (!region.hasZone(r.zoneId())) {
            throw SrgException.invalid("zoneId", "InvalidParameter.Zone", "zone '" + r.zoneId() + "' is not in region '"
                    + region.id() + "'; zones there: " + region.zones().stream().map(z -> z.id()).toList());
        }
        ComputeUnits spec = null;
        ComputeUnits max = null;
        BillingCycle cycle = null;
        Boolean autoRenew = null;
        if (r.billingMode() == BillingMode.SUBSCRIPTION) {
            spec = subscriptionSpec("specCu", r.specCu());
            absent("maxCu", r.maxCu(), "a SUBSCRIPTION group has specCu, not maxCu");
            cycle = BillingCycle.validate("billingCycle", r.billingCycle());
            autoRenew = Boolean.TRUE.equals(r.autoRenew());
        } else {
            max = payAsYouGoMax("maxCu", r.maxCu());
            absent("specCu", r.specCu(), "a PAY_AS_YOU_GO group has maxCu, not specCu");
            absent("billingCycle", r.billingCycle(), "a PAY_AS_YOU_GO group has no billing cycle");
            absent("autoRenew", r.autoRenew(), "a PAY_AS_YOU_GO group is not renewed");
        }
        return new Checked(name, remark, region, spec, max, cycle, autoRenew);
    }

    /** What {@link #create} would order and cost (the network checked as a purchase checks it); writes nothing. */
    public PurchaseQuote quoteCreate(Principal caller, CreateRequest r) {
        Checked c = check(caller, r);
        jdbi.useHandle(h -> networks.requireBindable(h, caller, r.vpcId(), r.vswitchId(), c.region().id(), r.zoneId()));
        Instant now = clock.instant();
        ResourceGroupInfo group = new ResourceGroupInfo("rg-quote", c.name(), c.remark(), GroupStatus.CREATING, r.billingMode(),
                c.specCu(), c.maxCu(), c.region().id(), r.zoneId(), List.of(), c.billingCycle(), c.autoRenew(),
                c.billingCycle() == null ? null : c.billingCycle().addTo(now), DEFAULT_SCHEDULING_MAX_RUNNING, now, now, List.of());
        return PurchaseQuote.of(null, LifecycleDecider.created(group, caller.name()), ledger, List.of());
    }

    public ResourceGroupInfo create(Principal caller, CreateRequest r) {
        Checked c = check(caller, r);
        String name = c.name();
        String remark = c.remark();
        Region region = c.region();
        ComputeUnits specCu = c.specCu();
        ComputeUnits maxCu = c.maxCu();
        BillingCycle billingCycle = c.billingCycle();
        Boolean renew = c.autoRenew();
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "resource-group", r.clientToken(), r.fingerprint(),
                clock::instant, h -> {
                    // SPEC NET-3, NET-4, ACC-2
                    networks.requireBindable(h, caller, r.vpcId(), r.vswitchId(), region.id(), r.zoneId());
                    // SPEC ACC-4
                    access.ensureServiceLinkedRole(h, caller);
                    Instant now = clock.instant();
                    String newId = Ids.next("rg", now.toEpochMilli());
                    ResourceGroupInfo group = new ResourceGroupInfo(newId, name, remark, GroupStatus.CREATING,
                            r.billingMode(), specCu, maxCu, region.id(), r.zoneId(), List.of(), billingCycle, renew,
                            billingCycle == null ? null : billingCycle.addTo(now), DEFAULT_SCHEDULING_MAX_RUNNING,
                            now, now, List.of()).withQueuePolicy(r.queuePolicy());
                    ResourceGroupDao dao = new ResourceGroupDao(h);
                    dao.insert(group, caller.userId());
                    dao.insertNetwork(newId, new GroupNetwork(Ids.next("rgn", now.toEpochMilli()), r.vpcId(), r.vswitchId(),
                            r.billingMode() == BillingMode.SUBSCRIPTION, now));
                    // SPEC RG-9: the purchase's order, in the same transaction
                    ledger.record(h, LifecycleDecider.created(group, caller.name()));
                    return newId;
                });
        provisioner.schedule(id, this::markProvisioned);
        return get(caller, id);
    }

    public ResourceGroupInfo get(Principal caller, String id) {
        return jdbi.withHandle(h -> {
            ResourceGroupInfo g = new ResourceGroupDao(h).find(id, false)
                    .orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            if (!caller.has(Policy.ResourceGroupFullAccess) && !new ResourceGroupDao(h).visibleTo(id, caller.userId())) {
                // do not reveal that the group exists
                throw SrgException.notFound("ResourceGroup", id);
            }
            return g;
        });
    }

    /** Whether the user is a member of a workspace the group is associated with (it may see the group). */
    public boolean visibleTo(Handle h, String groupId, String userId) {
        return new ResourceGroupDao(h).visibleTo(groupId, userId);
    }

    /** A group read by the platform itself (no caller): for other features' rules. */
    public java.util.Optional<ResourceGroupInfo> find(Handle h, String id, boolean forUpdate) {
        return new ResourceGroupDao(h).find(id, forUpdate);
    }

    public Page<ResourceGroupInfo> list(Principal caller, String regionId, GroupStatus status, PageRequest page) {
        String visibleTo = caller.has(Policy.ResourceGroupFullAccess) ? null : caller.userId();
        return jdbi.withHandle(h -> page.page(
                new ResourceGroupDao(h).list(regionId, status, visibleTo, page.afterId(), page.limit()), ResourceGroupInfo::id));
    }

    public ResourceGroupInfo update(Principal caller, String id, UpdateRequest r) {
        caller.requireAll("change resource groups", Policy.ResourceGroupFullAccess);
        String name = r.name() == null ? null : Names.require("name", r.name());
        String remark = r.remark() == null ? null : Names.check("remark", r.remark());
        if (name == null && remark == null && r.autoRenew() == null && r.queuePolicy() == null && r.shareHalfLifeSeconds() == null) {
            throw SrgException.invalid(null, "MissingParameter",
                    "nothing to change: give name, remark, autoRenew, queuePolicy and/or shareHalfLifeSeconds");
        }
        if (r.shareHalfLifeSeconds() != null) {
            checkShareHalfLife(r.shareHalfLifeSeconds()); // before anything of the request changes
        }
        if (r.queuePolicy() != null) {
            setQueuePolicy(caller, id, r.queuePolicy());
        }
        if (r.shareHalfLifeSeconds() != null) {
            setShareHalfLife(caller, id, r.shareHalfLifeSeconds());
        }
        if (r.autoRenew() != null) {
            setAutoRenew(caller, id, r.autoRenew());
        }
        if (name == null && remark == null) {
            return get(caller, id);
        }
        jdbi.useTransaction(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g);
            dao.rename(id, name, remark, clock.instant());
        });
        return get(caller, id);
    }

    /**
     * Sets how the group orders its queue (docs/rules.md#queue-policy); audited with the old and new
     * policy, and admission re-reads the group's limits (the queue is re-ordered at once).
     */
    private void setQueuePolicy(Principal caller, String id, QueuePolicy policy) {
        QueuePolicy before = jdbi.inTransaction(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g, "queuePolicy");
            if (g.queuePolicy() != policy) {
                Instant now = clock.instant();
                dao.setQueuePolicy(id, policy, now);
                AuditLog.record(h, now, caller.name(), "resource-group.queue-policy", id, "OK",
                        "queuePolicy " + g.queuePolicy() + " -> " + policy);
            }
            return g.queuePolicy();
        });
        if (before != policy) {
            limitsChanged(id);
        }
    }

    private static void checkShareHalfLife(long seconds) {
        long min = FairShareSettings.MIN_HALF_LIFE.toSeconds();
        long max = FairShareSettings.MAX_HALF_LIFE.toSeconds();
        if (seconds < min || seconds > max) {
            throw SrgException.invalid("shareHalfLifeSeconds", "InvalidParameter.ShareHalfLife", "shareHalfLifeSeconds must be "
                    + min + " (1 minute) to " + max + " (30 days), got " + seconds + " (see docs/rules.md#queue-policy)");
        }
    }

    /**
     * Sets the half-life of the group's shares (docs/rules.md#queue-policy); audited with the old and
     * new value; admission re-reads the group's limits and recomputes the shares from the stored runs.
     */
    private void setShareHalfLife(Principal caller, String id, long seconds) {
        long before = jdbi.inTransaction(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g, "shareHalfLifeSeconds");
            if (g.shareHalfLifeSeconds() != seconds) {
                Instant now = clock.instant();
                dao.setShareHalfLife(id, seconds, now);
                AuditLog.record(h, now, caller.name(), "resource-group.share-half-life", id, "OK",
                        "shareHalfLifeSeconds " + g.shareHalfLifeSeconds() + " -> " + seconds);
            }
            return g.shareHalfLifeSeconds();
        });
        if (before != seconds) {
            limitsChanged(id);
        }
    }

    /** The weight of every workspace of the group in its FAIR_SHARE order (docs/rules.md#queue-policy). */
    public WorkspaceWeights workspaceWeights(Principal caller, String id) {
        ResourceGroupInfo g = get(caller, id);
        Map<String, Integer> explicit = jdbi.withHandle(h -> new ResourceGroupDao(h).shareWeights(List.of(id))).getOrDefault(id, Map.of());
        List<WorkspaceWeights.Weight> weights = g.workspaceIds().stream().map(ws -> new WorkspaceWeights.Weight(ws,
                explicit.getOrDefault(ws, FairShareSettings.DEFAULT_WEIGHT), explicit.containsKey(ws))).toList();
        return new WorkspaceWeights(id, g.shareHalfLifeSeconds(), FairShareSettings.DEFAULT_WEIGHT, weights);
    }

    /**
     * Sets a workspace's weight in the group (0 .. 100, docs/rules.md#queue-policy): the workspace must
     * use the group; audited with the old and new weight; the queue is re-ordered at once.
     */
    public WorkspaceWeights setWorkspaceWeight(Principal caller, String id, String workspaceId, WorkspaceWeights.SetRequest r) {
        caller.requireAll("change workspace weights", Policy.ResourceGroupFullAccess);
        Integer weight = r == null ? null : r.weight();
        if (weight == null) {
            throw SrgException.invalid("weight", "MissingParameter", "weight is required: an integer 0 to 100");
        }
        if (weight < FairShareSettings.MIN_WEIGHT || weight > FairShareSettings.MAX_WEIGHT) {
            throw SrgException.invalid("weight", "InvalidParameter.Weight", "weight must be " + FairShareSettings.MIN_WEIGHT + " to "
                    + FairShareSettings.MAX_WEIGHT + ", got " + weight + " (see docs/rules.md#queue-policy)");
        }
        boolean changed = jdbi.inTransaction(h -> {
            ResourceGroupInfo g = requireUsedBy(h, id, workspaceId);
            requireNotReleased(g, "weight");
            Instant now = clock.instant();
            Integer before = new ResourceGroupDao(h).setShareWeight(id, workspaceId, weight, now);
            int old = before == null ? FairShareSettings.DEFAULT_WEIGHT : before;
            if (before != null && before.intValue() == weight) {
                return false;
            }
            AuditLog.record(h, now, caller.name(), "resource-group.workspace-weight", id, "OK",
                    "workspace " + workspaceId + " weight " + old + " -> " + weight);
            return true;
        });
        if (changed) {
            limitsChanged(id);
        }
        return workspaceWeights(caller, id);
    }

    /** Gives a workspace the default weight (1) again; audited when it had another. */
    public void resetWorkspaceWeight(Principal caller, String id, String workspaceId) {
        caller.requireAll("change workspace weights", Policy.ResourceGroupFullAccess);
        boolean changed = jdbi.inTransaction(h -> {
            ResourceGroupInfo g = new ResourceGroupDao(h).find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g, "weight");
            Integer before = new ResourceGroupDao(h).resetShareWeight(id, workspaceId);
            if (before == null) {
                return false;
            }
            AuditLog.record(h, clock.instant(), caller.name(), "resource-group.workspace-weight", id, "OK",
                    "workspace " + workspaceId + " weight " + before + " -> " + FairShareSettings.DEFAULT_WEIGHT + " (reset)");
            return before != FairShareSettings.DEFAULT_WEIGHT;
        });
        if (changed) {
            limitsChanged(id);
        }
    }

    /** The group, locked; 400 when {@code workspaceId} does not use it (a weight orders only its own workspaces). */
    private static ResourceGroupInfo requireUsedBy(Handle h, String id, String workspaceId) {
        ResourceGroupDao dao = new ResourceGroupDao(h);
        ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
        if (!g.workspaceIds().contains(workspaceId)) {
            throw SrgException.invalid("workspaceId", "InvalidParameter.Workspace.NotInGroup", "workspace '" + workspaceId
                    + "' does not use resource group '" + id + "': associate it first (POST /workspaces/{id}/resource-groups)");
        }
        return g;
    }

    /** Turns monthly auto-renewal (RG-3) on or off: decided by the lifecycle's rules, applied here. */
    private void setAutoRenew(Principal caller, String id, boolean autoRenew) {
        caller.requireAll("change auto-renewal", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        jdbi.useTransaction(h -> {
            LifecycleDao dao = new LifecycleDao(h);
            GroupState g = dao.state(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            Instant now = clock.instant();
            dao.apply(id, LifecycleDecider.setAutoRenew(g, autoRenew, caller.name(), now), ledger, now)
                    .orElseThrow(() -> ResourceGroupLifecycle.concurrentChange(id));
        });
    }

    public List<GroupNetwork> networks(Principal caller, String id) {
        return get(caller, id).networks();
    }

    public GroupNetwork bind(Principal caller, String id, BindRequest r) {
        caller.requireAll("bind VPCs to resource groups", Policy.ResourceGroupFullAccess);
        String networkId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "group-network:" + id, r.clientToken(),
                r.vpcId() + "|" + r.vswitchId(), clock::instant, h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            requireNotReleased(g);
            // SPEC NET-5, NET-3, NET-4, ACC-2
            networks.requireBindable(h, caller, r.vpcId(), r.vswitchId(), g.regionId(), g.zoneId());
            if (g.networks().stream().anyMatch(n -> n.vpcId().equals(r.vpcId()))) {
                throw SrgException.conflict("ResourceGroup.Network.AlreadyBound", "vpcId",
                        "VPC '" + r.vpcId() + "' is already bound to resource group '" + id + "'");
            }
            Instant now = clock.instant();
            GroupNetwork n = new GroupNetwork(Ids.next("rgn", now.toEpochMilli()), r.vpcId(), r.vswitchId(), false, now);
            dao.insertNetwork(id, n);
            return n.id();
        });
        return networks(caller, id).stream().filter(n -> n.id().equals(networkId)).findFirst()
                .orElseThrow(() -> SrgException.notFound("ResourceGroup.Network", networkId)); // a repeat after an unbind
    }

    public void unbind(Principal caller, String id, String networkId, boolean force) {
        caller.requireAll("unbind VPCs from resource groups", Policy.ResourceGroupFullAccess);
        jdbi.useTransaction(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            GroupNetwork n = g.networks().stream().filter(x -> x.id().equals(networkId)).findFirst()
                    .orElseThrow(() -> SrgException.notFound("ResourceGroup.Network", networkId));
            if (n.dataService()) {
                // SPEC NET-6
                throw SrgException.conflict("ResourceGroup.Network.DataServiceBinding",
                        "binding '" + networkId + "' is the first VPC of a subscription group, used by DataService APIs;"
                                + " it can never be removed or replaced");
            }
            if (g.networks().size() == 1) {
                throw SrgException.conflict("ResourceGroup.Network.LastBinding",
                        "binding '" + networkId + "' is the group's only VPC; bind another one first");
            }
            int running = runningTasks.applyAsInt(id);
            if (running > 0 && !force) {
                // SPEC NET-5
                throw SrgException.conflict("ResourceGroup.Network.InUse", "force",
                        running + " running task(s) of this group may use VPC '" + n.vpcId()
                                + "'; removing it may fail them. Repeat with force=true to remove it anyway");
            }
            dao.deleteNetwork(id, networkId);
            if (running > 0) {
                AuditLog.record(h, clock.instant(), caller.name(), "resource-group.network.force-unbind", id, "OK",
                        "removed " + networkId + " while " + running + " task(s) were running");
            }
        });
    }

    /** CREATING → RUNNING once provisioned; false when the group was not CREATING. */
    private boolean markProvisioned(String id) {
        boolean provisioned = jdbi.inTransaction(h -> {
            boolean done = new ResourceGroupDao(h).transition(id, GroupStatus.CREATING, GroupStatus.RUNNING, clock.instant());
            if (done) {
                AuditLog.record(h, clock.instant(), "system", "resource-group.provisioned", id, "OK", "CREATING -> RUNNING");
            }
            return done;
        });
        if (provisioned) {
            limitsChanged(id);
        }
        return provisioned;
    }

    private List<String> creating() {
        return jdbi.withHandle(h -> new ResourceGroupDao(h).idsInStatus(GroupStatus.CREATING));
    }

    static void requireNotReleased(ResourceGroupInfo g) {
        requireNotReleased(g, null);
    }

    /** 409 {@code ResourceGroup.Released} naming {@code field}: a group being released or released takes nothing new (RG-4). */
    public static void requireNotReleased(ResourceGroupInfo g, String field) {
        requireNotReleased(g.id(), g.status(), field);
    }

    /** As {@link #requireNotReleased(ResourceGroupInfo, String)}, for a caller that read the group's status alone. */
    public static void requireNotReleased(String groupId, GroupStatus status, String field) {
        if (!status.associable()) {
            throw SrgException.conflict("ResourceGroup.Released", field, "resource group '" + groupId + "' is " + status);
        }
    }

    static ComputeUnits subscriptionSpec(String field, ComputeUnits spec) {
        if (spec == null) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required for a SUBSCRIPTION group");
        }
        if (!spec.isWhole() || spec.milli() < SUBSCRIPTION_MIN_CU * 1000 || spec.milli() > SUBSCRIPTION_MAX_CU * 1000) {
            // SPEC RG-2
            throw SrgException.invalid(field, "InvalidParameter.Spec",
                    field + " of a SUBSCRIPTION group is a whole number of CU from " + SUBSCRIPTION_MIN_CU + " to "
                            + SUBSCRIPTION_MAX_CU + ", got " + spec.toCu().toPlainString());
        }
        return spec;
    }

    static ComputeUnits payAsYouGoMax(String field, ComputeUnits max) {
        if (max == null) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required for a PAY_AS_YOU_GO group");
        }
        if (!max.isWhole() || max.milli() > PAY_AS_YOU_GO_MAX_CU * 1000) {
            // SPEC RG-2
            throw SrgException.invalid(field, "InvalidParameter.MaxCu",
                    field + " of a PAY_AS_YOU_GO group is a whole number of CU from 1 to " + PAY_AS_YOU_GO_MAX_CU
                            + ", got " + max.toCu().toPlainString());
        }
        return max;
    }

    private static void absent(String field, Object value, String why) {
        if (value != null) {
            throw SrgException.invalid(field, "InvalidParameter.NotApplicable", field + " must be left out: " + why);
        }
    }
}
