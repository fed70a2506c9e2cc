package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLimits;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import java.util.EnumMap;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * What admission needs to know of a group, read from the store (the truth). On its own, so that
 * the dispatcher can be built before the group manager (which asks the dispatcher what runs).
 */
public final class AdmissionLimitsReader {
    private final Jdbi jdbi;

    public AdmissionLimitsReader(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    public GroupLimits read(String groupId) {
        return jdbi.withHandle(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            ResourceGroupInfo g = dao.find(groupId, false).orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId));
            Map<UsageType, Quota> quotas = new EnumMap<>(UsageType.class);
            dao.quotas(groupId).quotas().forEach((type, q) -> quotas.put(type, Quota.of(
                    q.minCu() == null ? 0 : q.minCu().milli(), q.maxCu() == null ? Quota.NO_MAXIMUM : q.maxCu().milli())));
            return new GroupLimits(g.status().admitsTasks(), g.capacity().milli(), g.schedulingMaxRunning(), quotas);
        });
    }

    /** Whether the group was released (what it held elsewhere, e.g. a Kubernetes namespace, may go); false for an unknown id. */
    public boolean released(String groupId) {
        return jdbi.withHandle(h -> new ResourceGroupDao(h).find(groupId, false)
                .map(g -> g.status() == GroupStatus.RELEASED).orElse(false));
    }
}
