package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.kubernetes.KeptPodLogs;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The logs of removed Pods, in the database ({@code kept_run_logs}): any server of a cluster serves a
 * task's log after its Pod is gone, whichever server removed it. At most {@code maxBytes} of a log are
 * kept (as of a local task's output), then a note of how much was dropped.
 */
public final class KeptRunLogs implements KeptPodLogs {
    private final Jdbi jdbi;
    private final long maxBytes;

    public KeptRunLogs(Jdbi jdbi, long maxBytes) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    @Override
    public boolean contains(String runId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM kept_run_logs WHERE run_id = :run")
                .bind("run", runId).mapTo(Integer.class).one()) > 0;
    }

    @Override
    public void keep(String runId, byte[] log) {
        byte[] kept = log;
        if (log.length > maxBytes) {
            byte[] note = ("\n[srg] output truncated: " + (log.length - maxBytes) + " bytes beyond the cap of " + maxBytes
                    + " bytes were not kept\n").getBytes(StandardCharsets.UTF_8);
            kept = Arrays.copyOf(log, (int) maxBytes + note.length);
            System.arraycopy(note, 0, kept, (int) maxBytes, note.length);
        }
        byte[] content = kept;
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO kept_run_logs (run_id, content) VALUES (:run, :content) ON CONFLICT DO NOTHING")
                .bind("run", runId).bind("content", content).execute());
    }

    /** The backend's: the runs of instances launched on it (a run id is its instance's id, or {@code <id>.r<n>}). */
    @Override
    public int removeKeptBefore(String backend, Instant keptBefore) {
        return jdbi.withHandle(h -> h.createUpdate("""
                DELETE FROM kept_run_logs k WHERE k.kept_at < :before
                   AND EXISTS (SELECT 1 FROM instances i WHERE i.id = split_part(k.run_id, '.', 1) AND i.backend = :backend)""")
                .bind("before", keptBefore).bind("backend", backend).execute());
    }

    @Override
    public Optional<byte[]> read(String runId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT content FROM kept_run_logs WHERE run_id = :run")
                .bind("run", runId).mapTo(byte[].class).findOne());
    }
}
