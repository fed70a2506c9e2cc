package dev.srg.admission;

import static java.util.Objects.requireNonNull;

/**
 * A queued task as the read model shows it (SPEC ADM-5, MON-2).
 *
 * @param task the task
 * @param position 1-based place in the group's queue (priority, then arrival)
 * @param reason why it waits now
 * @param waitedMillis how long it has waited
 * @param fitsWhenIdle false when it can never start under the current limits, even in an idle
 *     group: larger than its type's maximum, or than the capacity less the other types'
 *     minimums. It waits (never dropped) until the limits change, and holds nothing for itself.
 * @param fairShare under {@link QueuePolicy#FAIR_SHARE}: its workspace's share, weight, weighted share
 *     and tier when the walk reached it (what it is ordered by); null under ARRIVAL
 * @param behindWorkspaceId under {@link QueuePolicy#FAIR_SHARE}: the workspace of the nearest task
 *     ahead of it that is of another workspace (it waits behind that workspace's smaller share, or
 *     a higher priority); null when none is ahead, or under ARRIVAL
 */
public record QueuedTaskInfo(QueuedTask task, int position, WaitReason reason, long waitedMillis, boolean fitsWhenIdle,
                             FairShareInfo fairShare, String behindWorkspaceId) {
    public QueuedTaskInfo {
        requireNonNull(task, "task is null");
        requireNonNull(reason, "reason is null");
    }

    /** A task of a group ordered by arrival. */
    public QueuedTaskInfo(QueuedTask task, int position, WaitReason reason, long waitedMillis, boolean fitsWhenIdle) {
        this(task, position, reason, waitedMillis, fitsWhenIdle, null, null);
    }

    /** Its workspace's share when the walk reached it (FAIR_SHARE); null under ARRIVAL. */
    public Double workspaceShareCu() {
        return fairShare == null ? null : fairShare.shareCu();
    }
}
