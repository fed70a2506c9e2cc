package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.Enforcement;
import dev.srg.execution.ExecutionBackend;
import dev.srg.execution.ExitListener;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.Launched;
import dev.srg.execution.LimitsSupport;
import dev.srg.execution.RecoveredInstance;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TEST backend (test code only): a launch runs nothing; the test ends each run when it decides
 * ({@link #finish}), so that run times are exact on a simulated clock. Used to measure start
 * estimates against the starts that really happen (SPEC BEY-1).
 */
final class ScriptedRunsBackend implements ExecutionBackend {
    private final ExitListener listener;
    private final Map<String, Instant> running = new ConcurrentHashMap<>();
    private final Set<String> launched = ConcurrentHashMap.newKeySet();

    ScriptedRunsBackend(ExitListener listener) {
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** The runs that were launched and have not ended. */
    Set<String> running() {
        return Set.copyOf(running.keySet());
    }

    /** Ends a run successfully now (the dispatcher admits what then fits before this returns). */
    void finish(String instanceId) {
        Instant started = running.remove(instanceId);
        if (started != null) {
            listener.onExit(instanceId, new ExitStatus(0, FailureReason.NONE, started, Instant.now(), 0.1, 64L << 20, false,
                    "test backend: nothing runs"));
        }
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public Launched launch(LaunchSpec spec) {
        if (!launched.add(spec.instanceId())) {
            return new Launched(spec.instanceId(), LaunchOutcome.ALREADY_RUNNING);
        }
        running.put(spec.instanceId(), Instant.now());
        return new Launched(spec.instanceId(), LaunchOutcome.STARTED);
    }

    @Override
    public void cancel(String instanceId) {
        if (running.remove(instanceId) != null) {
            listener.onExit(instanceId, new ExitStatus(null, FailureReason.CANCELLED, null, Instant.now(), 0, null, false,
                    "test backend: cancelled"));
        }
    }

    @Override
    public List<RecoveredInstance> recover(Collection<String> ids) {
        List<RecoveredInstance> out = new ArrayList<>();
        ids.forEach(id -> out.add(new RecoveredInstance(id, RecoveredInstance.State.NOT_STARTED)));
        return out;
    }

    @Override
    public LimitsSupport limitsSupport() {
        return new LimitsSupport(false, "test backend: nothing runs");
    }

    @Override
    public Enforcement enforcement(LaunchSpec spec) {
        Enforcement.Item no = Enforcement.Item.no("test backend: nothing runs");
        return new Enforcement(no, no, no, no, no, no);
    }

    @Override
    public InputStream openLog(String instanceId, long offset) {
        return InputStream.nullInputStream();
    }

    @Override
    public void close() {
        running.clear();
    }
}
