package dev.srg.execution;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;

/**
 * Runs task instances. A backend knows instances, not HTTP or the database: the server decides
 * (admission) and records its decision before it calls the backend, and learns every outcome from
 * the {@link ExitListener} given to the backend at construction.
 *
 * <p>Contract the server relies on:
 * <ul>
 *   <li>Write-ahead: the server commits STARTING before {@link #launch}; after a crash it may call
 *       {@code launch} again for every instance left in STARTING. A task runs at most once, however
 *       often and however concurrently it is launched, also across restarts of the server.</li>
 *   <li>The listener is called exactly once per instance per backend lifetime with its final
 *       {@link ExitStatus}: for instances launched here, re-attached by {@link #recover} or found
 *       already finished by {@code launch}, {@code recover} or {@code cancel}.</li>
 *   <li>{@link #close} does not stop running tasks: they keep running and are re-attached by the
 *       next backend's {@code recover} (work-preserving restart).</li>
 * </ul>
 */
public interface ExecutionBackend extends AutoCloseable {

    /** A short name for logs and the console, e.g. {@code local}. */
    String name();

    /**
     * Starts the instance unless it was already started (by this or an earlier backend); never
     * runs a task twice. Returns quickly: the task runs in the background.
     */
    Launched launch(LaunchSpec spec);

    /**
     * What a launch of {@code spec} needs besides the launch itself (the local backend: the
     * instance's files, its uid, its cgroups), begun in the background while the transaction that
     * records the start is still committing, so that {@link #launch} after the commit has less to
     * do (issue 17). Nothing runs: a task runs only through {@link #launch}. If the start does not
     * commit, the server calls {@link #discardAhead}; what a crash in between leaves, the next
     * {@link #recover} removes (its instance is not among the active ones). Default: nothing, the
     * launch does it all.
     */
    default void prepareAhead(LaunchSpec spec) {
    }

    /**
     * Why this backend cannot take new instances now for want of storage (the local backend: its
     * directory's disk has less free space than its reserve, or a launch met a full disk a moment
     * ago), in words for an operator and a client; empty when it can. Cheap: read at every
     * submission (the local backend asks the kernel at most every 200 ms).
     */
    default java.util.Optional<String> storageShortage() {
        return java.util.Optional.empty();
    }

    /** Whether a failure is a full disk's (ENOSPC) or a quota's (EDQUOT), not the instance's nor srg's fault. */
    static boolean diskFull(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
                return true;
            }
        }
        return false;
    }

    /** The start prepared by {@link #prepareAhead} did not commit: whatever it made goes, as if never made. */
    default void discardAhead(String instanceId) {
    }

    /**
     * Stops the instance: kills its whole process tree and reports it {@link FailureReason#CANCELLED}.
     * An instance not started yet is marked so that it never starts. Does nothing for a finished one.
     */
    void cancel(String instanceId);

    /**
     * Re-attaches to the given instances after a restart of the server. Finished ones (also
     * those lost: started, but whose supervisor is gone without an outcome) are reported through
     * the listener; running ones are reported when they finish; ones that never started are only
     * returned, so that the server can launch them again or fail them. Called on every backend
     * when this server takes charge (an empty list where none of its instances is active).
     */
    List<RecoveredInstance> recover(Collection<String> instanceIdsTheStoreThinksAreActive);

    /** Whether this backend enforces the CPU and memory of the CUs, and if not, why not (ADM-7). */
    LimitsSupport limitsSupport();

    /**
     * SPEC RT-3: which of CPU, memory, network, DNS and image this backend enforces for a launch of
     * {@code spec}, with a note for each that it does not. Recorded on the instance when it starts.
     */
    Enforcement enforcement(LaunchSpec spec);

    /**
     * The output of a launch (stdout and stderr together) from byte {@code offset}, as far as it is
     * written now; empty when there is none (yet). The caller closes the stream.
     */
    InputStream openLog(String instanceId, long offset) throws IOException;

    /** Stops watching instances without stopping them; no listener calls happen afterwards. */
    @Override
    void close();
}
