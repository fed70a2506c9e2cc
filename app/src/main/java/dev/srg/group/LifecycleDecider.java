package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.error.SrgException;
import dev.srg.group.LifecycleChange.CompleteConverting;
import dev.srg.group.LifecycleChange.CompleteScaling;
import dev.srg.group.LifecycleChange.Enable;
import dev.srg.group.LifecycleChange.Expire;
import dev.srg.group.LifecycleChange.Freeze;
import dev.srg.group.LifecycleChange.Released;
import dev.srg.group.LifecycleChange.RenewExpired;
import dev.srg.group.LifecycleChange.SetAutoRenew;
import dev.srg.group.LifecycleChange.SetExpiry;
import dev.srg.group.LifecycleChange.StartConverting;
import dev.srg.group.LifecycleChange.StartRelease;
import dev.srg.group.LifecycleChange.StartScaling;
import dev.srg.group.LifecycleDecision.Audit;
import dev.srg.quantity.ComputeUnits;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The lifecycle's rules as pure deciders (SPEC RG-3..RG-8; STYLE #6): each takes a group's state,
 * what the caller asked, the facts gathered for it (CUs in use, minimums, activity) and the time,
 * and returns a {@link LifecycleDecision} — or throws the {@link SrgException} the caller gets. No
 * I/O, no clock: {@link ResourceGroupLifecycle} gathers, decides here, and applies in one
 * transaction; the property tests run these over an in-memory model.
 */
public final class LifecycleDecider {
    static final String SYSTEM = "system";
    private static final BillingCycle MONTH = new BillingCycle(BillingCycle.Unit.MONTH, 1);

    private final LifecycleConfig config;

    public LifecycleDecider(LifecycleConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    public LifecycleConfig config() {
        return config;
    }

    /** RG-9: the order of a purchase, recorded with the new group in its transaction. */
    public static Purchase created(ResourceGroupInfo g, String buyer) {
        boolean subscription = g.billingMode() == BillingMode.SUBSCRIPTION;
        return new Purchase(g.id(), PurchaseType.CREATE, g.billingMode(), subscription ? g.specCu() : g.maxCu(), null,
                g.billingCycle(), subscription ? g.createdAt() : null, g.expiresAt(), buyer, g.createdAt(),
                subscription ? null : "pay-as-you-go: billed by usage, per CU-hour");
    }

    /**
     * RG-5: scale a subscription out or in; SCALING until it takes effect. Below what is in use: a
     * warning, and nothing is stopped (scale-in never kills: the decision has no change to tasks).
     * {@code paid}: the group's paid periods that reach past now (its orders), over which a scale-out
     * is prorated. Empty (not known): one period of the group's cycle ending at its expiry.
     */
    public LifecycleDecision scale(GroupState g, ComputeUnits spec, long minimumsMilliCu, long usedMilliCu, List<PaidPeriod> paid,
                                   String actor, Instant now) {
        check(Action.SCALE, g);
        if (spec.equals(g.specCu())) {
            throw SrgException.invalid("specCu", "InvalidParameter.Spec.Unchanged", "resource group '" + g.id() + "' already has " + spec);
        }
        requireAboveMinimums(spec, minimumsMilliCu);
        List<String> warnings = new ArrayList<>();
        if (spec.milli() < usedMilliCu) {
            // SPEC RG-5
            warnings.add("the new spec " + spec + " is below the " + ComputeUnits.ofMilli(usedMilliCu)
                    + " running tasks use now: none of them is stopped, but new tasks queue until usage fits");
        }
        Instant ends = now.plus(config.scaleDuration());
        boolean out = spec.compareTo(g.specCu()) > 0;
        List<PaidPeriod> ahead = paid;
        if (ahead.isEmpty() && g.expiresAt() != null) {
            BillingCycle cycle = g.cycle() != null ? g.cycle() : MONTH;
            ahead = List.of(new PaidPeriod(cycle.subtractFrom(g.expiresAt()), g.expiresAt(), cycle));
        }
        Purchase order = new Purchase(g.id(), out ? PurchaseType.SCALE_OUT : PurchaseType.SCALE_IN, BillingMode.SUBSCRIPTION, spec,
                g.specCu(), null, now, g.expiresAt(), actor, now,
                out ? "prorated to the end of the period: each paid period at its cycle's price, by its own length" : "scale-in: no refund",
                out ? ahead : List.of());
        return new LifecycleDecision(List.of(new StartScaling(spec, ends)), List.of(order),
                List.of(new Audit(now, actor, "resource-group.scale", g.specCu() + " -> " + spec + ", effective by " + ends)), warnings);
    }

    /** RG-6: pay-as-you-go → subscription, CONVERTING for a while, tasks unaffected. The reverse is refused. */
    public LifecycleDecision convert(GroupState g, ComputeUnits requestedSpec, BillingCycle cycle, boolean autoRenew,
                                     long minimumsMilliCu, String actor, Instant now) {
        check(Action.CONVERT, g);
        ComputeUnits spec = requestedSpec != null ? ResourceGroupManager.subscriptionSpec("specCu", requestedSpec)
                : ComputeUnits.ofCu(Math.max(ResourceGroupManager.SUBSCRIPTION_MIN_CU, g.maxCu().milli() / 1000));
        requireAboveMinimums(spec, minimumsMilliCu);
        Instant expires = cycle.addTo(now);
        Instant ends = now.plus(config.convertDuration());
        Purchase order = new Purchase(g.id(), PurchaseType.CONVERT, BillingMode.SUBSCRIPTION, spec, null, cycle, now, expires, actor,
                now, "pay-as-you-go usage is billed until " + now);
        return new LifecycleDecision(List.of(new StartConverting(spec, cycle, autoRenew, expires, ends)), List.of(order),
                List.of(new Audit(now, actor, "resource-group.convert", "PAY_AS_YOU_GO -> SUBSCRIPTION " + spec + " for "
                        + cycle.count() + " " + cycle.unit() + ", effective by " + ends)), List.of());
    }

    /** RG-3, RG-8: renew a subscription; an EXPIRED one runs again from now, a live one is extended from its expiry. */
    public LifecycleDecision renew(GroupState g, BillingCycle cycle, String actor, Instant now) {
        return renew(g, cycle, null, actor, now);
    }

    /** ... {@code anchor}: when the paid periods ending at its expiry began (their day of the month is kept), or null. */
    public LifecycleDecision renew(GroupState g, BillingCycle cycle, Instant anchor, String actor, Instant now) {
        check(Action.RENEW, g);
        boolean expired = g.status() == GroupStatus.EXPIRED;
        LifecycleRules.Period period = LifecycleRules.renewal(g.expiresAt(), anchor, expired, now, cycle);
        List<LifecycleChange> changes = new ArrayList<>();
        changes.add(new SetExpiry(period.end()));
        if (expired) {
            changes.add(new RenewExpired());
        }
        Purchase order = new Purchase(g.id(), PurchaseType.RENEW, BillingMode.SUBSCRIPTION, g.renewalSpec(), null, cycle,
                period.start(), period.end(), actor, now, null);
        return new LifecycleDecision(changes, List.of(order), List.of(new Audit(now, actor, "resource-group.renew",
                (expired ? "EXPIRED -> RUNNING, " : "") + "expires " + period.end())), List.of());
    }

    /** RG-3: monthly auto-renewal on or off (a converting group is about to be a subscription). */
    public static LifecycleDecision setAutoRenew(GroupState g, boolean autoRenew, String actor, Instant now) {
        check(Action.AUTO_RENEW, g);
        return new LifecycleDecision(List.of(new SetAutoRenew(autoRenew)), List.of(),
                List.of(new Audit(now, actor, "resource-group.auto-renew", "autoRenew=" + autoRenew)), List.of());
    }

    /** RG-7: a FROZEN group runs again; its queued tasks are admitted; the 7-day window starts anew. */
    public LifecycleDecision enable(GroupState g, String actor, Instant now) {
        check(Action.ENABLE, g);
        return new LifecycleDecision(List.of(new Enable()), List.of(),
                List.of(new Audit(now, actor, "resource-group.enable", "FROZEN -> RUNNING")), List.of());
    }

    /**
     * SPEC BEY-6: a task was submitted to a group: a FROZEN pay-as-you-go group that opted in runs
     * again by itself (as {@link #enable} would, audited as the platform's own act); any other
     * status needs nothing (an empty decision). A frozen group that did not opt in, or a
     * subscription, is refused as before: someone must enable (or renew) it.
     */
    public LifecycleDecision resumeOnDemand(GroupState g, boolean optedIn, String instanceId, Instant now) {
        if (g.status() != GroupStatus.FROZEN) {
            return new LifecycleDecision(List.of(), List.of(), List.of(), List.of());
        }
        if (!optedIn || g.billingMode() != BillingMode.PAY_AS_YOU_GO) {
            throw SrgException.conflict("ResourceGroup.Frozen", "resourceGroupId", "resource group '" + g.id()
                    + "' is FROZEN after 7 idle days; enable it first: srg rg enable " + g.id()
                    + " (or let it resume by itself when a task comes: srg rg resume-on-demand " + g.id() + " on)");
        }
        return new LifecycleDecision(List.of(new Enable()), List.of(),
                List.of(new Audit(now, "system", "resource-group.resume-on-demand", "FROZEN -> RUNNING: instance " + instanceId
                        + " was submitted")), List.of());
    }

    /** RG-8: unsubscribe: RELEASING at once (no refund of a subscription's remaining period). */
    public LifecycleDecision release(GroupState g, String actor, Instant now) {
        check(Action.RELEASE, g);
        return new LifecycleDecision(List.of(new StartRelease(g.status())), List.of(),
                List.of(new Audit(now, actor, "resource-group.release", g.status() + " -> RELEASING (unsubscribed)")), List.of());
    }

    // ---- what the background job does, per group, in this order ----

    /** RG-5, RG-6: a scale or conversion whose time has come takes effect. */
    public LifecycleDecision completeTransition(GroupState g, Instant now) {
        if ((g.status() != GroupStatus.SCALING && g.status() != GroupStatus.CONVERTING)
                || g.transitionEndsAt() == null || g.transitionEndsAt().isAfter(now)) {
            return LifecycleDecision.NONE;
        }
        boolean scaling = g.status() == GroupStatus.SCALING;
        return new LifecycleDecision(List.of(scaling ? new CompleteScaling() : new CompleteConverting()), List.of(),
                List.of(new Audit(now, SYSTEM, scaling ? "resource-group.scaled" : "resource-group.converted",
                        g.status() + " -> RUNNING, spec " + g.targetSpecCu())), List.of());
    }

    /**
     * RG-3: an auto-renewing subscription is renewed monthly, {@code autoRenewLead} before it expires,
     * at the current price; after a clock jump every missed month is renewed, each once.
     */
    public LifecycleDecision autoRenew(GroupState g, Instant now) {
        return autoRenew(g, null, now);
    }

    /** ... {@code anchor}: when the paid periods ending at its expiry began (their day of the month is kept), or null. */
    public LifecycleDecision autoRenew(GroupState g, Instant anchor, Instant now) {
        if (!g.autoRenew() || g.billingMode() != BillingMode.SUBSCRIPTION || g.expiresAt() == null
                || (g.status() != GroupStatus.RUNNING && g.status() != GroupStatus.SCALING)) {
            return LifecycleDecision.NONE;
        }
        List<LifecycleRules.Period> periods = LifecycleRules.autoRenewals(g.expiresAt(), anchor, now, config.autoRenewLead());
        if (periods.isEmpty()) {
            return LifecycleDecision.NONE;
        }
        List<Purchase> orders = new ArrayList<>();
        List<Audit> audit = new ArrayList<>();
        for (int i = 0; i < periods.size(); i++) {
            LifecycleRules.Period p = periods.get(i);
            // SPEC RG-3: a millisecond apart so that they list in order
            orders.add(new Purchase(g.id(), PurchaseType.AUTO_RENEW, BillingMode.SUBSCRIPTION, g.specCu(), null, MONTH, p.start(),
                    p.end(), SYSTEM, now.plusMillis(i), "renewed automatically " + config.autoRenewLead().toHours() + "h before expiry"));
            audit.add(new Audit(now, SYSTEM, "resource-group.auto-renew", "expires " + p.end()));
        }
        return new LifecycleDecision(List.of(new SetExpiry(periods.getLast().end())), orders, audit, List.of());
    }

    /** RG-8: a subscription not renewed by its expiry is EXPIRED (a scale under way takes effect first). */
    public LifecycleDecision expire(GroupState g, Instant now) {
        if (g.billingMode() != BillingMode.SUBSCRIPTION || g.expiresAt() == null || g.expiresAt().isAfter(now)
                || (g.status() != GroupStatus.RUNNING && g.status() != GroupStatus.SCALING)) {
            return LifecycleDecision.NONE;
        }
        return new LifecycleDecision(List.of(new Expire(g.status())), List.of(), List.of(new Audit(now, SYSTEM, "resource-group.expire",
                "expired at " + g.expiresAt() + "; released after " + config.retention().toDays() + " days unless renewed")), List.of());
    }

    /** RG-8: an EXPIRED group not renewed within the retention is released. */
    public LifecycleDecision releaseAfterRetention(GroupState g, Instant now) {
        if (g.status() != GroupStatus.EXPIRED || g.expiresAt() == null || g.expiresAt().plus(config.retention()).isAfter(now)) {
            return LifecycleDecision.NONE;
        }
        return new LifecycleDecision(List.of(new StartRelease(GroupStatus.EXPIRED)), List.of(), List.of(new Audit(now, SYSTEM,
                "resource-group.release", "EXPIRED -> RELEASING: not renewed within " + config.retention().toDays() + " days")),
                List.of());
    }

    /**
     * RG-7: a RUNNING pay-as-you-go group without activity for 7 days is FROZEN.
     *
     * @param lastActivity the latest activity of any source ({@code now} while something runs), or null
     * @param by the source of that activity, for the audit, or null
     */
    public LifecycleDecision freeze(GroupState g, Instant lastActivity, String by, Instant now) {
        if (g.status() != GroupStatus.RUNNING || g.billingMode() != BillingMode.PAY_AS_YOU_GO || g.activeSince() == null) {
            return LifecycleDecision.NONE;
        }
        Optional<Instant> due = LifecycleRules.freezeAt(now, g.activeSince(), lastActivity == null ? List.of() : List.of(lastActivity));
        if (due.isEmpty()) {
            return LifecycleDecision.NONE;
        }
        // SPEC RG-7
        return new LifecycleDecision(List.of(new Freeze()), List.of(), List.of(new Audit(now, SYSTEM, "resource-group.freeze",
                "RUNNING -> FROZEN: no activity for " + LifecycleConfig.FREEZE_AFTER.toDays() + " days (idle since "
                        + due.get().minus(LifecycleConfig.FREEZE_AFTER) + (by != null ? ", last " + by : "") + ")")), List.of());
    }

    /** RG-8: a RELEASING group is RELEASED once none of its tasks runs. */
    public LifecycleDecision released(GroupState g, int running, Instant now) {
        if (g.status() != GroupStatus.RELEASING || running > 0) {
            return LifecycleDecision.NONE;
        }
        return new LifecycleDecision(List.of(new Released()), List.of(), List.of(new Audit(now, SYSTEM, "resource-group.released",
                "RELEASING -> RELEASED; workspaces dissociated")), List.of());
    }

    // ---- checks ----

    /**
     * What an owner asks of a group: the purchase actions (RG-5..RG-8), auto-renewal, and changing
     * its settings (quotas, concurrency, networks, associations).
     */
    public enum Action { SCALE, CONVERT, RENEW, ENABLE, AUTO_RENEW, RELEASE, SETTINGS }

    /**
     * The actions a group in this state accepts, by the very checks the decisions make (so a form
     * offers exactly what the server would accept; its other rules, e.g. a spec's size, still apply).
     */
    public static Set<Action> offered(GroupState g) {
        Set<Action> offered = EnumSet.noneOf(Action.class);
        for (Action a : Action.values()) {
            try {
                check(a, g);
                offered.add(a);
            } catch (SrgException refused) {
                // not in this state
            }
        }
        return offered;
    }

    /** Refuses (409, saying why and what to do first) an action the group's state does not allow. */
    static void check(Action action, GroupState g) {
        switch (action) {
            case SCALE -> {
                requireStatus(g, "scale", GroupStatus.RUNNING);
                requireSubscription(g, "scaled");
            }
            case CONVERT -> {
                if (g.billingMode() == BillingMode.SUBSCRIPTION) {
                    throw SrgException.conflict("ResourceGroup.Convert.ToPayAsYouGoNotSupported", "billingMode", "resource group '"
                            + g.id() + "' is already SUBSCRIPTION; converting it to PAY_AS_YOU_GO is not supported (see docs/rules.md#RG-6)");
                }
                requireStatus(g, "convert", GroupStatus.RUNNING);
            }
            case RENEW -> {
                requireSubscription(g, "renewed");
                requireStatus(g, "renew", GroupStatus.RUNNING, GroupStatus.SCALING, GroupStatus.EXPIRED);
            }
            case AUTO_RENEW -> {
                requireNotReleased(g);
                if (g.billingMode() != BillingMode.SUBSCRIPTION && g.status() != GroupStatus.CONVERTING) {
                    throw SrgException.conflict("ResourceGroup.NotSubscription", "autoRenew",
                            "resource group '" + g.id() + "' is PAY_AS_YOU_GO: only subscriptions renew");
                }
            }
            case ENABLE -> {
                if (g.status() != GroupStatus.FROZEN) {
                    throw SrgException.conflict("ResourceGroup.NotFrozen",
                            "resource group '" + g.id() + "' is " + g.status() + ", not FROZEN: only a frozen group is enabled");
                }
            }
            case RELEASE, SETTINGS -> requireNotReleased(g);
        }
    }

    static void requireNotReleased(GroupState g) {
        if (g.status() == GroupStatus.RELEASED || g.status() == GroupStatus.RELEASING) {
            throw SrgException.conflict("ResourceGroup.Released", "resource group '" + g.id() + "' is " + g.status());
        }
    }

    private static void requireSubscription(GroupState g, String what) {
        requireNotReleased(g);
        if (g.billingMode() != BillingMode.SUBSCRIPTION) {
            throw SrgException.conflict("ResourceGroup.NotSubscription", "resource group '" + g.id()
                    + "' is PAY_AS_YOU_GO: only a SUBSCRIPTION group is " + what + " (convert it first)");
        }
    }

    private static void requireStatus(GroupState g, String action, GroupStatus... allowed) {
        requireNotReleased(g);
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

    private static void requireAboveMinimums(ComputeUnits spec, long minimumsMilliCu) {
        if (spec.milli() < minimumsMilliCu) {
            // SPEC ADM-2: minimums sum to at most the spec
            throw SrgException.invalid("specCu", "InvalidParameter.Spec.BelowMinimumQuotas", "specCu " + spec
                    + " is below the sum of the group's minimum quotas, " + ComputeUnits.ofMilli(minimumsMilliCu)
                    + " (see docs/rules.md#ADM-2); lower the minimums first");
        }
    }
}
