package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Configuration of the {@link LocalExecutionBackend}.
 *
 * @param baseDirectory where instance directories are created, one per instance id
 * @param cgroupRoot where cgroup hierarchies are mounted (normally /sys/fs/cgroup); empty to not
 *     enforce limits at all
 * @param taskUidBase the first uid (and gid) of the range tasks run as when the server is root:
 *     each running task gets one of its own, {@code taskUidBase + slot}
 * @param taskUidSlots how many uids the range holds: at most this many tasks run at once
 * @param maxOutputBytes how much of a task's output (stdout and stderr) is kept; the rest is
 *     counted and dropped, and the kept log ends with a note saying how much
 * @param networkEnforcement AUTO confines each task to its group's networks where srg can (root,
 *     ip, nft); OFF keeps tasks in the host's network (and every instance says so)
 * @param dnsUpstreams the resolvers tasks ask for names outside the private zones; empty for the
 *     host's (those not on its loopback)
 * @param minFreeBytes the free space the base directory's disk keeps: below it the backend takes no
 *     new instance ({@link LocalExecutionBackend#storageShortage()}: submissions answer 507, launches
 *     wait in their queue), so that a full disk never fails accepted work, and what runs (its output,
 *     its exit file) and the database beside it still have room
 * @param homeBytesPerCu how much a task's home may hold per CU (0: no limit): its supervisor measures
 *     it every 2 s and kills a task over it ({@code DISK_LIMIT}), as the kubelet evicts a Pod over its
 *     ephemeral storage
 */
public record LocalBackendConfig(
        Path baseDirectory, Optional<Path> cgroupRoot, long taskUidBase, int taskUidSlots, long maxOutputBytes,
        NetworkEnforcement networkEnforcement, List<String> dnsUpstreams, long minFreeBytes, long homeBytesPerCu) {

    /** The operator's choice of {@code --network-enforcement}. */
    public enum NetworkEnforcement { AUTO, OFF }

    public static final Path DEFAULT_CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    /**
     * Far from login users (login.defs: 1000-60000), systemd's dynamic users (61184-65519), the
     * subordinate ids useradd hands out (100000-600100000) and systemd-nspawn's container ranges
     * (524288-1879048191), and below 2^31 where tools that read uids as signed break.
     */
    public static final long DEFAULT_TASK_UID_BASE = 1_900_000_000L;
    public static final int DEFAULT_TASK_UID_SLOTS = 65_536;
    /**
     * The uids of the tasks of the server's AOT cache's training run ({@code ServerTraining}):
     * the range right after every server's (no flag moves a server's), so that a training run
     * beside a running server never claims one of its tasks' uids (the claims are per data
     * directory). Also far from every range above.
     */
    public static final long TRAINING_TASK_UID_BASE = DEFAULT_TASK_UID_BASE + DEFAULT_TASK_UID_SLOTS;
    public static final long DEFAULT_MAX_OUTPUT_BYTES = 64L * 1024 * 1024;
    /**
     * 64 MiB: many launches' files (a few KiB each), the outputs and exit files of what runs, and
     * PostgreSQL's next WAL segments (16 MiB each) when the database shares the disk.
     */
    public static final long DEFAULT_MIN_FREE_BYTES = 64L * 1024 * 1024;
    /** 4 GiB per CU, as much as its memory: a task of 0.25 CU may keep 1 GiB in its home. */
    public static final long DEFAULT_HOME_BYTES_PER_CU = 4L * 1024 * 1024 * 1024;
    /** uid_t is 32 bits and (uid_t) -1 means "unchanged"; stay below 2^31 for signed readers. */
    private static final long MAX_UID = Integer.MAX_VALUE;

    public LocalBackendConfig {
        requireNonNull(baseDirectory, "baseDirectory is null");
        requireNonNull(cgroupRoot, "cgroupRoot is null");
        if (taskUidBase < 65_536) {
            throw new IllegalArgumentException("taskUidBase must be at least 65536 (above every login and system user): "
                    + taskUidBase);
        }
        if (taskUidSlots < 1 || taskUidBase + taskUidSlots - 1 > MAX_UID) {
            throw new IllegalArgumentException("taskUidSlots must be positive and the range end below 2^31: "
                    + taskUidBase + " + " + taskUidSlots);
        }
        if (maxOutputBytes < 1) {
            throw new IllegalArgumentException("maxOutputBytes must be positive: " + maxOutputBytes);
        }
        requireNonNull(networkEnforcement, "networkEnforcement is null");
        dnsUpstreams = List.copyOf(dnsUpstreams);
        for (String upstream : dnsUpstreams) {
            if (!upstream.matches("[0-9A-Fa-f:.]{2,45}")) {
                throw new IllegalArgumentException("a DNS upstream is an IP address: " + upstream);
            }
        }
        if (homeBytesPerCu < 0) {
            throw new IllegalArgumentException("homeBytesPerCu must not be negative: " + homeBytesPerCu);
        }
        if (minFreeBytes < 0) {
            throw new IllegalArgumentException("minFreeBytes must not be negative: " + minFreeBytes);
        }
        baseDirectory = baseDirectory.toAbsolutePath().normalize();
    }

    /** Limits through the cgroups of /sys/fs/cgroup, tasks as uids from 1,900,000,000, 64 MiB of output kept. */
    public static LocalBackendConfig defaults(Path baseDirectory) {
        return new LocalBackendConfig(baseDirectory, Optional.of(DEFAULT_CGROUP_ROOT), DEFAULT_TASK_UID_BASE,
                DEFAULT_TASK_UID_SLOTS, DEFAULT_MAX_OUTPUT_BYTES, NetworkEnforcement.AUTO, List.of(), DEFAULT_MIN_FREE_BYTES,
                DEFAULT_HOME_BYTES_PER_CU);
    }

    public LocalBackendConfig withCgroupRoot(Optional<Path> cgroupRoot) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withTaskUids(long taskUidBase, int taskUidSlots) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withMaxOutputBytes(long maxOutputBytes) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withNetworkEnforcement(NetworkEnforcement networkEnforcement) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withDnsUpstreams(List<String> dnsUpstreams) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withBaseDirectory(Path baseDirectory) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withMinFreeBytes(long minFreeBytes) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }

    public LocalBackendConfig withHomeBytesPerCu(long homeBytesPerCu) {
        return new LocalBackendConfig(baseDirectory, cgroupRoot, taskUidBase, taskUidSlots, maxOutputBytes, networkEnforcement, dnsUpstreams, minFreeBytes, homeBytesPerCu);
    }
}
