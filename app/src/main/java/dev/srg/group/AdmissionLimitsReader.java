package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLimits;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import dev.srg.billing.BudgetManager;
import dev.srg.error.SrgException;
import java.time.Clock;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * What admission needs to know of a group, read from the store (the truth). On its own, so that
 * the dispatcher can be built before the group manager (which asks the dispatcher what runs).
 */
public final class AdmissionLimitsReader {
    private final Jdbi jdbi;
    private final Clock clock;

    /** {@code clock}: when a quota profile is scheduled (SPEC BEY-2), what applies depends on the time. */
    public AdmissionLimitsReader(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** What admission applies to the group now: its limits and which tasks spent budgets hold (SPEC BEY-3). */
    public GroupLimits read(String groupId) {
        return jdbi.withHandle(h -> {
            ResourceGroupInfo g = new ResourceGroupDao(h).find(groupId, false)
                    .orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId));
            return limits(h, g).withBudgetHold(BudgetManager.holds(h, groupId, YearMonth.from(clock.instant().atZone(ZoneOffset.UTC))));
        });
    }

    /**
     * The same for a group just read (a submit has it): its quotas and schedule, without reading
     * the group again, and without the budgets' holds (a submit checks quotas; admission applies
     * holds from {@link #read(String)}).
     */
    public GroupLimits read(ResourceGroupInfo group) {
        return jdbi.withHandle(h -> limits(h, group));
    }

    /** Whether the group was released (what it held elsewhere, e.g. a Kubernetes namespace, may go); false for an unknown id. */
    public boolean released(String groupId) {
        return jdbi.withHandle(h -> new ResourceGroupDao(h).find(groupId, false)
                .map(g -> g.status() == GroupStatus.RELEASED).orElse(false));
    }

    /** The group's own limits, or a scheduled profile's where one applies now (SPEC BEY-2). */
    private GroupLimits limits(Handle h, ResourceGroupInfo g) {
        Map<UsageType, Quota> quotas = QuotaScheduleManager.admissionQuotas(new ResourceGroupDao(h).quotas(g.id()).quotas());
        GroupLimits own = new GroupLimits(g.status().admitsTasks(), g.capacity().milli(), g.schedulingMaxRunning(), quotas);
        return QuotaScheduleManager.effective(h, g.id(), own, clock.instant());
    }
}
