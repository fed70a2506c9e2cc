package dev.srg.sync;

import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * What the server knows of a sync job's earlier runs (SPEC DI-7): each DATA_INTEGRATION instance
 * keeps its job's run key in its payload ({@code syncRunKey}, set at submission); at launch the
 * worker is told which instances of the same key may have made their completion commit without
 * reporting it. A run that finds the completion mark of one of them in the writer's database knows
 * that run wrote every row.
 */
public final class SyncRuns {
    /** The payload's field: the run key of the job as submitted (its data sources by id). */
    static final String PAYLOAD_KEY = "syncRunKey";
    /**
     * At most this many ended runs are listed, the latest first; an older one's mark is treated as
     * reported (copied afresh). Only runs that did not say they failed count (see {@link #unreported}),
     * so runs that fail by themselves (a writer unreachable for days) never push the killed one out.
     */
    static final int LIMIT = 100;

    private SyncRuns() {}

    /**
     * The same job's instances whose completion mark, if the writer's database has one, was never
     * reported: those that ended FAILED, CANCELLED or TIMED_OUT after the key's last SUCCEEDED one
     * without exiting by the worker's own failure codes ({@link SyncMain#EXIT_FAILED}: it failed
     * before any completion commit; 2: a bad job file), the latest first; then those not ended yet
     * (STARTING, RUNNING; the launching one among them): the worker waits for them in the writer's
     * database, and a mark one of them made is its completion, reported or not, of the same copy.
     */
    public static List<String> unreported(Jdbi jdbi, String runKey) {
        // instances_sync_succeeded, _unreported and _unsettled (V43_4): each scan is on the key's own entries of
        // that kind, however many runs that said they failed the key has had
        return jdbi.withHandle(h -> {
            List<String> ended = h.createQuery("""
                            SELECT id FROM instances
                            WHERE type = 'DATA_INTEGRATION' AND payload->>'syncRunKey' = :key
                              AND status IN ('FAILED', 'CANCELLED', 'TIMED_OUT') AND coalesce(exit_code, -1) NOT IN (1, 2)
                              AND sequence > coalesce((SELECT max(sequence) FROM instances
                                                       WHERE type = 'DATA_INTEGRATION' AND payload->>'syncRunKey' = :key
                                                         AND status = 'SUCCEEDED'), 0)
                            ORDER BY sequence DESC LIMIT :limit""")
                    .bind("key", runKey).bind("limit", LIMIT).mapTo(String.class).list();
            List<String> unsettled = h.createQuery("""
                            SELECT id FROM instances
                            WHERE type = 'DATA_INTEGRATION' AND payload->>'syncRunKey' = :key
                              AND status IN ('STARTING', 'RUNNING')
                            ORDER BY sequence LIMIT :limit""")
                    .bind("key", runKey).bind("limit", LIMIT).mapTo(String.class).list();
            return java.util.stream.Stream.concat(ended.stream(), unsettled.stream()).toList();
        });
    }
}
