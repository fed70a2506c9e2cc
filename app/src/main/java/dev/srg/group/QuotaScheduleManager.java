package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AuditAction;
import dev.srg.access.AuditEntry;
import dev.srg.access.AuditLog;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.admission.GroupLimits;
import dev.srg.admission.Quota;
import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.json.Json;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;

/**
 * Quota profiles on cron schedules (SPEC BEY-2): stored per group, applied by deriving what applies
 * now ({@link QuotaScheduleDecider}) whenever admission reads a group's limits, so nothing about
 * the applied profile can be lost. {@link #runDue} (a background job, also run when the simulated
 * clock moves) notices a switch, audits it once and has admission re-read the limits, exactly as a
 * quota change does.
 */
public final class QuotaScheduleManager {
    private static final Logger LOG = LoggerFactory.getLogger(QuotaScheduleManager.class);
    public static final int MAX_PROFILES = 20;
    public static final int MAX_DURATION_MINUTES = 31 * 24 * 60;
    public static final Duration MAX_TIMELINE = Duration.ofDays(31);
    private static final int MAX_SEGMENTS = 1000;
    private static final TypeReference<List<QuotaSchedule.Profile>> PROFILES = new TypeReference<>() {};

    private final Jdbi jdbi;
    private final Clock clock;
    private final ResourceGroupManager groups;

    public QuotaScheduleManager(Jdbi jdbi, Clock clock, ResourceGroupManager groups) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.groups = requireNonNull(groups, "groups is null");
    }

    /** A stored schedule, parsed. */
    record Stored(ZoneId zone, List<QuotaSchedule.Profile> profiles, String applied) {
        QuotaScheduleDecider decider() {
            List<QuotaScheduleDecider.Rule> rules = new ArrayList<>(profiles.size());
            profiles.forEach(p -> rules.add(new QuotaScheduleDecider.Rule(Cron.parse(p.cron()),
                    Duration.ofMinutes(p.durationMinutes()))));
            return new QuotaScheduleDecider(rules, zone);
        }
    }

    static Optional<Stored> find(Handle h, String groupId) {
        return Optional.ofNullable(findAll(h, List.of(groupId)).get(groupId));
    }

    /** The schedules of several groups in one statement, by group (groups without one are left out). */
    static Map<String, Stored> findAll(Handle h, Collection<String> groupIds) {
        Map<String, Stored> out = new HashMap<>();
        h.createQuery("""
                SELECT resource_group_id, time_zone, profiles::text AS profiles, applied FROM quota_schedules
                 WHERE resource_group_id = ANY(:ids)""")
                .bindArray("ids", String.class, List.copyOf(groupIds))
                .map((rs, ctx) -> out.put(rs.getString("resource_group_id"),
                        stored(rs.getString("time_zone"), rs.getString("profiles"), rs.getString("applied"))))
                .list();
        return out;
    }

    /** A schedule from its stored columns (profiles: the JSON text). */
    static Stored stored(String zone, String profiles, String applied) {
        return new Stored(ZoneId.of(zone), Json.STORED.readValue(profiles, PROFILES), applied);
    }

    /**
     * The limits that apply at {@code now}: the group's own, or the scheduled profile's quotas and
     * threshold in their place. A profile that no longer fits the group (it cannot happen through
     * the API: scale-in below a profile's minimums is refused) leaves the group's own in force.
     */
    static GroupLimits effective(Handle h, String groupId, GroupLimits own, Instant now) {
        return effective(find(h, groupId), groupId, own, now);
    }

    /** The same with the group's schedule read already (empty: it has none). */
    static GroupLimits effective(Optional<Stored> stored, String groupId, GroupLimits own, Instant now) {
        if (stored.isEmpty()) {
            return own;
        }
        int chosen = stored.get().decider().at(now).profile();
        if (chosen < 0) {
            return own;
        }
        QuotaSchedule.Profile p = stored.get().profiles().get(chosen);
        try {
            return new GroupLimits(own.admitting(), own.capacityMilliCu(),
                    p.schedulingMaxRunning() == null ? own.schedulingMaxRunning() : p.schedulingMaxRunning(),
                    p.quotas() == null ? own.quotas() : admissionQuotas(p.quotas()), own.budgetHold(), own.queuePolicy(), own.fairShare());
        } catch (IllegalArgumentException e) {
            LOG.warn("quota profile '{}' of {} does not fit the group, its own limits apply: {}", p.name(), groupId, e.getMessage());
            return own;
        }
    }

    static Map<UsageType, Quota> admissionQuotas(Map<UsageType, QuotaSettings.Quota> quotas) {
        Map<UsageType, Quota> out = new EnumMap<>(UsageType.class);
        quotas.forEach((type, q) -> out.put(type, Quota.of(q.minCu() == null ? 0 : q.minCu().milli(),
                q.maxCu() == null ? Quota.NO_MAXIMUM : q.maxCu().milli())));
        return out;
    }

    /** The schedule and what applies now (an empty schedule when the group has none). */
    public QuotaSchedule get(Principal caller, String groupId) {
        ResourceGroupInfo g = groups.get(caller, groupId);
        return jdbi.withHandle(h -> {
            Stored s = find(h, groupId).orElse(new Stored(ZoneId.of("UTC"), List.of(), ""));
            Instant now = clock.instant();
            QuotaScheduleDecider decider = s.decider();
            int chosen = decider.at(now).profile();
            Instant until = decider.nextChange(now, now.plus(MAX_TIMELINE)).orElse(null);
            Instant since = chosen < 0 ? null : decider.at(now).since();
            return new QuotaSchedule(s.zone().getId(), s.profiles(), applied(g, h, s, chosen, since, until));
        });
    }

    private static QuotaSchedule.Applied applied(ResourceGroupInfo g, Handle h, Stored s, int chosen, Instant from, Instant to) {
        QuotaSettings own = new ResourceGroupDao(h).quotas(g.id());
        if (chosen < 0) {
            return new QuotaSchedule.Applied(from, to, null, own.quotas(), g.schedulingMaxRunning());
        }
        QuotaSchedule.Profile p = s.profiles().get(chosen);
        return new QuotaSchedule.Applied(from, to, p.name(), p.quotas() == null ? own.quotas() : p.quotas(),
                p.schedulingMaxRunning() == null ? g.schedulingMaxRunning() : p.schedulingMaxRunning());
    }

    /** What applies when over {@code [from, to)} (defaults: now, 7 days later; at most 31 days). */
    public QuotaSchedule.Timeline timeline(Principal caller, String groupId, Instant from, Instant to) {
        ResourceGroupInfo g = groups.get(caller, groupId);
        Instant start = from == null ? clock.instant() : from;
        Instant end = to == null ? start.plus(Duration.ofDays(7)) : to;
        if (!end.isAfter(start)) {
            throw SrgException.invalid("to", "InvalidParameter.Timeline", "to must be after from");
        }
        if (Duration.between(start, end).compareTo(MAX_TIMELINE) > 0) {
            throw SrgException.invalid("to", "InvalidParameter.Timeline", "a timeline spans at most 31 days");
        }
        return jdbi.withHandle(h -> {
            Stored s = find(h, groupId).orElse(new Stored(ZoneId.of("UTC"), List.of(), ""));
            List<QuotaSchedule.Applied> entries = new ArrayList<>();
            for (QuotaScheduleDecider.Segment seg : s.decider().timeline(start, end, MAX_SEGMENTS)) {
                entries.add(applied(g, h, s, seg.profile(), seg.from(), seg.to()));
            }
            return new QuotaSchedule.Timeline(s.zone().getId(), start, end, entries);
        });
    }

    /** Replaces the group's schedule (no profiles: removes it); admission re-reads the limits. */
    public QuotaSchedule put(Principal caller, String groupId, QuotaSchedule request) {
        caller.requireAll("change quota schedules", Policy.ResourceGroupFullAccess);
        if (request == null || request.profiles() == null) {
            throw SrgException.invalid("profiles", "MissingParameter", "profiles is required (an empty list removes the schedule)");
        }
        ZoneId zone = zone(request.timeZone());
        if (request.profiles().size() > MAX_PROFILES) {
            throw SrgException.invalid("profiles", "InvalidParameter.QuotaSchedule", "at most " + MAX_PROFILES + " profiles");
        }
        jdbi.useTransaction(h -> {
            ResourceGroupInfo g = new ResourceGroupDao(h).find(groupId, true)
                    .orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId));
            ResourceGroupManager.requireNotReleased(g);
            long maxMinimums = 0;
            Set<String> names = new HashSet<>();
            for (int i = 0; i < request.profiles().size(); i++) {
                maxMinimums = Math.max(maxMinimums, check("profiles[" + i + "]", request.profiles().get(i), g, names, zone, clock.instant()));
            }
            if (request.profiles().isEmpty()) {
                h.createUpdate("DELETE FROM quota_schedules WHERE resource_group_id = :id").bind("id", groupId).execute();
                return;
            }
            // `applied` is kept: the scheduler compares what applies now with the last switch it audited
            h.createUpdate("""
                    INSERT INTO quota_schedules (resource_group_id, time_zone, profiles, max_minimums_milli_cu, updated_at)
                    VALUES (:id, :zone, CAST(:profiles AS jsonb), :min, :now)
                    ON CONFLICT (resource_group_id) DO UPDATE SET time_zone = :zone, profiles = CAST(:profiles AS jsonb),
                        max_minimums_milli_cu = :min, updated_at = :now""")
                    .bind("id", groupId).bind("zone", zone.getId()).bind("profiles", Json.write(request.profiles()))
                    .bind("min", maxMinimums).bind("now", clock.instant()).execute();
        });
        groups.limitsChanged(groupId);
        return get(caller, groupId);
    }

    private static ZoneId zone(String timeZone) {
        if (timeZone == null) {
            return ZoneId.of("UTC");
        }
        try {
            return ZoneId.of(timeZone);
        } catch (DateTimeException e) {
            throw SrgException.invalid("timeZone", "InvalidParameter.QuotaSchedule.TimeZone",
                    "timeZone '" + timeZone + "' is not a time zone (e.g. UTC, Europe/Berlin, Asia/Shanghai)");
        }
    }

    /** Validates one profile; returns the sum of its minimums. */
    private static long check(String field, QuotaSchedule.Profile p, ResourceGroupInfo g, Set<String> names, ZoneId zone,
                              Instant now) {
        if (p == null) {
            throw SrgException.invalid(field, "InvalidParameter.QuotaSchedule", field + " is empty");
        }
        if (p.name() == null || p.name().isBlank()) {
            throw SrgException.invalid(field + ".name", "MissingParameter", field + ".name is required");
        }
        if (p.name().length() > 64 || !names.add(p.name())) {
            throw SrgException.invalid(field + ".name", "InvalidParameter.QuotaSchedule",
                    field + ".name '" + p.name() + "' must be unique in the schedule and at most 64 characters");
        }
        Cron cron;
        try {
            cron = Cron.parse(p.cron());
        } catch (IllegalArgumentException e) {
            throw SrgException.invalid(field + ".cron", "InvalidParameter.QuotaSchedule.Cron", field + ".cron: " + e.getMessage());
        }
        if (cron.firstAfter(now, now.plus(Duration.ofDays(366 * 8)), zone).isEmpty()) {
            throw SrgException.invalid(field + ".cron", "InvalidParameter.QuotaSchedule.Cron",
                    field + ".cron '" + p.cron() + "' never fires");
        }
        if (p.durationMinutes() == null) {
            throw SrgException.invalid(field + ".durationMinutes", "MissingParameter", field + ".durationMinutes is required");
        }
        if (p.durationMinutes() < 1 || p.durationMinutes() > MAX_DURATION_MINUTES) {
            throw SrgException.invalid(field + ".durationMinutes", "InvalidParameter.QuotaSchedule",
                    field + ".durationMinutes must be 1 to " + MAX_DURATION_MINUTES + " (31 days), got " + p.durationMinutes());
        }
        if (p.quotas() == null && p.schedulingMaxRunning() == null) {
            throw SrgException.invalid(field + ".quotas", "MissingParameter", field + " needs quotas, schedulingMaxRunning or both");
        }
        Integer n = p.schedulingMaxRunning();
        if (n != null && (n < GroupLimits.MIN_SCHEDULING_MAX_RUNNING || n > GroupLimits.MAX_SCHEDULING_MAX_RUNNING)) {
            throw SrgException.invalid(field + ".schedulingMaxRunning", "InvalidParameter.Concurrency",
                    field + ".schedulingMaxRunning must be " + GroupLimits.MIN_SCHEDULING_MAX_RUNNING + " to "
                            + GroupLimits.MAX_SCHEDULING_MAX_RUNNING + ", got " + n + " (see docs/rules.md#ADM-4)");
        }
        return p.quotas() == null ? 0 : ResourceGroupManager.checkQuotas(field + ".quotas", p.quotas(), g.quotaCapacity());
    }

    /**
     * Notices every group whose applied profile switched since the last run: audits the switch
     * once (a compare-and-set on the remembered one, so a restart or another leader does not
     * audit it again) and has admission re-read the group's limits.
     */
    public void runDue() {
        Instant now = clock.instant();
        List<String> switched = jdbi.inTransaction(h -> {
            List<String> ids = h.createQuery("SELECT resource_group_id FROM quota_schedules ORDER BY resource_group_id")
                    .mapTo(String.class).list();
            List<String> out = new ArrayList<>();
            for (String id : ids) {
                Stored s = find(h, id).orElseThrow();
                QuotaScheduleDecider.Choice c = s.decider().at(now);
                String name = c.profile() < 0 ? "" : s.profiles().get(c.profile()).name();
                if (name.equals(s.applied())) {
                    continue;
                }
                int changed = h.createUpdate("UPDATE quota_schedules SET applied = :name WHERE resource_group_id = :id AND applied = :old")
                        .bind("name", name).bind("id", id).bind("old", s.applied()).execute();
                if (changed == 1) {
                    AuditLog.record(h, now, AuditEntry.system(AuditAction.Named.RESOURCE_GROUP_QUOTA_PROFILE, id,
                            name.isEmpty() ? "the group's own quotas and threshold apply again (profile '" + s.applied() + "' ended)"
                                    : "profile '" + name + "' applies since " + c.since()));
                    out.add(id);
                }
            }
            return out;
        });
        switched.forEach(groups::limitsChanged);
    }
}
