package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.GroupLimits;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import java.util.EnumMap;
import java.util.Map;
import org.jdbi.v3.core.Handle;
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
            ResourceGroupInfo g = new ResourceGroupDao(h).find(groupId, false)
                    .orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId));
            return limits(h, g);
        });
    }

    /** The same for a group just read (a submit has it): one statement, its quotas, instead of four. */
    public GroupLimits read(ResourceGroupInfo group) {
        return jdbi.withHandle(h -> limits(h, group));
    }

    /** Whether the group was released (what it held elsewhere, e.g. a Kubernetes namespace, may go); false for an unknown id. */
    public boolean released(String groupId) {
        return jdbi.withHandle(h -> new ResourceGroupDao(h).find(groupId, false)
                .map(g -> g.status() == GroupStatus.RELEASED).orElse(false));
    }

    private static GroupLimits limits(Handle h, ResourceGroupInfo g) {
        Map<UsageType, Quota> quotas = new EnumMap<>(UsageType.class);
        new ResourceGroupDao(h).quotas(g.id()).quotas().forEach((type, q) -> quotas.put(type, Quota.of(
                q.minCu() == null ? 0 : q.minCu().milli(), q.maxCu() == null ? Quota.NO_MAXIMUM : q.maxCu().milli())));
        return new GroupLimits(g.status().admitsTasks(), g.capacity().milli(), g.schedulingMaxRunning(), quotas);
    }
}
