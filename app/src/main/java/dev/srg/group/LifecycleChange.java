package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.quantity.ComputeUnits;
import java.time.Instant;

/**
 * One write a lifecycle decision makes to a group's row. The store applies it as a
 * compare-and-set on the status it expects ({@link LifecycleDao#apply}); {@link #applyTo} is the
 * same change on an in-memory {@link GroupState} (what the property tests run), and
 * {@link #expects} the status it must find — a change whose status no longer matches is not made.
 */
public sealed interface LifecycleChange {
    /** The status the group must be in for this change, or null when any will do. */
    GroupStatus expects();

    /** The change applied to a group in memory, mirroring its SQL. */
    GroupState applyTo(GroupState g, Instant now);

    /** RG-5: RUNNING → SCALING to {@code target}, effective at {@code endsAt}. */
    record StartScaling(ComputeUnits target, Instant endsAt) implements LifecycleChange {
        public StartScaling {
            requireNonNull(target, "target is null");
            requireNonNull(endsAt, "endsAt is null");
        }

        @Override
        public GroupStatus expects() {
            return GroupStatus.RUNNING;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.SCALING, g.billingMode(), g.specCu(), g.maxCu(), target, endsAt, g.cycle(),
                    g.autoRenew(), g.expiresAt(), g.activeSince(), g.paygUntil());
        }
    }

    /** RG-5: SCALING → RUNNING with the new spec. */
    record CompleteScaling() implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return GroupStatus.SCALING;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.RUNNING, g.billingMode(), g.targetSpecCu(), g.maxCu(), null, null, g.cycle(),
                    g.autoRenew(), g.expiresAt(), g.activeSince(), g.paygUntil());
        }
    }

    /** RG-6: RUNNING pay-as-you-go → CONVERTING; usage is billed until now, the subscription runs from now. */
    record StartConverting(ComputeUnits target, BillingCycle cycle, boolean autoRenew, Instant expiresAt, Instant endsAt)
            implements LifecycleChange {
        public StartConverting {
            requireNonNull(target, "target is null");
            requireNonNull(cycle, "cycle is null");
            requireNonNull(expiresAt, "expiresAt is null");
            requireNonNull(endsAt, "endsAt is null");
        }

        @Override
        public GroupStatus expects() {
            return GroupStatus.RUNNING;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.CONVERTING, g.billingMode(), g.specCu(), g.maxCu(), target, endsAt, cycle,
                    autoRenew, expiresAt, g.activeSince(), now);
        }
    }

    /** RG-6: CONVERTING → RUNNING as a subscription (its first VPC becomes the DataService one, NET-6). */
    record CompleteConverting() implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return GroupStatus.CONVERTING;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.RUNNING, BillingMode.SUBSCRIPTION, g.targetSpecCu(), null, null, null,
                    g.cycle(), g.autoRenew(), g.expiresAt(), g.activeSince(), g.paygUntil());
        }
    }

    /** RG-3: the subscription is paid through {@code expiresAt}. */
    record SetExpiry(Instant expiresAt) implements LifecycleChange {
        public SetExpiry {
            requireNonNull(expiresAt, "expiresAt is null");
        }

        @Override
        public GroupStatus expects() {
            return null;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), g.status(), g.billingMode(), g.specCu(), g.maxCu(), g.targetSpecCu(), g.transitionEndsAt(),
                    g.cycle(), g.autoRenew(), expiresAt, g.activeSince(), g.paygUntil());
        }
    }

    /** RG-3: monthly auto-renewal on or off. */
    record SetAutoRenew(boolean autoRenew) implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return null;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), g.status(), g.billingMode(), g.specCu(), g.maxCu(), g.targetSpecCu(), g.transitionEndsAt(),
                    g.cycle(), autoRenew, g.expiresAt(), g.activeSince(), g.paygUntil());
        }
    }

    /** RG-8: EXPIRED → RUNNING (renewed). */
    record RenewExpired() implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return GroupStatus.EXPIRED;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return g.with(GroupStatus.RUNNING);
        }
    }

    /** RG-8: RUNNING or SCALING → EXPIRED; a scale under way takes effect first. */
    record Expire(GroupStatus from) implements LifecycleChange {
        public Expire {
            requireNonNull(from, "from is null");
        }

        @Override
        public GroupStatus expects() {
            return from;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.EXPIRED, g.billingMode(), g.renewalSpec(), g.maxCu(), null, null, g.cycle(),
                    g.autoRenew(), g.expiresAt(), g.activeSince(), g.paygUntil());
        }
    }

    /** RG-7: RUNNING pay-as-you-go → FROZEN. */
    record Freeze() implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return GroupStatus.RUNNING;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return g.with(GroupStatus.FROZEN);
        }
    }

    /** RG-7: FROZEN → RUNNING; the idle window starts anew. */
    record Enable() implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return GroupStatus.FROZEN;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.RUNNING, g.billingMode(), g.specCu(), g.maxCu(), g.targetSpecCu(),
                    g.transitionEndsAt(), g.cycle(), g.autoRenew(), g.expiresAt(), now, g.paygUntil());
        }
    }

    /** RG-8: {@code from} → RELEASING; a transition under way is dropped. */
    record StartRelease(GroupStatus from) implements LifecycleChange {
        public StartRelease {
            requireNonNull(from, "from is null");
        }

        @Override
        public GroupStatus expects() {
            return from;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return new GroupState(g.id(), GroupStatus.RELEASING, g.billingMode(), g.specCu(), g.maxCu(), null, null, g.cycle(),
                    g.autoRenew(), g.expiresAt(), g.activeSince(), g.paygUntil());
        }
    }

    /** RG-8: RELEASING → RELEASED once nothing runs (workspaces dissociate it in the same transaction). */
    record Released() implements LifecycleChange {
        @Override
        public GroupStatus expects() {
            return GroupStatus.RELEASING;
        }

        @Override
        public GroupState applyTo(GroupState g, Instant now) {
            return g.with(GroupStatus.RELEASED);
        }
    }
}
