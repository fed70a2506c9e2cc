package dev.srg.task;

import dev.srg.admission.UsageType;

/**
 * Told what the dispatcher does, for metrics and usage history. Called on the dispatcher's and the
 * backends' threads (never under a group's lock): implementations only count, never block.
 */
public interface DispatchListener {
    /** An instance of {@code groupId} was admitted after waiting {@code waitMillis} in the queue. */
    default void admitted(String groupId, UsageType type, long waitMillis) {}

    /** An instance of {@code groupId} ended (recorded once) as {@code status}. */
    default void finished(String groupId, InstanceStatus status) {}
}
