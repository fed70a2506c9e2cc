package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.group.BillingCycle;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.quantity.ComputeUnits;

/**
 * The lifecycle actions of a group as API.md names them ({@code POST /resource-groups/{id}/scale},
 * {@code /convert}, {@code /renew}, {@code /enable}, {@code DELETE /resource-groups/{id}}). The
 * console calls them through this adapter so that the manager behind them plugs in at the
 * composition root; each method passes the caller on (the manager enforces ACC-1) and throws the
 * manager's {@code SrgException} unchanged, so its message lands next to the form field it names.
 */
public interface GroupLifecycle {
    /** {@code POST /resource-groups/{id}/scale {specCu}} (RG-5). */
    ResourceGroupInfo scale(Principal caller, String groupId, ComputeUnits specCu);

    /** {@code POST /resource-groups/{id}/convert {billingCycle, autoRenew}} (RG-6). */
    ResourceGroupInfo convert(Principal caller, String groupId, BillingCycle billingCycle, boolean autoRenew);

    /** {@code POST /resource-groups/{id}/renew {billingCycle}} (RG-8). */
    ResourceGroupInfo renew(Principal caller, String groupId, BillingCycle billingCycle);

    /** {@code POST /resource-groups/{id}/enable}: a FROZEN group admits tasks again (RG-7). */
    ResourceGroupInfo enable(Principal caller, String groupId);

    /** {@code DELETE /resource-groups/{id}}: unsubscribe; released after its tasks end (RG-8). */
    void unsubscribe(Principal caller, String groupId);
}
