package dev.srg.group;

import dev.srg.quantity.ComputeUnits;
import java.time.Instant;

/**
 * The deciders the simulation calls: the real {@link LifecycleDecider}, or — overriding one
 * method — a deliberately broken one, to show that a property catches it.
 */
class LifecycleDeciders {
    private final LifecycleDecider real;

    LifecycleDeciders(LifecycleConfig config) {
        this.real = new LifecycleDecider(config);
    }

    LifecycleDecision scale(GroupState g, ComputeUnits spec, long minimums, long used, String actor, Instant now) {
        // no paid periods known: the decider prorates over one period of the group's cycle ending at its expiry
        return real.scale(g, spec, minimums, used, java.util.List.of(), actor, now);
    }

    LifecycleDecision convert(GroupState g, ComputeUnits spec, BillingCycle cycle, boolean autoRenew, long minimums, String actor,
                              Instant now) {
        return real.convert(g, spec, cycle, autoRenew, minimums, actor, now);
    }

    LifecycleDecision renew(GroupState g, BillingCycle cycle, String actor, Instant now) {
        return real.renew(g, cycle, actor, now);
    }

    LifecycleDecision enable(GroupState g, String actor, Instant now) {
        return real.enable(g, actor, now);
    }

    LifecycleDecision resumeOnDemand(GroupState g, boolean optedIn, String instanceId, Instant now) {
        return real.resumeOnDemand(g, optedIn, instanceId, now);
    }

    LifecycleDecision release(GroupState g, String actor, Instant now) {
        return real.release(g, actor, now);
    }

    LifecycleDecision completeTransition(GroupState g, Instant now) {
        return real.completeTransition(g, now);
    }

    LifecycleDecision autoRenew(GroupState g, Instant now) {
        return real.autoRenew(g, now);
    }

    LifecycleDecision expire(GroupState g, Instant now) {
        return real.expire(g, now);
    }

    LifecycleDecision releaseAfterRetention(GroupState g, Instant now) {
        return real.releaseAfterRetention(g, now);
    }

    LifecycleDecision freeze(GroupState g, Instant lastActivity, String by, Instant now) {
        return real.freeze(g, lastActivity, by, now);
    }

    LifecycleDecision released(GroupState g, int running, Instant now) {
        return real.released(g, running, now);
    }
}
