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
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TEST backend (test code only, not a product backend): runs each launch as a real child
 * process of the test JVM in a directory of its own, records every launch spec it got, and reports
 * exits. No isolation, no limits, no at-most-once across restarts (it forgets everything).
 */
final class InProcessTestBackend implements ExecutionBackend {
    private final String name;
    private final Path base;
    private final ExitListener listener;
    private final List<LaunchSpec> launches = new CopyOnWriteArrayList<>();
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cancelled = new ConcurrentHashMap<>();

    InProcessTestBackend(String name, Path base, ExitListener listener) {
        this.name = requireNonNull(name, "name is null");
        this.base = requireNonNull(base, "base is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    List<LaunchSpec> launches() {
        return List.copyOf(launches);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Launched launch(LaunchSpec spec) {
        if (processes.containsKey(spec.instanceId())) {
            return new Launched(spec.instanceId(), LaunchOutcome.ALREADY_RUNNING);
        }
        launches.add(spec);
        Path dir = base.resolve(spec.instanceId());
        Instant started = Instant.now();
        try {
            Files.createDirectories(dir);
            for (var f : spec.command().files().entrySet()) {
                Files.writeString(dir.resolve(f.getKey()), f.getValue());
            }
            ProcessBuilder builder = new ProcessBuilder(spec.command().argv()).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("output.log").toFile()))
                    .redirectErrorStream(true);
            builder.environment().putAll(spec.taskEnv());
            Process p = builder.start();
            processes.put(spec.instanceId(), p);
            p.onExit().thenAccept(done -> {
                int code = done.exitValue();
                FailureReason reason = cancelled.containsKey(spec.instanceId()) ? FailureReason.CANCELLED
                        : code == 0 ? FailureReason.NONE : FailureReason.NON_ZERO_EXIT;
                listener.onExit(spec.instanceId(), new ExitStatus(reason == FailureReason.CANCELLED ? null : code, reason,
                        started, Instant.now(), 0, null, false, "test backend: no limits"));
            });
        } catch (IOException e) {
            listener.onExit(spec.instanceId(), ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, Instant.now(), e.toString()));
            return new Launched(spec.instanceId(), LaunchOutcome.FINISHED);
        }
        return new Launched(spec.instanceId(), LaunchOutcome.STARTED);
    }

    @Override
    public void cancel(String instanceId) {
        cancelled.put(instanceId, true);
        Process p = processes.get(instanceId);
        if (p != null) {
            p.destroyForcibly();
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
        return new LimitsSupport(false, "test backend: no limits");
    }

    @Override
    public Enforcement enforcement(LaunchSpec spec) {
        Enforcement.Item no = Enforcement.Item.no("test backend " + name + ": nothing enforced");
        return new Enforcement(no, no, no, no, no, no);
    }

    @Override
    public InputStream openLog(String instanceId, long offset) throws IOException {
        SeekableByteChannel channel;
        try {
            channel = Files.newByteChannel(base.resolve(instanceId).resolve("output.log"), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return InputStream.nullInputStream();
        }
        channel.position(Math.min(offset, channel.size()));
        return Channels.newInputStream(channel);
    }

    @Override
    public void close() {
        processes.values().forEach(Process::destroyForcibly);
    }

    static Path tempBase() {
        try {
            return Files.createTempDirectory("srg-test-backend");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
