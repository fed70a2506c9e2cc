package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLimits;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import java.time.Clock;
import java.util.Map;
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

    public GroupLimits read(String groupId) {
        return jdbi.withHandle(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(groupId, false).orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId));
            Map<UsageType, Quota> quotas = QuotaScheduleManager.admissionQuotas(dao.quotas(groupId).quotas());
            GroupLimits own = new GroupLimits(g.status().admitsTasks(), g.capacity().milli(), g.schedulingMaxRunning(), quotas);
            return QuotaScheduleManager.effective(h, groupId, own, clock.instant());
        });
    }
}
