package dev.srg.admission;

import static java.util.Objects.requireNonNull;

/**
 * A task instance waiting in a group's queue.
 *
 * @param id the instance id, unique in the group
 * @param type its usage type
 * @param milliCu the CU it asks for, in milli-CU: positive, a multiple of
 *     {@link GroupLedger#GRANULARITY_MILLI_CU}; per-kind maxima (ADM-3) are the API's to check
 * @param priority higher starts first
 * @param sequence arrival order: unique in the group and increasing with arrival (a database
 *     sequence); ties of priority start in sequence order
 * @param enqueuedAtMillis when it was queued, on the clock later passed to
 *     {@link GroupLedger#admit}; it decides starvation
 * @param workspaceId its workspace, which a spent budget may hold ({@link BudgetHold}); null for
 *     none (then only a hold of the whole group holds it)
 */
public record QueuedTask(String id, UsageType type, long milliCu, int priority, long sequence, long enqueuedAtMillis,
                         String workspaceId) {
    /** A task of no workspace (the ledger's own tests). */
    public QueuedTask(String id, UsageType type, long milliCu, int priority, long sequence, long enqueuedAtMillis) {
        this(id, type, milliCu, priority, sequence, enqueuedAtMillis, null);
    }

    public QueuedTask {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        if (id.isBlank()) {
            throw new IllegalArgumentException("id is blank");
        }
        GroupLedger.checkMilliCu(milliCu);
    }
}
