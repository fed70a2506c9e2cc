package dev.srg.group;

/** Told the id of a group whose admission limits (state, capacity, quotas, concurrency) changed. */
@FunctionalInterface
public interface GroupLimitsListener {
    void limitsChanged(String groupId);
}
