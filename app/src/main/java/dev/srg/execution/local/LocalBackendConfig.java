package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Configuration of the {@link LocalExecutionBackend}.
 *
 * @param baseDirectory where instance directories are created, one per instance id
 * @param cgroupRoot where cgroup hierarchies are mounted (normally /sys/fs/cgroup); empty to not
 *     enforce limits at all
 * @param taskUser the unprivileged user tasks run as when the server runs as root; created if missing
 */
public record LocalBackendConfig(Path baseDirectory, Optional<Path> cgroupRoot, String taskUser) {

    public static final Path DEFAULT_CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    public static final String DEFAULT_TASK_USER = "srg-task";

    public LocalBackendConfig {
        requireNonNull(baseDirectory, "baseDirectory is null");
        requireNonNull(cgroupRoot, "cgroupRoot is null");
        requireNonNull(taskUser, "taskUser is null");
        baseDirectory = baseDirectory.toAbsolutePath().normalize();
    }

    /** Limits through the cgroups of /sys/fs/cgroup, tasks as {@code srg-task}. */
    public static LocalBackendConfig defaults(Path baseDirectory) {
        return new LocalBackendConfig(baseDirectory, Optional.of(DEFAULT_CGROUP_ROOT), DEFAULT_TASK_USER);
    }

    public LocalBackendConfig withCgroupRoot(Optional<Path> cgroupRoot) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUser);
    }
}
