package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.admission.BudgetHold;
import dev.srg.admission.FairShareSettings;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.LimitsSource;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import dev.srg.billing.BudgetManager;
import dev.srg.error.SrgException;
import dev.srg.store.OneTrip;
import java.time.Clock;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * What admission needs to know of a group, read from the store (the truth). On its own, so that
 * the dispatcher can be built before the group manager (which asks the dispatcher what runs).
 */
public final class AdmissionLimitsReader implements LimitsSource {
    private final Jdbi jdbi;
    private final Clock clock;

    /** {@code clock}: when a quota profile is scheduled (SPEC BEY-2), what applies depends on the time. */
    public AdmissionLimitsReader(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** What admission applies to the group now: its limits and which tasks spent budgets hold (SPEC BEY-3). */
    @Override
    public GroupLimits read(String groupId) {
        GroupLimits limits = readAll(List.of(groupId)).get(groupId);
        if (limits == null) {
            throw SrgException.notFound("ResourceGroup", groupId);
        }
        return limits;
    }

    /**
     * The same for many groups in five statements whatever their number (a new leader reads every
     * group with work at once; six statements a group made a takeover's time grow with the groups).
     */
    @Override
    public Map<String, GroupLimits> readAll(Collection<String> groupIds) {
        List<String> ids = List.copyOf(new LinkedHashSet<>(groupIds));
        if (ids.isEmpty()) {
            return Map.of();
        }
        return jdbi.withHandle(h -> {
            ResourceGroupDao dao = new ResourceGroupDao(h);
            Map<String, QuotaSettings> quotas = dao.quotas(ids);
            Map<String, QuotaScheduleManager.Stored> schedules = QuotaScheduleManager.findAll(h, ids);
            Map<String, BudgetHold> holds = BudgetManager.holds(h, ids, YearMonth.from(clock.instant().atZone(ZoneOffset.UTC)));
            Map<String, Map<String, Integer>> weights = dao.shareWeights(ids);
            Map<String, GroupLimits> limits = new HashMap<>();
            for (ResourceGroupInfo g : dao.forAdmission(ids)) {
                GroupLimits own = limits(g, quotas.get(g.id()), Optional.ofNullable(schedules.get(g.id())));
                limits.put(g.id(), own.withBudgetHold(holds.get(g.id()))
                        .withFairShare(own.fairShare().withWeights(weights.getOrDefault(g.id(), Map.of()))));
            }
            return limits;
        });
    }

    /** A group as a submission checks it, and the limits that apply to it now. */
    public record Submitting(ResourceGroupInfo group, GroupLimits limits) {}

    /**
     * A group for a submission, in one statement: the group without its networks and workspaces,
     * and its limits without the budgets' holds (a submit checks quotas; admission applies holds
     * from {@link #read(String)}). Empty for an unknown id.
     */
    public Optional<Submitting> forSubmit(String groupId) {
        return jdbi.withHandle(h -> new ResourceGroupDao(h).findForSubmit(groupId))
                .map(f -> new Submitting(f.group(), limits(f.group(), f.quotas(), f.schedule())));
    }

    /**
     * {@link #forSubmit} as a read to send with others in one round trip ({@link OneTrip}): the group
     * {@code :group}, or, when that is null, the default group of workspace {@code :workspace} as
     * stored when the statement runs.
     */
    public OneTrip.Read<Submitting> forSubmitOfWorkspaceRead() {
        return new OneTrip.Read<>(ResourceGroupDao.forSubmitSql(
                "COALESCE(:group, (SELECT default_resource_group_id FROM workspaces WHERE id = :workspace))"), (rs, ctx) -> {
            ResourceGroupDao.ForSubmit f = ResourceGroupDao.FOR_SUBMIT.map(rs, ctx);
            return new Submitting(f.group(), limits(f.group(), f.quotas(), f.schedule()));
        });
    }

    /** Whether the group was released (what it held elsewhere, e.g. a Kubernetes namespace, may go); false for an unknown id. */
    public boolean released(String groupId) {
        return jdbi.withHandle(h -> new ResourceGroupDao(h).find(groupId, false)
                .map(g -> g.status() == GroupStatus.RELEASED).orElse(false));
    }

    /**
     * The group's own limits, or a scheduled profile's where one applies now (SPEC BEY-2), with its
     * shares' half-life; the workspaces' weights are {@link #readAll}'s (a submission needs none).
     */
    private GroupLimits limits(ResourceGroupInfo g, QuotaSettings quotaSettings, Optional<QuotaScheduleManager.Stored> schedule) {
        Map<UsageType, Quota> quotas = QuotaScheduleManager.admissionQuotas(quotaSettings.quotas());
        GroupLimits own = new GroupLimits(g.status().admitsTasks(), g.capacity().milli(), g.schedulingMaxRunning(), quotas)
                .withQueuePolicy(g.queuePolicy())
                .withFairShare(new FairShareSettings(Duration.ofSeconds(g.shareHalfLifeSeconds()), Map.of()));
        return QuotaScheduleManager.effective(schedule, g.id(), own, clock.instant());
    }
}
