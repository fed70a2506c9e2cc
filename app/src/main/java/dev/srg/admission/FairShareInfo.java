package dev.srg.admission;

/**
 * Where a queued task's workspace stood when a {@link QueuePolicy#FAIR_SHARE} walk reached it: what
 * the queue is ordered by (docs/rules.md#queue-policy).
 *
 * @param shareCu the workspace's share, in CU (see {@link GroupLedger#shareCu})
 * @param weight its weight in the group ({@link FairShareSettings#weight})
 * @param weightedShareCu {@code shareCu / weight}, which orders the workspaces of a positive weight;
 *     null for weight 0 (such a workspace comes after all of them)
 * @param idleGuarantee whether the workspace is in the idle guarantee's tier: it runs nothing and has
 *     waited at least the starvation bound, so it goes before every workspace ordered by share
 */
public record FairShareInfo(double shareCu, int weight, Double weightedShareCu, boolean idleGuarantee) {}
