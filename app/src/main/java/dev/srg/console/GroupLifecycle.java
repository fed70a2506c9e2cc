package dev.srg.console;

import dev.srg.access.Principal;
import dev.srg.billing.OrderInfo;
import dev.srg.group.PurchaseQuote;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupLifecycle.ConvertRequest;
import dev.srg.group.ResourceGroupLifecycle.RenewRequest;
import dev.srg.group.ResourceGroupLifecycle.ScaleRequest;
import java.util.List;

/**
 * The lifecycle actions of a group as API.md names them ({@code POST /resource-groups/{id}/scale},
 * {@code /convert}, {@code /renew}, {@code /enable}, {@code DELETE /resource-groups/{id}}). The
 * console calls them through this adapter so that the manager behind them plugs in at the
 * composition root; each method passes the caller on (the manager enforces ACC-1) and throws the
 * manager's {@code SrgException} unchanged, so its message lands next to the form field it names.
 */
public interface GroupLifecycle {
    /** What a purchase action did, as the API answers it: the group now, the order placed, warnings (e.g. scale-in below use). */
    record Outcome(ResourceGroupInfo group, OrderInfo order, List<String> warnings) {
        public Outcome {
            warnings = List.copyOf(warnings);
        }
    }

    /** {@code POST /resource-groups/{id}/scale {specCu}} (RG-5). */
    Outcome scale(Principal caller, String groupId, ScaleRequest request);

    /** {@code POST /resource-groups/{id}/convert {billingCycle, autoRenew}} (RG-6). */
    Outcome convert(Principal caller, String groupId, ConvertRequest request);

    /** {@code POST /resource-groups/{id}/renew {billingCycle}} (RG-8). */
    Outcome renew(Principal caller, String groupId, RenewRequest request);

    /** {@code POST /resource-groups/{id}/scale?dryRun=true}: the price before money moves; nothing is written. */
    PurchaseQuote quoteScale(Principal caller, String groupId, ScaleRequest request);

    /** {@code POST /resource-groups/{id}/convert?dryRun=true}. */
    PurchaseQuote quoteConvert(Principal caller, String groupId, ConvertRequest request);

    /** {@code POST /resource-groups/{id}/renew?dryRun=true}. */
    PurchaseQuote quoteRenew(Principal caller, String groupId, RenewRequest request);

    /** {@code GET /resource-groups/{id}/resume-on-demand}: whether a FROZEN pay-as-you-go group resumes when a task comes (BEY-6). */
    boolean resumeOnDemand(Principal caller, String groupId);

    /** {@code PUT /resource-groups/{id}/resume-on-demand {enabled}}. */
    void setResumeOnDemand(Principal caller, String groupId, boolean enabled);

    /** {@code POST /resource-groups/{id}/enable}: a FROZEN group admits tasks again (RG-7). */
    ResourceGroupInfo enable(Principal caller, String groupId);

    /** {@code DELETE /resource-groups/{id}}: unsubscribe; released after its tasks end (RG-8). */
    void unsubscribe(Principal caller, String groupId);
}
