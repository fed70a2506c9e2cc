package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.billing.OrderBook;
import dev.srg.group.PurchaseQuote;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupLifecycle;
import dev.srg.group.ResourceGroupLifecycle.ActionResult;
import dev.srg.group.ResourceGroupLifecycle.ConvertRequest;
import dev.srg.group.ResourceGroupLifecycle.RenewRequest;
import dev.srg.group.ResourceGroupLifecycle.ScaleRequest;
import dev.srg.group.ResourceGroupManager;

/** {@link GroupLifecycle} on the lifecycle manager, as {@code LifecycleResource} calls it; unsubscribe is the group's release. */
public final class GroupLifecycleAdapter implements GroupLifecycle {
    private final ResourceGroupLifecycle lifecycle;
    private final ResourceGroupManager groups;
    private final OrderBook orders;

    public GroupLifecycleAdapter(ResourceGroupLifecycle lifecycle, ResourceGroupManager groups, OrderBook orders) {
        this.lifecycle = requireNonNull(lifecycle, "lifecycle is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.orders = requireNonNull(orders, "orders is null");
    }

    @Override
    public Outcome scale(Principal caller, String groupId, ScaleRequest request) {
        return outcome(caller, lifecycle.scale(caller, groupId, request));
    }

    @Override
    public Outcome convert(Principal caller, String groupId, ConvertRequest request) {
        return outcome(caller, lifecycle.convert(caller, groupId, request));
    }

    @Override
    public Outcome renew(Principal caller, String groupId, RenewRequest request) {
        return outcome(caller, lifecycle.renew(caller, groupId, request));
    }

    @Override
    public PurchaseQuote quoteScale(Principal caller, String groupId, ScaleRequest request) {
        return lifecycle.quoteScale(caller, groupId, request);
    }

    @Override
    public PurchaseQuote quoteConvert(Principal caller, String groupId, ConvertRequest request) {
        return lifecycle.quoteConvert(caller, groupId, request);
    }

    @Override
    public PurchaseQuote quoteRenew(Principal caller, String groupId, RenewRequest request) {
        return lifecycle.quoteRenew(caller, groupId, request);
    }

    @Override
    public boolean resumeOnDemand(Principal caller, String groupId) {
        return lifecycle.resumeOnDemand(caller, groupId).enabled();
    }

    @Override
    public void setResumeOnDemand(Principal caller, String groupId, boolean enabled) {
        lifecycle.setResumeOnDemand(caller, groupId, enabled);
    }

    @Override
    public ResourceGroupInfo enable(Principal caller, String groupId) {
        return lifecycle.enable(caller, groupId);
    }

    @Override
    public void unsubscribe(Principal caller, String groupId) {
        lifecycle.release(caller, groupId);
    }

    private Outcome outcome(Principal caller, ActionResult r) {
        return new Outcome(r.resourceGroup(), r.orderId() == null ? null : orders.get(caller, r.orderId()), r.warnings());
    }
}
