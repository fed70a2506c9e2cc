package dev.srg.api;

import static java.util.Objects.requireNonNull;

import dev.srg.billing.ChargebackReport;
import dev.srg.task.InstanceManager;

/**
 * What the beyond-peer routes serve (SPEC BEY-2..BEY-5): chargeback, budgets, schedules, advice.
 * One component of {@link ApiServer.Features}, so that these features add no more to it.
 */
public record BeyondApi(ChargebackReport chargeback, InstanceManager instances) {
    public BeyondApi {
        requireNonNull(chargeback, "chargeback is null");
        requireNonNull(instances, "instances is null");
    }
}
