package dev.srg.group;

import dev.srg.quantity.ComputeUnits;
import java.time.Instant;
import java.util.List;

/** A resource group as the API shows it. {@code specCu} for subscriptions, {@code maxCu} for pay-as-you-go. */
public record ResourceGroupInfo(String id, String name, String remark, GroupStatus status, BillingMode billingMode,
                                ComputeUnits specCu, ComputeUnits maxCu, String regionId, String zoneId,
                                List<GroupNetwork> networks, BillingCycle billingCycle, Boolean autoRenew,
                                Instant expiresAt, int schedulingMaxRunning, Instant createdAt, Instant updatedAt,
                                List<String> workspaceIds) {
    public ResourceGroupInfo {
        networks = List.copyOf(networks);
        workspaceIds = List.copyOf(workspaceIds);
    }

    /** The CUs tasks may use at once: the spec of a subscription, the maximum of pay-as-you-go. */
    public ComputeUnits capacity() {
        return billingMode == BillingMode.SUBSCRIPTION ? specCu : maxCu;
    }
}
