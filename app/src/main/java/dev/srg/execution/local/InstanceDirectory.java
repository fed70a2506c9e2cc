package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directory of one instance, shared by the server and the instance's supervisor:
 * <pre>
 *   argv, spec, env       written by the server before the supervisor starts (the kind's files in home/)
 *   identity              "&lt;uid&gt; &lt;gid&gt;" the task runs as when the server is root, written once
 *                         (see {@link TaskIdentities})
 *   started               "&lt;supervisor pid&gt; &lt;its start time in ticks&gt;", created atomically (link(2)):
 *                         whoever creates it owns the only run of the instance
 *   cancel                the server asks for a cancel (durable; the supervisor also gets SIGTERM)
 *   output.log            the task's stdout and stderr, appended while it runs by the supervisor's
 *                         copier up to the output cap, then a note of how much was not kept
 *   exit                  the outcome, renamed into place when complete
 *   home/                 the task's HOME and working directory, owned by the task's uid, 0700
 *   supervisor.log        the supervisor's own diagnostics
 * </pre>
 * The directory and its control files stay root's: the task can write only to home/ and, through
 * a pipe, to the copier of output.log, so it cannot forge an outcome. With a uid of its own the
 * directory is group-owned by the task's gid, mode 0710 (script 0640): the task reaches its
 * home and reads its script, no other task can even enter.
 */
record InstanceDirectory(Path path) {

    private static final Pattern SHELL_TIME = Pattern.compile("(\\d+)m([\\d.]+)s");

    InstanceDirectory {
        requireNonNull(path, "path is null");
    }

    Path argv() { return path.resolve("argv"); }
    Path spec() { return path.resolve("spec"); }
    Path env() { return path.resolve("env"); }
    Path started() { return path.resolve("started"); }
    Path cancel() { return path.resolve("cancel"); }
    Path outputLog() { return path.resolve("output.log"); }
    Path exit() { return path.resolve("exit"); }
    Path home() { return path.resolve("home"); }
    Path identity() { return path.resolve("identity"); }
    Path supervisorLog() { return path.resolve("supervisor.log"); }

    /** The supervisor that owns the run, if the instance was started. */
    Optional<SupervisorRef> startedBy() {
        String content;
        try {
            content = Files.readString(started(), StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + started(), e);
        }
        String[] parts = content.split("\\s+");
        return Optional.of(new SupervisorRef(Long.parseLong(parts[0]), parts.length > 1 ? Long.parseLong(parts[1]) : 0));
    }

    /**
     * Takes the run for the server itself (pid 0: no supervisor), so that the task never starts;
     * false if a supervisor (or an earlier claim) has it already.
     */
    boolean claimWithoutRun() throws IOException {
        Path temporary = path.resolve("started." + UUID.randomUUID());
        Files.writeString(temporary, "0 0\n");
        try {
            Files.createLink(started(), temporary);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** The outcome, if the exit file is there. */
    Optional<ExitStatus> readExit() {
        Map<String, String> values = new HashMap<>();
        try {
            for (String line : Files.readAllLines(exit(), StandardCharsets.UTF_8)) {
                int equals = line.indexOf('=');
                if (equals > 0) {
                    values.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + exit(), e);
        }
        return Optional.of(parseExit(values));
    }

    /** Writes an outcome decided by the server (never started, lost), atomically. */
    void writeExit(ExitStatus status) throws IOException {
        StringBuilder out = new StringBuilder();
        out.append("exit_code=").append(status.exitCode() == null ? "" : status.exitCode()).append('\n');
        out.append("reason=").append(status.reason()).append('\n');
        out.append("started_at=").append(status.startedAt() == null ? "" : epochSeconds(status.startedAt())).append('\n');
        out.append("finished_at=").append(epochSeconds(status.finishedAt())).append('\n');
        out.append("cpu_ns=").append(Math.round(status.cpuSeconds() * 1e9)).append('\n');
        out.append("peak_memory_bytes=").append(status.peakMemoryBytes() == null ? "" : status.peakMemoryBytes()).append('\n');
        out.append("limits_enforced=").append(status.limitsEnforced()).append('\n');
        out.append("limits_note=").append(status.limitsNote().replace('\n', ' ')).append('\n');
        writeAtomically(exit(), out.toString());
    }

    static void writeAtomically(Path target, String content) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID());
        Files.writeString(temporary, content, StandardCharsets.UTF_8);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static ExitStatus parseExit(Map<String, String> values) {
        String code = values.getOrDefault("exit_code", "");
        String cpuNs = values.getOrDefault("cpu_ns", "");
        double cpuSeconds = cpuNs.isEmpty()
                ? shellTime(values.get("children_user")) + shellTime(values.get("children_sys"))
                : Long.parseLong(cpuNs) / 1e9;
        String peak = values.getOrDefault("peak_memory_bytes", "");
        String startedAt = values.getOrDefault("started_at", "");
        return new ExitStatus(
                code.isEmpty() ? null : Integer.valueOf(code),
                FailureReason.valueOf(values.getOrDefault("reason", FailureReason.LOST.name())),
                startedAt.isEmpty() ? null : instant(startedAt),
                instant(values.get("finished_at")),
                cpuSeconds,
                peak.isEmpty() ? null : Long.valueOf(peak),
                Boolean.parseBoolean(values.get("limits_enforced")),
                values.getOrDefault("limits_note", ""));
    }

    /** bash's {@code times} format, e.g. {@code 0m1.250s}. */
    private static double shellTime(String value) {
        if (value == null) {
            return 0;
        }
        Matcher m = SHELL_TIME.matcher(value);
        return m.matches() ? Long.parseLong(m.group(1)) * 60 + Double.parseDouble(m.group(2)) : 0;
    }

    /** bash's {@code $EPOCHREALTIME}: seconds with a fraction. */
    private static Instant instant(String epochSeconds) {
        BigDecimal seconds = new BigDecimal(epochSeconds);
        long whole = seconds.longValue();
        long nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).longValue();
        return Instant.ofEpochSecond(whole, nanos);
    }

    private static String epochSeconds(Instant instant) {
        return BigDecimal.valueOf(instant.getEpochSecond()).add(BigDecimal.valueOf(instant.getNano(), 9)).toPlainString();
    }

    /** A supervisor process, identified by pid and start time since pids are reused. */
    record SupervisorRef(long pid, long startTicks) {

        /** Whether the run was claimed by the server without a supervisor (see {@link #claimWithoutRun}). */
        boolean none() {
            return pid == 0;
        }
    }
}
