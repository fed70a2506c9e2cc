package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AuditLog;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.IdempotencyKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a group after purchase (SPEC RG-3..RG-8): scale, convert, renew, auto-renew, the
 * 7-day freeze and enable, expiry, release after retention, unsubscribe. Actions are
 * compare-and-set transitions; each purchase records a priced order in the same transaction
 * ({@link PurchaseLedger}); every change, the system's included, is audited; after each one
 * admission re-reads the group's limits.
 *
 * <p>States: CREATING → RUNNING; RUNNING ⇄ SCALING (subscription, {@code scaleDuration});
 * RUNNING → CONVERTING → RUNNING (pay-as-you-go to subscription, {@code convertDuration});
 * RUNNING ⇄ FROZEN (pay-as-you-go, 7 idle days / enable); RUNNING → EXPIRED → RUNNING (renew)
 * or → RELEASING (retention over); any but RELEASING/RELEASED → RELEASING (unsubscribe) → RELEASED
 * once its tasks ended.
 *
 * <p>{@link #runDue()} is the background job: it does everything due by now, in order
 * (transitions, auto-renewals, expiries, releases, freezes, finished releases), idempotently,
 * so that a clock that jumped a month is caught up by one run.
 */
public final class ResourceGroupLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceGroupLifecycle.class);
    private static final String SYSTEM = "system";

    private final Jdbi jdbi;
    private final Clock clock;
    private final ResourceGroupManager groups;
    private final PurchaseLedger ledger;
    private final LifecycleConfig config;
    private final List<GroupActivitySource> activitySources = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<Handle, String>> releaseListeners = new CopyOnWriteArrayList<>();
    private volatile GroupWorkload workload;

    public ResourceGroupLifecycle(Jdbi jdbi, Clock clock, ResourceGroupManager groups, PurchaseLedger ledger,
                                  LifecycleConfig config) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.config = requireNonNull(config, "config is null");
        groups.setLifecycle(this);
    }

    /** The tasks of groups (set once the dispatcher exists). */
    public void setWorkload(GroupWorkload workload) {
        this.workload = requireNonNull(workload, "workload is null");
    }

    /** RG-7: one more kind of activity that keeps pay-as-you-go groups from freezing. */
    public void addActivitySource(GroupActivitySource source) {
        activitySources.add(requireNonNull(source, "source is null"));
    }

    /** Told (inside the releasing transaction) of each group that became RELEASED: e.g. workspaces dissociate it. */
    public void onReleased(BiConsumer<Handle, String> listener) {
        releaseListeners.add(requireNonNull(listener, "listener is null"));
    }

    public LifecycleConfig config() {
        return config;
    }

    public record ScaleRequest(ComputeUnits specCu, String clientToken) {}

    /** {@code billingMode} may be left out (SUBSCRIPTION, the only target); {@code specCu} defaults to the current maxCu. */
    public record ConvertRequest(BillingMode billingMode, ComputeUnits specCu, BillingCycle billingCycle, Boolean autoRenew,
                                 String clientToken) {}

    public record RenewRequest(BillingCycle billingCycle, String clientToken) {}

    /** What a purchase action did: the group now, the order it placed, and any warnings. */
    public record ActionResult(ResourceGroupInfo resourceGroup, String orderId, List<String> warnings) {
        public ActionResult {
            warnings = List.copyOf(warnings);
        }
    }

    // ---- purchase actions ----

    /** The order of a purchase (RG-9), recorded with the new group in its transaction. */
    void created(Handle h, ResourceGroupInfo g, String buyer) {
        boolean subscription = g.billingMode() == BillingMode.SUBSCRIPTION;
        ledger.record(h, new Purchase(g.id(), PurchaseType.CREATE, g.billingMode(), subscription ? g.specCu() : g.maxCu(), null,
                g.billingCycle(), subscription ? g.createdAt() : null, g.expiresAt(), buyer, g.createdAt(),
                subscription ? null : "pay-as-you-go: billed by usage, per CU-hour"));
    }

    /** RG-5: scale a subscription out or in; SCALING until it takes effect. Below what is in use: a warning, nothing stops. */
    public ActionResult scale(Principal caller, String id, ScaleRequest r) {
        // SPEC ACC-1
        caller.requireAll("scale resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        if (r == null || r.specCu() == null) {
            throw SrgException.invalid("specCu", "MissingParameter", "specCu is required: the new spec in whole CUs");
        }
        ComputeUnits spec = ResourceGroupManager.subscriptionSpec("specCu", r.specCu());
        List<String> warnings = new ArrayList<>();
        String orderId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "order", r.clientToken(), "scale|" + id + "|" + spec,
                clock::instant, h -> {
                    ResourceGroupInfo g = lock(h, id);
                    requireStatus(g, "scale", GroupStatus.RUNNING);
                    requireSubscription(g, "scaled");
                    if (spec.equals(g.specCu())) {
                        throw SrgException.invalid("specCu", "InvalidParameter.Spec.Unchanged",
                                "resource group '" + id + "' already has " + spec);
                    }
                    requireAboveMinimums(h, id, spec);
                    long used = workload().usedMilliCu(id);
                    if (spec.milli() < used) {
                        // SPEC RG-5
                        warnings.add("the new spec " + spec + " is below the " + ComputeUnits.ofMilli(used)
                                + " running tasks use now: none of them is stopped, but new tasks queue until usage fits");
                    }
                    Instant now = clock.instant();
                    if (!new LifecycleDao(h).startScaling(id, spec.milli(), now.plus(config.scaleDuration()), now)) {
                        throw concurrentChange(id);
                    }
                    boolean out = spec.compareTo(g.specCu()) > 0;
                    String order = ledger.record(h, new Purchase(id, out ? PurchaseType.SCALE_OUT : PurchaseType.SCALE_IN,
                            BillingMode.SUBSCRIPTION, spec, g.specCu(), null, now, g.expiresAt(), caller.name(), now,
                            out ? "prorated to the end of the period" : "scale-in: no refund"));
                    AuditLog.record(h, now, caller.name(), "resource-group.scale", id, "OK",
                            g.specCu() + " -> " + spec + ", effective by " + now.plus(config.scaleDuration()));
                    return order;
                });
        afterChange(id);
        if (config.scaleDuration().isZero()) {
            completeTransitions();
        }
        return new ActionResult(groups.get(caller, id), orderId, warnings);
    }

    /** RG-6: pay-as-you-go → subscription, CONVERTING for a while, tasks unaffected. The reverse is refused. */
    public ActionResult convert(Principal caller, String id, ConvertRequest r) {
        // SPEC ACC-1
        caller.requireAll("convert resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        ResourceGroupInfo visible = groups.get(caller, id);
        if (r == null) {
            throw SrgException.invalid(null, "MissingParameter", "a body with billingCycle is required");
        }
        if (r.billingMode() == BillingMode.PAY_AS_YOU_GO || (r.billingMode() == null
                && visible.billingMode() == BillingMode.SUBSCRIPTION)) {
            // SPEC RG-6
            throw SrgException.conflict("ResourceGroup.Convert.ToPayAsYouGoNotSupported", "billingMode",
                    "converting a SUBSCRIPTION group to PAY_AS_YOU_GO is not supported (SPEC RG-6); "
                            + "let it expire or unsubscribe it, and buy a PAY_AS_YOU_GO group");
        }
        BillingCycle cycle = BillingCycle.validate("billingCycle", r.billingCycle());
        boolean autoRenew = Boolean.TRUE.equals(r.autoRenew());
        String fingerprint = "convert|" + id + "|" + r.specCu() + "|" + cycle + "|" + autoRenew;
        String orderId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "order", r.clientToken(), fingerprint, clock::instant, h -> {
            ResourceGroupInfo g = lock(h, id);
            if (g.billingMode() == BillingMode.SUBSCRIPTION) {
                throw SrgException.conflict("ResourceGroup.Convert.ToPayAsYouGoNotSupported", "billingMode",
                        "resource group '" + id + "' is already SUBSCRIPTION; converting it to PAY_AS_YOU_GO is not supported (SPEC RG-6)");
            }
            requireStatus(g, "convert", GroupStatus.RUNNING);
            ComputeUnits spec = r.specCu() != null ? ResourceGroupManager.subscriptionSpec("specCu", r.specCu())
                    : ComputeUnits.ofCu(Math.max(ResourceGroupManager.SUBSCRIPTION_MIN_CU, g.maxCu().milli() / 1000));
            requireAboveMinimums(h, id, spec);
            Instant now = clock.instant();
            Instant expires = cycle.addTo(now);
            Instant ends = now.plus(config.convertDuration());
            if (!new LifecycleDao(h).startConverting(id, spec.milli(), cycle, autoRenew, expires, ends, now)) {
                throw concurrentChange(id);
            }
            String order = ledger.record(h, new Purchase(id, PurchaseType.CONVERT, BillingMode.SUBSCRIPTION, spec, null, cycle,
                    now, expires, caller.name(), now, "pay-as-you-go usage is billed until " + now));
            AuditLog.record(h, now, caller.name(), "resource-group.convert", id, "OK",
                    "PAY_AS_YOU_GO -> SUBSCRIPTION " + spec + " for " + cycle.count() + " " + cycle.unit() + ", effective by " + ends);
            return order;
        });
        afterChange(id);
        if (config.convertDuration().isZero()) {
            completeTransitions();
        }
        return new ActionResult(groups.get(caller, id), orderId, List.of());
    }

    /** RG-3, RG-8: renew a subscription; an EXPIRED one runs again from now. */
    public ActionResult renew(Principal caller, String id, RenewRequest r) {
        // SPEC ACC-1
        caller.requireAll("renew resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        if (r == null) {
            throw SrgException.invalid("billingCycle", "MissingParameter", "billingCycle is required");
        }
        BillingCycle cycle = BillingCycle.validate("billingCycle", r.billingCycle());
        String orderId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "order", r.clientToken(), "renew|" + id + "|" + cycle,
                clock::instant, h -> {
                    ResourceGroupInfo g = lock(h, id);
                    requireSubscription(g, "renewed");
                    requireStatus(g, "renew", GroupStatus.RUNNING, GroupStatus.SCALING, GroupStatus.EXPIRED);
                    Instant now = clock.instant();
                    boolean expired = g.status() == GroupStatus.EXPIRED;
                    LifecycleRules.Period period = LifecycleRules.renewal(g.expiresAt(), expired, now, cycle);
                    LifecycleDao dao = new LifecycleDao(h);
                    dao.setExpiry(id, period.end(), now);
                    if (expired && !dao.renewExpired(id, now)) {
                        throw concurrentChange(id);
                    }
                    ComputeUnits spec = g.targetSpecCu() != null ? g.targetSpecCu() : g.specCu();
                    String order = ledger.record(h, new Purchase(id, PurchaseType.RENEW, BillingMode.SUBSCRIPTION, spec, null, cycle,
                            period.start(), period.end(), caller.name(), now, null));
                    AuditLog.record(h, now, caller.name(), "resource-group.renew", id, "OK",
                            (expired ? "EXPIRED -> RUNNING, " : "") + "expires " + period.end());
                    return order;
                });
        afterChange(id);
        return new ActionResult(groups.get(caller, id), orderId, List.of());
    }

    /** Turns monthly auto-renewal (RG-3) on or off. */
    void setAutoRenew(Principal caller, String id, boolean autoRenew) {
        caller.requireAll("change auto-renewal", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        jdbi.useTransaction(h -> {
            ResourceGroupInfo g = lock(h, id);
            ResourceGroupManager.requireNotReleased(g);
            if (g.billingMode() != BillingMode.SUBSCRIPTION && g.status() != GroupStatus.CONVERTING) {
                throw SrgException.conflict("ResourceGroup.NotSubscription", "autoRenew",
                        "resource group '" + id + "' is PAY_AS_YOU_GO: only subscriptions renew");
            }
            new LifecycleDao(h).setAutoRenew(id, autoRenew, clock.instant());
            AuditLog.record(h, clock.instant(), caller.name(), "resource-group.auto-renew", id, "OK", "autoRenew=" + autoRenew);
        });
    }

    /** RG-7: a FROZEN group runs again; its queued tasks are admitted; the 7-day window starts anew. */
    public ResourceGroupInfo enable(Principal caller, String id) {
        caller.requireAll("enable resource groups", Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        jdbi.useTransaction(h -> {
            ResourceGroupInfo g = lock(h, id);
            if (g.status() != GroupStatus.FROZEN) {
                throw SrgException.conflict("ResourceGroup.NotFrozen",
                        "resource group '" + id + "' is " + g.status() + ", not FROZEN: only a frozen group is enabled");
            }
            Instant now = clock.instant();
            new LifecycleDao(h).enable(id, now);
            AuditLog.record(h, now, caller.name(), "resource-group.enable", id, "OK", "FROZEN -> RUNNING");
        });
        afterChange(id);
        return groups.get(caller, id);
    }

    /**
     * RG-8: unsubscribe / release. RELEASING at once: nothing new is admitted and queued tasks are
     * cancelled (they could never run); running tasks finish; then RELEASED and dissociated from
     * its workspaces. No refund of a subscription's remaining period.
     */
    void release(Principal caller, String id) {
        // SPEC ACC-1
        caller.requireAll("unsubscribe resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        jdbi.useTransaction(h -> {
            ResourceGroupInfo g = lock(h, id);
            ResourceGroupManager.requireNotReleased(g);
            Instant now = clock.instant();
            if (!new LifecycleDao(h).startRelease(id, g.status(), now)) {
                throw concurrentChange(id);
            }
            AuditLog.record(h, now, caller.name(), "resource-group.release", id, "OK", g.status() + " -> RELEASING (unsubscribed)");
        });
        releasing(id, "the group is being released (unsubscribed)");
    }

    // ---- the background job ----

    /** Everything due by now, in order. Idempotent; a failure of one group does not stop the others. */
    public void runDue() {
        completeTransitions();
        autoRenew();
        expire();
        releaseAfterRetention();
        freeze();
        finishReleases();
    }

    private void completeTransitions() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).transitionsDue(clock.instant()))) {
            step(id, "complete transition", h -> {
                ResourceGroupInfo g = lock(h, id);
                Instant now = clock.instant();
                LifecycleDao dao = new LifecycleDao(h);
                boolean done = g.status() == GroupStatus.SCALING ? dao.completeScaling(id, now) : dao.completeConverting(id, now);
                if (done) {
                    AuditLog.record(h, now, SYSTEM, g.status() == GroupStatus.SCALING ? "resource-group.scaled" : "resource-group.converted",
                            id, "OK", g.status() + " -> RUNNING, spec " + g.targetSpecCu());
                }
                return done;
            });
        }
    }

    private void autoRenew() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).autoRenewalsDue(clock.instant(), config.autoRenewLead()))) {
            step(id, "auto-renew", h -> {
                ResourceGroupInfo g = lock(h, id);
                if (!Boolean.TRUE.equals(g.autoRenew()) || g.billingMode() != BillingMode.SUBSCRIPTION) {
                    return false;
                }
                Instant now = clock.instant();
                List<LifecycleRules.Period> periods = LifecycleRules.autoRenewals(g.expiresAt(), now, config.autoRenewLead());
                BillingCycle month = new BillingCycle(BillingCycle.Unit.MONTH, 1);
                for (int i = 0; i < periods.size(); i++) {
                    LifecycleRules.Period p = periods.get(i);
                    // SPEC RG-3: monthly, at the current price; a millisecond apart so that they list in order
                    ledger.record(h, new Purchase(id, PurchaseType.AUTO_RENEW, BillingMode.SUBSCRIPTION, g.specCu(), null, month,
                            p.start(), p.end(), SYSTEM, now.plusMillis(i), "renewed automatically " + config.autoRenewLead().toHours()
                            + "h before expiry"));
                    AuditLog.record(h, now, SYSTEM, "resource-group.auto-renew", id, "OK", "expires " + p.end());
                }
                if (!periods.isEmpty()) {
                    new LifecycleDao(h).setExpiry(id, periods.getLast().end(), now);
                }
                return !periods.isEmpty();
            });
        }
    }

    private void expire() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).expiriesDue(clock.instant()))) {
            step(id, "expire", h -> {
                ResourceGroupInfo g = lock(h, id);
                Instant now = clock.instant();
                if (g.expiresAt() == null || g.expiresAt().isAfter(now) || !new LifecycleDao(h).expire(id, g.status(), now)) {
                    return false;
                }
                // SPEC RG-8
                AuditLog.record(h, now, SYSTEM, "resource-group.expire", id, "OK", "expired at " + g.expiresAt()
                        + "; released after " + config.retention().toDays() + " days unless renewed");
                return true;
            });
        }
    }

    private void releaseAfterRetention() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).releasesDue(clock.instant(), config.retention()))) {
            boolean started = step(id, "release after retention", h -> {
                Instant now = clock.instant();
                if (!new LifecycleDao(h).startRelease(id, GroupStatus.EXPIRED, now)) {
                    return false;
                }
                AuditLog.record(h, now, SYSTEM, "resource-group.release", id, "OK",
                        "EXPIRED -> RELEASING: not renewed within " + config.retention().toDays() + " days");
                return true;
            });
            if (started) {
                releasing(id, "the group expired and was not renewed");
            }
        }
    }

    private void freeze() {
        Map<String, Instant> candidates = jdbi.withHandle(h -> new LifecycleDao(h).freezeCandidates());
        if (candidates.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        Map<String, Instant> latest = new HashMap<>();
        Map<String, String> by = new HashMap<>();
        for (GroupActivitySource source : activitySources) {
            source.lastActivity(candidates.keySet(), now).forEach((id, at) -> {
                if (at != null && (!latest.containsKey(id) || at.isAfter(latest.get(id)))) {
                    latest.put(id, at);
                    by.put(id, source.name());
                }
            });
        }
        candidates.forEach((id, since) -> {
            Optional<Instant> due = LifecycleRules.freezeAt(now, since, latest.containsKey(id) ? List.of(latest.get(id)) : List.of());
            if (due.isEmpty()) {
                return;
            }
            step(id, "freeze", h -> {
                Instant t = clock.instant();
                if (!new LifecycleDao(h).freeze(id, t)) {
                    return false;
                }
                // SPEC RG-7
                AuditLog.record(h, t, SYSTEM, "resource-group.freeze", id, "OK", "RUNNING -> FROZEN: no activity for "
                        + LifecycleConfig.FREEZE_AFTER.toDays() + " days (idle since " + due.get().minus(LifecycleConfig.FREEZE_AFTER)
                        + (by.containsKey(id) ? ", last " + by.get(id) : "") + ")");
                return true;
            });
        });
    }

    private void finishReleases() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).releasing())) {
            tryReleased(id);
        }
    }

    /** After RELEASING: stop admission, cancel the queue, and finish at once when nothing runs. */
    private void releasing(String id, String why) {
        groups.limitsChanged(id);
        int cancelled = workload().cancelQueued(id, why);
        if (cancelled > 0) {
            jdbi.useHandle(h -> AuditLog.record(h, clock.instant(), SYSTEM, "resource-group.release.cancel-queued", id, "OK",
                    cancelled + " queued task(s) cancelled: " + why));
        }
        tryReleased(id);
    }

    private void tryReleased(String id) {
        if (workload().running(id) > 0) {
            return;
        }
        step(id, "released", h -> {
            Instant now = clock.instant();
            if (!new LifecycleDao(h).released(id, now)) {
                return false;
            }
            releaseListeners.forEach(l -> l.accept(h, id));
            AuditLog.record(h, now, SYSTEM, "resource-group.released", id, "OK", "RELEASING -> RELEASED; workspaces dissociated");
            return true;
        });
    }

    // ---- helpers ----

    /** Runs one group's step in its own transaction; then admission re-reads the group. */
    private boolean step(String id, String what, java.util.function.Function<Handle, Boolean> body) {
        try {
            boolean changed = jdbi.inTransaction(body::apply);
            if (changed) {
                LOG.info("resource group {}: {}", id, what);
                afterChange(id);
            }
            return changed;
        } catch (RuntimeException e) {
            LOG.warn("resource group {}: {} failed (retried on the next run): {}", id, what, e.toString());
            return false;
        }
    }

    private void afterChange(String id) {
        groups.limitsChanged(id);
    }

    private GroupWorkload workload() {
        GroupWorkload w = workload;
        if (w == null) {
            throw new IllegalStateException("the lifecycle has no workload yet");
        }
        return w;
    }

    private ResourceGroupInfo lock(Handle h, String id) {
        return groups.find(h, id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
    }

    private static void requireSubscription(ResourceGroupInfo g, String what) {
        ResourceGroupManager.requireNotReleased(g);
        if (g.billingMode() != BillingMode.SUBSCRIPTION) {
            throw SrgException.conflict("ResourceGroup.NotSubscription", "resource group '" + g.id()
                    + "' is PAY_AS_YOU_GO: only a SUBSCRIPTION group is " + what + " (convert it first)");
        }
    }

    private static void requireStatus(ResourceGroupInfo g, String action, GroupStatus... allowed) {
        ResourceGroupManager.requireNotReleased(g);
        for (GroupStatus s : allowed) {
            if (g.status() == s) {
                return;
            }
        }
        String hint = switch (g.status()) {
            case EXPIRED -> "; renew it first";
            case FROZEN -> "; enable it first";
            case SCALING, CONVERTING, CREATING -> "; wait until it is RUNNING"
                    + (g.transitionEndsAt() != null ? " (by " + g.transitionEndsAt() + ")" : "");
            default -> "";
        };
        throw SrgException.conflict("ResourceGroup.IncorrectStatus", "cannot " + action + " resource group '" + g.id()
                + "' while it is " + g.status() + hint);
    }

    private static void requireAboveMinimums(Handle h, String id, ComputeUnits spec) {
        long minimums = new LifecycleDao(h).minimumsMilliCu(id);
        if (spec.milli() < minimums) {
            // SPEC ADM-2: minimums sum to at most the spec
            throw SrgException.invalid("specCu", "InvalidParameter.Spec.BelowMinimumQuotas", "specCu " + spec
                    + " is below the sum of the group's minimum quotas, " + ComputeUnits.ofMilli(minimums)
                    + " (SPEC ADM-2); lower the minimums first");
        }
    }

    private static SrgException concurrentChange(String id) {
        return SrgException.conflict("ResourceGroup.ConcurrentChange", "resource group '" + id + "' changed meanwhile; try again");
    }
}
