package dev.srg.execution.kubernetes;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

/**
 * Where the logs of the Pods srg removed are kept (docs/kubernetes.md). A server keeps them in the
 * database ({@code dev.srg.task.KeptRunLogs}), so that every server of a cluster serves them, also one
 * on another machine; a backend tested alone may keep them in a directory.
 */
public interface KeptPodLogs {
    /** Whether the log of {@code runId} is kept already. */
    boolean contains(String runId);

    /** Keeps the log of {@code runId} (at most as much of it as task output is kept); a second keep changes nothing. */
    void keep(String runId, byte[] log) throws IOException;

    /** The kept log of {@code runId}, if there is one. */
    Optional<byte[]> read(String runId) throws IOException;

    /**
     * Removes the logs that {@code backend}'s runs kept before {@code keptBefore} (the region's
     * {@code keptLogRetentionDays}); returns how many went.
     */
    int removeKeptBefore(String backend, Instant keptBefore) throws IOException;

    /** Logs kept as files {@code RUN.log} in {@code dir}: only the servers that see this directory read them. */
    static KeptPodLogs inDirectory(Path dir) {
        requireNonNull(dir, "dir is null");
        return new KeptPodLogs() {
            @Override
            public boolean contains(String runId) {
                return Files.exists(dir.resolve(runId + ".log"));
            }

            @Override
            public void keep(String runId, byte[] log) throws IOException {
                Files.createDirectories(dir);
                Path temporary = dir.resolve(runId + ".log.tmp");
                Files.write(temporary, log);
                Files.move(temporary, dir.resolve(runId + ".log"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }

            @Override
            public int removeKeptBefore(String backend, Instant keptBefore) throws IOException {
                if (!Files.isDirectory(dir)) {
                    return 0;
                }
                int removed = 0;
                try (var logs = Files.newDirectoryStream(dir, "*.log")) {
                    for (Path log : logs) {
                        // a directory of one backend's logs; a file's time is when it was kept
                        if (Files.getLastModifiedTime(log).toInstant().isBefore(keptBefore) && Files.deleteIfExists(log)) {
                            removed++;
                        }
                    }
                }
                return removed;
            }

            @Override
            public Optional<byte[]> read(String runId) throws IOException {
                Path kept = dir.resolve(runId + ".log");
                try {
                    return Optional.of(Files.readAllBytes(kept));
                } catch (java.nio.file.NoSuchFileException e) {
                    return Optional.empty();
                }
            }
        };
    }
}
