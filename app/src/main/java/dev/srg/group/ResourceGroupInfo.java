package dev.srg.group;

import dev.srg.admission.FairShareSettings;
import dev.srg.admission.QueuePolicy;
import dev.srg.quantity.ComputeUnits;
import java.time.Instant;
import java.util.List;

/**
 * A resource group as the API shows it. {@code specCu} for subscriptions, {@code maxCu} for
 * pay-as-you-go. While SCALING or CONVERTING, {@code targetSpecCu} is the spec it moves to and
 * {@code transitionEndsAt} when that takes effect. {@code queuePolicy} orders the tasks of one
 * priority: ARRIVAL (DESIGN.md's rule, the default) or FAIR_SHARE (docs/rules.md#queue-policy);
 * {@code shareHalfLifeSeconds} is how fast past use stops counting in FAIR_SHARE's shares.
 */
public record ResourceGroupInfo(String id, String name, String remark, GroupStatus status, BillingMode billingMode,
                                ComputeUnits specCu, ComputeUnits maxCu, String regionId, String zoneId,
                                List<GroupNetwork> networks, BillingCycle billingCycle, Boolean autoRenew,
                                Instant expiresAt, int schedulingMaxRunning, Instant createdAt, Instant updatedAt,
                                List<String> workspaceIds, ComputeUnits targetSpecCu, Instant transitionEndsAt,
                                Instant frozenAt, Instant releasedAt, QueuePolicy queuePolicy, long shareHalfLifeSeconds) {
    public ResourceGroupInfo {
        networks = List.copyOf(networks);
        workspaceIds = List.copyOf(workspaceIds);
        queuePolicy = queuePolicy == null ? QueuePolicy.ARRIVAL : queuePolicy;
        shareHalfLifeSeconds = shareHalfLifeSeconds <= 0 ? FairShareSettings.DEFAULT_HALF_LIFE.toSeconds() : shareHalfLifeSeconds;
    }

    /** A group with no lifecycle transition under way. */
    public ResourceGroupInfo(String id, String name, String remark, GroupStatus status, BillingMode billingMode,
                             ComputeUnits specCu, ComputeUnits maxCu, String regionId, String zoneId,
                             List<GroupNetwork> networks, BillingCycle billingCycle, Boolean autoRenew,
                             Instant expiresAt, int schedulingMaxRunning, Instant createdAt, Instant updatedAt,
                             List<String> workspaceIds) {
        this(id, name, remark, status, billingMode, specCu, maxCu, regionId, zoneId, networks, billingCycle, autoRenew,
                expiresAt, schedulingMaxRunning, createdAt, updatedAt, workspaceIds, null, null, null, null, QueuePolicy.ARRIVAL, 0);
    }

    public ResourceGroupInfo withQueuePolicy(QueuePolicy policy) {
        return new ResourceGroupInfo(id, name, remark, status, billingMode, specCu, maxCu, regionId, zoneId, networks, billingCycle,
                autoRenew, expiresAt, schedulingMaxRunning, createdAt, updatedAt, workspaceIds, targetSpecCu, transitionEndsAt,
                frozenAt, releasedAt, policy, shareHalfLifeSeconds);
    }

    /** The CUs tasks may use at once: the spec of a subscription, the maximum of pay-as-you-go. */
    public ComputeUnits capacity() {
        return billingMode == BillingMode.SUBSCRIPTION ? specCu : maxCu;
    }

    /**
     * The capacity quotas must fit (ADM-2): the capacity now, or the spec a SCALING or CONVERTING
     * group moves to when that is lower. Quotas checked against the capacity alone during a
     * scale-in would outlive it: the change completes into minimums above the spec, limits that
     * admission cannot take.
     */
    public ComputeUnits quotaCapacity() {
        ComputeUnits now = capacity();
        return targetSpecCu != null && targetSpecCu.compareTo(now) < 0 ? targetSpecCu : now;
    }
}
