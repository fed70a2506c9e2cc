package dev.srg.api;

import static java.util.Objects.requireNonNull;

import dev.srg.billing.BudgetManager;
import dev.srg.billing.ChargebackReport;
import dev.srg.group.QuotaScheduleManager;
import dev.srg.task.InstanceManager;

/**
 * What the beyond-peer routes serve (SPEC BEY-2..BEY-5): chargeback, budgets, schedules, advice.
 * One component of {@link ApiServer.Features}, so that these features add no more to it.
 */
public record BeyondApi(ChargebackReport chargeback, InstanceManager instances, QuotaScheduleManager schedules,
                        BudgetManager budgets) {
    public BeyondApi {
        requireNonNull(schedules, "schedules is null");
        requireNonNull(budgets, "budgets is null");
        requireNonNull(chargeback, "chargeback is null");
        requireNonNull(instances, "instances is null");
    }
}
