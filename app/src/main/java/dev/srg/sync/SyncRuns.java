package dev.srg.sync;

import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * What the server knows of a sync job's earlier runs (SPEC DI-7): each DATA_INTEGRATION instance
 * keeps its job's run key in its payload ({@code syncRunKey}, set at submission); at launch the
 * worker is told which instances of the same key ended without success since the key's last
 * success. A run that finds the completion mark of one of them in the writer's database knows that
 * run wrote every row and was killed before it could say so.
 */
public final class SyncRuns {
    /** The payload's field: the run key of the job as submitted (its data sources by id). */
    static final String PAYLOAD_KEY = "syncRunKey";
    /** At most this many are listed, the latest first; an older one's mark is treated as reported (copied afresh). */
    static final int LIMIT = 100;

    private SyncRuns() {}

    /** The instances of {@code runKey} that ended FAILED, CANCELLED or TIMED_OUT after its last SUCCEEDED one, the latest first. */
    public static List<String> unreported(Jdbi jdbi, String runKey) {
        // instances_sync_run_key (V41_4): both scans are on the key's own entries
        return jdbi.withHandle(h -> h.createQuery("""
                        SELECT id FROM instances
                        WHERE type = 'DATA_INTEGRATION' AND payload->>'syncRunKey' = :key
                          AND status IN ('FAILED', 'CANCELLED', 'TIMED_OUT')
                          AND sequence > coalesce((SELECT max(sequence) FROM instances
                                                   WHERE type = 'DATA_INTEGRATION' AND payload->>'syncRunKey' = :key
                                                     AND status = 'SUCCEEDED'), 0)
                        ORDER BY sequence DESC LIMIT :limit""")
                .bind("key", runKey).bind("limit", LIMIT).mapTo(String.class).list());
    }
}
