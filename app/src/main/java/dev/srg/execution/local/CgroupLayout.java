package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.LimitsSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where srg puts the cgroups of its instances: one per instance, {@code <mount>/<own cgroup>/srg/<instance id>}
 * in each controller srg uses, below the cgroup of the server itself (which may be nested, e.g. in
 * a container). cgroup v2 is used when its hierarchy has the cpu and memory controllers, else
 * cgroup v1 with the memory, cpu and cpuacct controllers; otherwise limits are not enforced and
 * {@link #support()} says why. The pids controller is used where it is there (v1: mounted; v2:
 * available to delegate), to cap the task's processes and threads at {@link #pidsLimit(long)}.
 *
 * <p>The supervisor creates, fills and removes the per-instance cgroups; this class only finds
 * the parents and computes what to write.
 */
final class CgroupLayout {

    static final long CPU_PERIOD_US = 100_000;
    /** The kernel refuses quotas below 1 ms. */
    static final long MIN_CPU_QUOTA_US = 1_000;
    static final long BYTES_PER_CU = 4L * 1024 * 1024 * 1024;
    /** Processes and threads per CU; enough for a build or a thread pool, few enough to stop a fork bomb. */
    static final long PIDS_PER_CU = 256;
    /** Whatever the CU, a shell with a pipeline or two and an interpreter with its threads. */
    static final long MIN_PIDS = 64;
    private static final String SRG = "srg";
    /** cgroup v1: the cpu.shares of a cgroup that weighs as one busy thread of nice 0. */
    static final long V1_SHARES_PER_CORE = 1024;
    /** cgroup v2: the cpu.weight of one thread's worth (the default of every cgroup). */
    static final long V2_WEIGHT_PER_CORE = 100;
    private static final long V1_MAX_SHARES = 262_144;
    private static final long V2_MAX_WEIGHT = 10_000;

    enum Version { NONE, V1, V2 }

    private final Version version;
    private final Map<String, Path> parents;
    private final boolean pids;
    private final String note;

    private CgroupLayout(Version version, Map<String, Path> parents, boolean pids, String note) {
        this.version = version;
        this.parents = Map.copyOf(parents);
        this.pids = pids;
        this.note = note;
    }

    static CgroupLayout none(String why) {
        return new CgroupLayout(Version.NONE, Map.of(), false, why);
    }

    /** The most processes and threads a task of {@code milliCu} may have at once: 256 per CU, at least 64. */
    static long pidsLimit(long milliCu) {
        return Math.max(MIN_PIDS, (Math.multiplyExact(milliCu, PIDS_PER_CU) + 999) / 1000);
    }

    /** Whether the pids controller caps each task's processes. */
    boolean limitsPids() {
        return pids;
    }

    /** Detects the cgroup hierarchies mounted under {@code cgroupRoot} (normally /sys/fs/cgroup). */
    static CgroupLayout detect(Path cgroupRoot) {
        requireNonNull(cgroupRoot, "cgroupRoot is null");
        List<Mount> mounts;
        List<String> ownCgroups;
        try {
            mounts = Mount.parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
            ownCgroups = Files.readAllLines(Path.of("/proc/self/cgroup"));
        } catch (IOException e) {
            return none("cannot read the cgroups of this process: " + e.getMessage());
        }
        List<Mount> candidates = mounts.stream()
                .filter(m -> m.mountPoint().startsWith(cgroupRoot.toAbsolutePath()))
                .toList();
        List<String> problems = new ArrayList<>();
        Optional<CgroupLayout> v2 = detectV2(candidates, ownCgroups, problems);
        if (v2.isPresent()) {
            return v2.get();
        }
        Optional<CgroupLayout> v1 = detectV1(candidates, ownCgroups, problems);
        if (v1.isPresent()) {
            return v1.get();
        }
        if (problems.isEmpty()) {
            problems.add("no cgroup hierarchy with the cpu and memory controllers is mounted under " + cgroupRoot);
        }
        return none("limits not enforced: " + String.join("; ", problems));
    }

    private static Optional<CgroupLayout> detectV2(List<Mount> mounts, List<String> ownCgroups, List<String> problems) {
        for (Mount mount : mounts) {
            if (!mount.fsType().equals("cgroup2")) {
                continue;
            }
            List<String> controllers;
            try {
                controllers = Arrays.asList(Files.readString(mount.mountPoint().resolve("cgroup.controllers")).trim().split("\\s+"));
            } catch (IOException e) {
                continue;
            }
            if (!controllers.contains("cpu") || !controllers.contains("memory")) {
                continue;
            }
            Optional<String> own = ownCgroups.stream().filter(l -> l.startsWith("0::")).map(l -> l.substring(3)).findFirst();
            if (own.isEmpty()) {
                continue;
            }
            Path ownDir = mount.pathOf(own.get());
            Path parent = ownDir.resolve(SRG);
            List<String> wanted = controllers.contains("pids") ? List.of("cpu", "memory", "pids") : List.of("cpu", "memory");
            try {
                Files.createDirectories(parent);
                // Controllers reach a child only when every ancestor delegates them; this fails
                // when the server's own cgroup holds processes and is not the root (no internal processes).
                enableControllers(ownDir, wanted);
                enableControllers(parent, wanted);
            } catch (IOException | RuntimeException e) {
                problems.add("cgroup v2 at " + mount.mountPoint() + " unusable: cannot delegate " + wanted + " to "
                        + parent + ": " + e.getMessage());
                continue;
            }
            boolean pids = wanted.contains("pids");
            return Optional.of(new CgroupLayout(Version.V2, Map.of("unified", parent), pids,
                    "cgroup v2 at " + mount.mountPoint() + (pids ? " (with pids)" : " (no pids controller)")
                            + weightNote(parent.resolve("cpu.weight"), v2ParentWeight(cores()))));
        }
        return Optional.empty();
    }

    /**
     * The weight of srg's parent cgroup against its siblings (the host's other processes and
     * cgroups): as much as {@code cores} busy threads, the CUs this host offers (1 CU = 1 core).
     * With the default (1024 shares in v1, 100 in v2) all tasks together weigh as one thread, so
     * on a busy host 30 runnable threads elsewhere left every task of every group 1/31 of the CPU,
     * whatever CUs they were sold. The tasks' own quotas still cap each task; the weight only
     * decides who runs when the host's cores are contended.
     */
    static long v1ParentShares(int cores) {
        return Math.min(V1_MAX_SHARES, V1_SHARES_PER_CORE * Math.max(1, cores));
    }

    /** cgroup v2's cpu.weight for the same (100 is one thread's worth, 10,000 the kernel's maximum). */
    static long v2ParentWeight(int cores) {
        return Math.min(V2_MAX_WEIGHT, V2_WEIGHT_PER_CORE * Math.max(1, cores));
    }

    /** The cores this server may use (its cpuset and its own CPU quota included). */
    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Sets the parent's weight; says what it is, or why not (the tasks' quotas apply either way). */
    private static String weightNote(Path file, long weight) {
        try {
            if (!Files.readString(file).trim().equals(Long.toString(weight))) {
                Files.writeString(file, Long.toString(weight));
            }
            return ", srg's " + file.getFileName() + " " + weight + " (" + cores() + " cores)";
        } catch (IOException | RuntimeException e) {
            return ", srg's " + file.getFileName() + " not set (" + e.getMessage() + "): all tasks together may weigh as one thread";
        }
    }

    private static void enableControllers(Path dir, List<String> controllers) throws IOException {
        Path control = dir.resolve("cgroup.subtree_control");
        String enabled = Files.readString(control);
        if (!Arrays.asList(enabled.trim().split("\\s+")).containsAll(controllers)) {
            Files.writeString(control, String.join(" ", controllers.stream().map(c -> "+" + c).toList()));
        }
    }

    private static Optional<CgroupLayout> detectV1(List<Mount> mounts, List<String> ownCgroups, List<String> problems) {
        Map<String, Path> parents = new LinkedHashMap<>();
        for (String controller : List.of("memory", "cpu", "cpuacct")) {
            Optional<Path> parent = v1Parent(mounts, ownCgroups, controller);
            if (parent.isEmpty()) {
                return Optional.empty();
            }
            parents.put(controller, parent.get());
        }
        for (Path parent : parents.values()) {
            try {
                Files.createDirectories(parent);
            } catch (IOException | RuntimeException e) {
                problems.add("cgroup v1 unusable: cannot create " + parent + ": " + e);
                return Optional.empty();
            }
        }
        // The pids controller is optional: without it the task's own uid carries RLIMIT_NPROC.
        Optional<Path> pids = v1Parent(mounts, ownCgroups, "pids");
        if (pids.isPresent()) {
            try {
                Files.createDirectories(pids.get());
                parents.put("pids", pids.get());
            } catch (IOException | RuntimeException e) {
                pids = Optional.empty();
            }
        }
        return Optional.of(new CgroupLayout(Version.V1, parents, pids.isPresent(),
                (pids.isPresent() ? "cgroup v1 (memory, cpu, cpuacct, pids)" : "cgroup v1 (memory, cpu, cpuacct; no pids)")
                        + weightNote(parents.get("cpu").resolve("cpu.shares"), v1ParentShares(cores()))));
    }

    /** Where srg's cgroups of a v1 controller go, if the controller is mounted. */
    private static Optional<Path> v1Parent(List<Mount> mounts, List<String> ownCgroups, String controller) {
        Optional<Mount> mount = mounts.stream()
                .filter(m -> m.fsType().equals("cgroup") && m.superOptions().contains(controller))
                .findFirst();
        Optional<String> own = ownCgroups.stream()
                .map(l -> l.split(":", 3))
                .filter(f -> f.length == 3 && Arrays.asList(f[1].split(",")).contains(controller))
                .map(f -> f[2])
                .findFirst();
        if (mount.isEmpty() || own.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(mount.get().pathOf(own.get()).resolve(SRG));
    }

    Version version() {
        return version;
    }

    LimitsSupport support() {
        return new LimitsSupport(version != Version.NONE, note);
    }

    /** The cgroup directories of one instance (empty when limits are not enforced). */
    List<Path> instanceDirectories(String instanceId) {
        return parents.values().stream().distinct().map(p -> p.resolve(instanceId)).toList();
    }

    /** The shell variables the supervisor reads to create the instance's cgroups. */
    Map<String, String> supervisorVariables(String instanceId, long milliCu) {
        Map<String, String> variables = new LinkedHashMap<>();
        long memoryBytes = Math.multiplyExact(milliCu, BYTES_PER_CU) / 1000;
        long quotaUs = Math.max(MIN_CPU_QUOTA_US, Math.multiplyExact(milliCu, CPU_PERIOD_US) / 1000);
        variables.put("CG_VERSION", switch (version) {
            case NONE -> "";
            case V1 -> "1";
            case V2 -> "2";
        });
        variables.put("CG_MEMORY", dir("memory", instanceId));
        variables.put("CG_CPU", dir("cpu", instanceId));
        variables.put("CG_CPUACCT", dir("cpuacct", instanceId));
        variables.put("CG_UNIFIED", dir("unified", instanceId));
        variables.put("CG_PIDS", version == Version.V2 && pids ? dir("unified", instanceId) : dir("pids", instanceId));
        variables.put("PIDS_MAX", Long.toString(pidsLimit(milliCu)));
        variables.put("MEM_LIMIT", Long.toString(memoryBytes));
        variables.put("CPU_PERIOD_US", Long.toString(CPU_PERIOD_US));
        variables.put("CPU_QUOTA_US", Long.toString(quotaUs));
        variables.put("LIMITS_NOTE", note);
        variables.put("LIMITS_NOTE_ENFORCED", note + ": cpu " + quotaUs + "us per " + CPU_PERIOD_US
                + "us, memory " + memoryBytes + " bytes, no swap");
        return variables;
    }

    private String dir(String controller, String instanceId) {
        Path parent = parents.get(controller);
        return parent == null ? "" : parent.resolve(instanceId).toString();
    }

    /** One line of /proc/self/mountinfo. */
    record Mount(String root, Path mountPoint, String fsType, List<String> superOptions) {

        static List<Mount> parse(List<String> mountinfo) {
            List<Mount> mounts = new ArrayList<>();
            for (String line : mountinfo) {
                String[] fields = line.split(" ");
                int separator = Arrays.asList(fields).indexOf("-");
                if (separator < 6 || fields.length < separator + 4) {
                    continue;
                }
                mounts.add(new Mount(unescape(fields[3]), Path.of(unescape(fields[4])), fields[separator + 1],
                        List.of(fields[separator + 3].split(","))));
            }
            return mounts;
        }

        /** The directory of cgroup {@code path} (as in /proc/self/cgroup) in this mount. */
        Path pathOf(String path) {
            String relative = path;
            if (!root.equals("/") && relative.startsWith(root)) {
                relative = relative.substring(root.length());
            }
            relative = relative.replaceFirst("^/+", "");
            return relative.isEmpty() ? mountPoint : mountPoint.resolve(relative);
        }

        private static String unescape(String field) {
            // mountinfo escapes space, tab, newline and backslash as \ooo
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < field.length(); i++) {
                char c = field.charAt(i);
                if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
