package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AuditLog;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.quantity.ComputeUnits;
import dev.srg.store.IdempotencyKeys;
import dev.srg.trace.CrashPoint;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * <p>Decide, then apply (STYLE #6): every action and every step of the job gathers what it needs
 * (the locked group, CUs in use, minimums, activity, the time), asks the pure
 * {@link LifecycleDecider}, and applies its {@link LifecycleDecision} in one transaction
 * ({@link LifecycleDao#apply}).
 *
 * <p>{@link #runDue()} is the background job: it does everything due by now, in order
 * (transitions, auto-renewals, expiries, releases, freezes, finished releases), idempotently,
 * so that a clock that jumped a month is caught up by one run.
 */
public final class ResourceGroupLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceGroupLifecycle.class);

    private final Jdbi jdbi;
    private final Clock clock;
    private final ResourceGroupManager groups;
    private final PurchaseLedger ledger;
    private final LifecycleDecider decider;
    private final GroupWorkload workload;
    private final List<GroupActivitySource> activitySources;
    private final List<BiConsumer<Handle, String>> releaseListeners;

    /**
     * @param workload the tasks of groups
     * @param activitySources RG-7: each kind of activity that keeps pay-as-you-go groups from freezing
     * @param releaseListeners told (inside the releasing transaction) of each group that became
     *     RELEASED: e.g. workspaces dissociate it
     */
    public ResourceGroupLifecycle(Jdbi jdbi, Clock clock, ResourceGroupManager groups, PurchaseLedger ledger,
                                  LifecycleConfig config, GroupWorkload workload, List<GroupActivitySource> activitySources,
                                  List<BiConsumer<Handle, String>> releaseListeners) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.ledger = requireNonNull(ledger, "ledger is null");
        this.decider = new LifecycleDecider(requireNonNull(config, "config is null"));
        this.workload = requireNonNull(workload, "workload is null");
        this.activitySources = List.copyOf(activitySources);
        this.releaseListeners = List.copyOf(releaseListeners);
    }

    public LifecycleConfig config() {
        return decider.config();
    }

    /** What the group's owner may ask of it now (the console offers these and no others). */
    public static java.util.Set<LifecycleDecider.Action> offered(ResourceGroupInfo g) {
        return LifecycleDecider.offered(new GroupState(g.id(), g.status(), g.billingMode(), g.specCu(), g.maxCu(), g.targetSpecCu(),
                g.transitionEndsAt(), g.billingCycle(), Boolean.TRUE.equals(g.autoRenew()), g.expiresAt(), null, null));
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

    /** RG-5: scale a subscription out or in; SCALING until it takes effect. Below what is in use: a warning, nothing stops. */
    public ActionResult scale(Principal caller, String id, ScaleRequest r) {
        ComputeUnits spec = scalable(caller, id, r);
        List<String> warnings = new ArrayList<>();
        String orderId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "order", r.clientToken(), "scale|" + id + "|" + spec,
                clock::instant, h -> {
                    GroupState g = lock(h, id);
                    LifecycleDao dao = new LifecycleDao(h);
                    long minimums = dao.minimumsMilliCu(id);
                    Instant now = clock.instant();
                    LifecycleDecision d = decider.scale(g, spec, minimums, workload.usedMilliCu(id), dao.paidPeriods(id, now),
                            caller.name(), now);
                    warnings.addAll(d.warnings());
                    return applyOrConflict(dao, id, d, now);
                });
        afterChange(id);
        if (config().scaleDuration().isZero()) {
            completeTransitions();
        }
        return new ActionResult(groups.get(caller, id), orderId, warnings);
    }

    /** RG-6: pay-as-you-go → subscription, CONVERTING for a while, tasks unaffected. The reverse is refused. */
    public ActionResult convert(Principal caller, String id, ConvertRequest r) {
        BillingCycle cycle = convertible(caller, id, r);
        boolean autoRenew = Boolean.TRUE.equals(r.autoRenew());
        String fingerprint = "convert|" + id + "|" + r.specCu() + "|" + cycle + "|" + autoRenew;
        String orderId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "order", r.clientToken(), fingerprint, clock::instant, h -> {
            GroupState g = lock(h, id);
            LifecycleDao dao = new LifecycleDao(h);
            Instant now = clock.instant();
            LifecycleDecision d = decider.convert(g, r.specCu(), cycle, autoRenew, dao.minimumsMilliCu(id), caller.name(), now);
            return applyOrConflict(dao, id, d, now);
        });
        afterChange(id);
        if (config().convertDuration().isZero()) {
            completeTransitions();
        }
        return new ActionResult(groups.get(caller, id), orderId, List.of());
    }

    /** RG-3, RG-8: renew a subscription; an EXPIRED one runs again from now. */
    public ActionResult renew(Principal caller, String id, RenewRequest r) {
        BillingCycle cycle = renewable(caller, id, r);
        String orderId = IdempotencyKeys.createOnce(jdbi, caller.userId(), "order", r.clientToken(), "renew|" + id + "|" + cycle,
                clock::instant, h -> {
                    GroupState g = lock(h, id);
                    Instant now = clock.instant();
                    LifecycleDao dao = new LifecycleDao(h);
                    return applyOrConflict(dao, id, decider.renew(g, cycle, dao.billingAnchor(id, g.expiresAt()), caller.name(), now), now);
                });
        afterChange(id);
        return new ActionResult(groups.get(caller, id), orderId, List.of());
    }

    // ---- quotes: the price before money moves ----

    /** What {@link #scale} would order and cost, decided the same way; writes nothing. */
    public PurchaseQuote quoteScale(Principal caller, String id, ScaleRequest r) {
        ComputeUnits spec = scalable(caller, id, r);
        return quote(id, (h, g) -> {
            Instant now = clock.instant();
            LifecycleDao dao = new LifecycleDao(h);
            return decider.scale(g, spec, dao.minimumsMilliCu(id), workload.usedMilliCu(id), dao.paidPeriods(id, now), caller.name(), now);
        });
    }

    /** What {@link #convert} would order and cost; writes nothing. */
    public PurchaseQuote quoteConvert(Principal caller, String id, ConvertRequest r) {
        BillingCycle cycle = convertible(caller, id, r);
        boolean autoRenew = Boolean.TRUE.equals(r.autoRenew());
        return quote(id, (h, g) -> decider.convert(g, r.specCu(), cycle, autoRenew, new LifecycleDao(h).minimumsMilliCu(id),
                caller.name(), clock.instant()));
    }

    /** What {@link #renew} would order and cost; writes nothing. */
    public PurchaseQuote quoteRenew(Principal caller, String id, RenewRequest r) {
        BillingCycle cycle = renewable(caller, id, r);
        return quote(id, (h, g) -> decider.renew(g, cycle, new LifecycleDao(h).billingAnchor(id, g.expiresAt()), caller.name(),
                clock.instant()));
    }

    /** The checks of a scale before any decision: who may, which spec. */
    private ComputeUnits scalable(Principal caller, String id, ScaleRequest r) {
        // SPEC ACC-1
        caller.requireAll("scale resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        if (r == null || r.specCu() == null) {
            throw SrgException.invalid("specCu", "MissingParameter", "specCu is required: the new spec in whole CUs");
        }
        return ResourceGroupManager.subscriptionSpec("specCu", r.specCu());
    }

    private BillingCycle convertible(Principal caller, String id, ConvertRequest r) {
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
                    "converting a SUBSCRIPTION group to PAY_AS_YOU_GO is not supported (see docs/rules.md#RG-6); "
                            + "let it expire or unsubscribe it, and buy a PAY_AS_YOU_GO group");
        }
        return BillingCycle.validate("billingCycle", r.billingCycle());
    }

    private BillingCycle renewable(Principal caller, String id, RenewRequest r) {
        // SPEC ACC-1
        caller.requireAll("renew resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        if (r == null) {
            throw SrgException.invalid("billingCycle", "MissingParameter", "billingCycle is required");
        }
        return BillingCycle.validate("billingCycle", r.billingCycle());
    }

    private PurchaseQuote quote(String id, java.util.function.BiFunction<Handle, GroupState, LifecycleDecision> decide) {
        return jdbi.withHandle(h -> {
            GroupState g = new LifecycleDao(h).state(id, false).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
            LifecycleDecision d = decide.apply(h, g);
            if (d.purchases().isEmpty()) {
                throw concurrentChange(id);
            }
            return PurchaseQuote.of(id, d.purchases().getFirst(), ledger, d.warnings());
        });
    }

    /** RG-7: a FROZEN group runs again; its queued tasks are admitted; the 7-day window starts anew. */
    public ResourceGroupInfo enable(Principal caller, String id) {
        caller.requireAll("enable resource groups", Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        jdbi.useTransaction(h -> {
            GroupState g = lock(h, id);
            Instant now = clock.instant();
            applyOrConflict(new LifecycleDao(h), id, decider.enable(g, caller.name(), now), now);
        });
        afterChange(id);
        return groups.get(caller, id);
    }

    /** SPEC BEY-6: whether a pay-as-you-go group resumes by itself when a task is submitted while FROZEN. */
    public record ResumeOnDemandSetting(String resourceGroupId, boolean enabled) {}

    public ResumeOnDemandSetting resumeOnDemand(Principal caller, String id) {
        groups.get(caller, id);
        return new ResumeOnDemandSetting(id, jdbi.withHandle(h -> new LifecycleDao(h).resumeOnDemand(id)));
    }

    /** SPEC BEY-6: opt in or out; only a pay-as-you-go group resumes by itself (a subscription is renewed). */
    public ResumeOnDemandSetting setResumeOnDemand(Principal caller, String id, Boolean enabled) {
        caller.requireAll("change resource groups", Policy.ResourceGroupFullAccess);
        ResourceGroupInfo g = groups.get(caller, id);
        if (enabled == null) {
            throw SrgException.invalid("enabled", "MissingParameter", "enabled (true or false) is required");
        }
        if (enabled && g.billingMode() != BillingMode.PAY_AS_YOU_GO) {
            throw SrgException.invalid("enabled", "InvalidParameter.ResumeOnDemand.BillingMode", "resource group '" + id
                    + "' is " + g.billingMode() + ": only a PAY_AS_YOU_GO group is frozen when idle, so only it resumes on demand"
                    + " (see docs/rules.md#BEY-6)");
        }
        jdbi.useTransaction(h -> {
            GroupState state = lock(h, id);
            LifecycleDecider.requireNotReleased(state);
            new LifecycleDao(h).setResumeOnDemand(id, enabled, clock.instant());
        });
        return new ResumeOnDemandSetting(id, enabled);
    }

    /** Whether a submission to this FROZEN group may go ahead because the group resumes by itself. */
    public boolean resumesOnDemand(ResourceGroupInfo g) {
        return g.status() == GroupStatus.FROZEN && g.billingMode() == BillingMode.PAY_AS_YOU_GO
                && jdbi.withHandle(h -> new LifecycleDao(h).resumeOnDemand(g.id()));
    }

    /**
     * SPEC BEY-6: a task was submitted: a FROZEN pay-as-you-go group that opted in runs again
     * (audited as the platform's act), and its queued tasks are admitted; nothing for any other status.
     */
    public void resumeOnDemand(String id, String instanceId) {
        boolean changed = jdbi.inTransaction(h -> {
            GroupState g = lock(h, id);
            LifecycleDao dao = new LifecycleDao(h);
            LifecycleDecision d = decider.resumeOnDemand(g, dao.resumeOnDemand(id), instanceId, clock.instant());
            if (d.changes().isEmpty()) {
                return false;
            }
            applyOrConflict(dao, id, d, clock.instant());
            return true;
        });
        if (changed) {
            LOG.info("resource group {} resumed on demand: instance {} was submitted", id, instanceId);
            afterChange(id);
        }
    }

    /**
     * RG-8: unsubscribe / release. RELEASING at once: nothing new is admitted and queued tasks are
     * cancelled (they could never run); running tasks finish; then RELEASED and dissociated from
     * its workspaces. No refund of a subscription's remaining period.
     */
    public void release(Principal caller, String id) {
        // SPEC ACC-1
        caller.requireAll("unsubscribe resource groups", Policy.OrderAccess, Policy.ResourceGroupFullAccess);
        groups.get(caller, id);
        jdbi.useTransaction(h -> {
            GroupState g = lock(h, id);
            Instant now = clock.instant();
            applyOrConflict(new LifecycleDao(h), id, decider.release(g, caller.name(), now), now);
        });
        CrashPoint.reach("lifecycle.release.committed");
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
            step(id, "complete transition", decider::completeTransition);
        }
    }

    private void autoRenew() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).autoRenewalsDue(clock.instant(), config().autoRenewLead()))) {
            step(id, "auto-renew", (h, g, now) -> decider.autoRenew(g, new LifecycleDao(h).billingAnchor(id, g.expiresAt()), now),
                    h -> { });
        }
    }

    private void expire() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).expiriesDue(clock.instant()))) {
            step(id, "expire", decider::expire);
        }
    }

    private void releaseAfterRetention() {
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).releasesDue(clock.instant(), config().retention()))) {
            if (step(id, "release after retention", decider::releaseAfterRetention)) {
                CrashPoint.reach("lifecycle.release.committed");
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
            // only a group that looks due is locked and decided on (most are busy or recently active)
            if (LifecycleRules.freezeAt(now, since, latest.containsKey(id) ? List.of(latest.get(id)) : List.of()).isPresent()) {
                step(id, "freeze", (g, t) -> decider.freeze(g, latest.get(id), by.get(id), t));
            }
        });
    }

    private void finishReleases() {
        // a queue no release cancelled: the server stopped between RELEASING's commit and the cancelling, or a
        // submission read the group RUNNING and committed its QUEUED task after the release had cancelled the
        // queue; no released group admits it, so it would wait for good (LifecycleCrashTest,
        // ResourceGroupApiTest#submittedWhileReleased)
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).releasedWithQueued())) {
            cancelQueued(id, "the group is being released");
        }
        for (String id : jdbi.withHandle(h -> new LifecycleDao(h).releasing())) {
            tryReleased(id);
        }
    }

    /** After RELEASING: stop admission, cancel the queue, and finish at once when nothing runs. */
    private void releasing(String id, String why) {
        groups.limitsChanged(id);
        cancelQueued(id, why);
        tryReleased(id);
    }

    private void cancelQueued(String id, String why) {
        int cancelled = workload.cancelQueued(id, why);
        if (cancelled > 0) {
            jdbi.useHandle(h -> AuditLog.record(h, clock.instant(), LifecycleDecider.SYSTEM, "resource-group.release.cancel-queued",
                    id, "OK", cancelled + " queued task(s) cancelled: " + why));
        }
    }

    private void tryReleased(String id) {
        int running = workload.running(id);
        if (running > 0) {
            return;
        }
        step(id, "released", (g, now) -> decider.released(g, running, now), h -> releaseListeners.forEach(l -> l.accept(h, id)));
    }

    // ---- applying ----

    /** One step of the job for one group: lock, decide at the current time, apply. */
    private boolean step(String id, String what, java.util.function.BiFunction<GroupState, Instant, LifecycleDecision> decide) {
        return step(id, what, decide, h -> { });
    }

    /** ... with {@code alsoDone} run in the same transaction when the decision was applied. */
    private boolean step(String id, String what, java.util.function.BiFunction<GroupState, Instant, LifecycleDecision> decide,
                         java.util.function.Consumer<Handle> alsoDone) {
        return step(id, what, (h, g, now) -> decide.apply(g, now), alsoDone);
    }

    /** A decision that also reads facts in the step's transaction (the group is locked). */
    private interface Decide {
        LifecycleDecision apply(Handle h, GroupState g, Instant now);
    }

    private boolean step(String id, String what, Decide decide, java.util.function.Consumer<Handle> alsoDone) {
        boolean changed;
        try {
            changed = jdbi.inTransaction(h -> {
                Optional<GroupState> g = new LifecycleDao(h).state(id, true);
                if (g.isEmpty()) {
                    return false;
                }
                Instant now = clock.instant();
                LifecycleDecision d = decide.apply(h, g.get(), now);
                if (d.isEmpty()) {
                    return false;
                }
                if (new LifecycleDao(h).apply(id, d, ledger, now).isEmpty()) {
                    // the group changed between the decision and its compare-and-set: nothing of it stays
                    h.rollback();
                    return false;
                }
                alsoDone.accept(h);
                return true;
            });
        } catch (RuntimeException e) {
            // rolled back: the group is as it was, and the next run decides again
            LOG.warn("resource group {}: {} failed, nothing applied (retried on the next run): {}", id, what, e.toString());
            return false;
        }
        if (changed) {
            applied(id, what, () -> afterChange(id));
        }
        return changed;
    }

    /**
     * After a step committed: the change stays whatever happens here. A failure to tell admission
     * of the group's new limits is logged as what it is, not as a failed step that the next run
     * retries (the step is done and is not run again).
     */
    static void applied(String id, String what, Runnable tellAdmission) {
        LOG.info("resource group {}: {}", id, what);
        try {
            tellAdmission.run();
        } catch (RuntimeException e) {
            LOG.warn("resource group {}: {} applied, but telling admission of its new limits failed: {}", id, what, e.toString());
        }
    }

    /** Applies an action's decision; a concurrent change is the caller's conflict. Returns its order's id, if any. */
    private static String applyOrConflict(LifecycleDao dao, String id, LifecycleDecision d, Instant now, PurchaseLedger ledger) {
        List<String> orders = dao.apply(id, d, ledger, now).orElseThrow(() -> concurrentChange(id));
        return orders.isEmpty() ? null : orders.getFirst();
    }

    private String applyOrConflict(LifecycleDao dao, String id, LifecycleDecision d, Instant now) {
        return applyOrConflict(dao, id, d, now, ledger);
    }

    private void afterChange(String id) {
        groups.limitsChanged(id);
    }

    private static GroupState lock(Handle h, String id) {
        return new LifecycleDao(h).state(id, true).orElseThrow(() -> SrgException.notFound("ResourceGroup", id));
    }

    static SrgException concurrentChange(String id) {
        return SrgException.conflict("ResourceGroup.ConcurrentChange", "resource group '" + id + "' changed meanwhile; try again");
    }
}
