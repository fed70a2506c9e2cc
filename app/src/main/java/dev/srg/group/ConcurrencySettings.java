package dev.srg.group;

/** {@code GET/PUT /resource-groups/{id}/concurrency}: how many SCHEDULING tasks run at once (ADM-4). */
public record ConcurrencySettings(Integer schedulingMaxRunning) {}
