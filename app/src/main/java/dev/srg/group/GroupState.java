package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.quantity.ComputeUnits;
import java.time.Instant;

/**
 * What the lifecycle's deciders know of a group: its row, as locked for a decision. A plain value,
 * so that the deciders are pure and the property tests can run them over an in-memory model.
 *
 * @param activeSince the start of its idle window (RG-7): provisioned or last enabled
 * @param paygUntil when a converted group stopped being billed by usage (RG-6, RG-9), else null
 */
public record GroupState(String id, GroupStatus status, BillingMode billingMode, ComputeUnits specCu, ComputeUnits maxCu,
                         ComputeUnits targetSpecCu, Instant transitionEndsAt, BillingCycle cycle, boolean autoRenew,
                         Instant expiresAt, Instant activeSince, Instant paygUntil) {
    public GroupState {
        requireNonNull(id, "id is null");
        requireNonNull(status, "status is null");
        requireNonNull(billingMode, "billingMode is null");
    }

    GroupState with(GroupStatus s) {
        return new GroupState(id, s, billingMode, specCu, maxCu, targetSpecCu, transitionEndsAt, cycle, autoRenew, expiresAt,
                activeSince, paygUntil);
    }

    /** The spec a subscription's renewal buys: the one it is scaling to, else its spec. */
    ComputeUnits renewalSpec() {
        return targetSpecCu != null ? targetSpecCu : specCu;
    }
}
