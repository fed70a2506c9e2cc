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
 */
public record QueuedTaskInfo(QueuedTask task, int position, WaitReason reason, long waitedMillis, boolean fitsWhenIdle) {
    public QueuedTaskInfo {
        requireNonNull(task, "task is null");
        requireNonNull(reason, "reason is null");
    }
}
