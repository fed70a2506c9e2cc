package dev.srg.task;

import static java.util.Objects.requireNonNull;

import org.jdbi.v3.core.Jdbi;

/**
 * Whether the store is done with a launch (a run): what a backend asks before it removes what the
 * run left elsewhere (a Pod and its Secret), so that a removal never makes a recorded launch look
 * like one that never happened.
 */
public final class RunRecords {
    private final Jdbi jdbi;

    public RunRecords(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    /**
     * True when the run's outcome is recorded: its instance is final, or moved on to a later run (a
     * restarted service). False for an unknown instance: nothing of another installation is touched.
     */
    public boolean settled(String runId) {
        String instanceId = InstanceDispatcher.instanceOf(runId);
        return jdbi.withHandle(h -> h.createQuery("SELECT status, coalesce(run_id, id) FROM instances WHERE id = :id")
                .bind("id", instanceId)
                .map((rs, ctx) -> InstanceStatus.valueOf(rs.getString(1)).isFinal() || !rs.getString(2).equals(runId))
                .findOne().orElse(false));
    }
}
