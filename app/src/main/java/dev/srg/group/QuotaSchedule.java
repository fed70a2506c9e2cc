package dev.srg.group;

import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code GET/PUT /resource-groups/{id}/quota-schedule} (SPEC BEY-2): profiles of quotas and
 * concurrency threshold, each applying for {@code durationMinutes} from every firing of its cron
 * expression, read in the schedule's {@code timeZone} (the group's, UTC by default). While a
 * profile applies, its {@code quotas} replace the group's whole quota set and its
 * {@code schedulingMaxRunning} the group's threshold (either left out: the group's own applies).
 * When several apply, the one that fired last wins (a tie: the first in the list); when none does,
 * the group's own quotas and threshold apply.
 *
 * @param applied in answers only: what applies now
 */
public record QuotaSchedule(String timeZone, List<Profile> profiles, Applied applied) {
    public QuotaSchedule {
        if (profiles != null) {
            for (int i = 0; i < profiles.size(); i++) {
                if (profiles.get(i) == null) { // List.copyOf's NullPointerException was a 400 naming no field
                    throw SrgException.invalid("profiles[" + i + "]", "MissingParameter", "profiles[" + i + "] is null: a profile is"
                            + " an object {name, cron, durationMinutes, quotas}");
                }
            }
            profiles = List.copyOf(profiles);
        }
    }

    /** One profile; {@code quotas} as in {@code PUT /quotas}. */
    public record Profile(String name, String cron, Integer durationMinutes, Map<UsageType, QuotaSettings.Quota> quotas,
                          Integer schedulingMaxRunning) {}

    /**
     * What applies from {@code from} to {@code to}: a profile ({@code profile} its name) or the
     * group's own settings ({@code profile} absent); {@code to} absent when nothing changes within
     * the horizon asked for.
     */
    public record Applied(Instant from, Instant to, String profile, Map<UsageType, QuotaSettings.Quota> quotas,
                          int schedulingMaxRunning) {}

    /** {@code GET /resource-groups/{id}/quota-schedule/timeline}: what applies when. */
    public record Timeline(String timeZone, Instant from, Instant to, List<Applied> entries) {}
}
