package dev.srg.admission;

/**
 * What {@link QueuePolicy#FAIR_SHARE} orders a group's queue by, for one workspace (see
 * {@link GroupLedger#shareCu}).
 *
 * @param workspaceId the workspace; null for tasks of none
 * @param decayedCuSeconds its CU-seconds on this group, each second weighed {@code 2^(-age / halfLife)}
 * @param runningMilliCu the CU its tasks run with now, in milli-CU
 * @param shareCu {@code runningMilliCu / 1000 + decayedCuSeconds * ln 2 / halfLife}: the CU it runs
 *     now plus its decayed average CU use
 * @param weight its weight in the group ({@link FairShareSettings}); the smaller {@code shareCu / weight}
 *     goes first, weight 0 after all others
 * @param lastEndMillis when its last running task ended ({@link Long#MIN_VALUE}: none known); the
 *     idle guarantee counts a workspace that runs nothing as idle from then
 */
public record WorkspaceShare(String workspaceId, double decayedCuSeconds, long runningMilliCu, double shareCu, int weight,
                             long lastEndMillis) {
    /** {@code shareCu / weight}; null for weight 0. */
    public Double weightedShareCu() {
        return weight == 0 ? null : shareCu / weight;
    }
}
