package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands out the per-task uids of {@link LocalBackendConfig#taskUidBase()} + slot, crash-safely:
 * <ul>
 *   <li>a uid is held by a file {@code <base>/.slots/<uid>} naming its instance, created
 *       atomically (link(2)), so two backends on one directory never hand out the same uid;</li>
 *   <li>the instance records its identity in its directory ({@code identity}, written once, also
 *       atomically), so a launch repeated after a crash and a task re-attached after a restart
 *       keep their uid;</li>
 *   <li>a uid is given back only when its instance has finished and no live process runs as it;
 *       holders left by a crash are collected at the next start on the same condition.</li>
 * </ul>
 * Used only when the server is root: only root can switch to an arbitrary uid.
 */
final class TaskIdentities {

    private static final Logger log = LoggerFactory.getLogger(TaskIdentities.class);
    static final String SLOTS_DIRECTORY = ".slots";

    private final Path slots;
    private final long base;
    private final int count;
    /** Round-robin from a random start: a uid is reused as late as possible. */
    private final AtomicLong cursor;

    /** The workspaces' task gids (V44_1's sequence): each workspace's tasks share one as their supplementary group. */
    static final long WORKSPACE_GID_FIRST = 1_800_000_000L;
    static final long WORKSPACE_GID_LAST = 1_899_999_999L;

    /** Why tasks cannot be given their workspace's gid on this host, if they cannot. */
    private final Optional<String> workspaceGroupsRefused;

    private TaskIdentities(Path slots, long base, int count, Optional<String> workspaceGroupsRefused) {
        this.slots = slots;
        this.base = base;
        this.count = count;
        this.cursor = new AtomicLong(ThreadLocalRandom.current().nextInt(count));
        this.workspaceGroupsRefused = workspaceGroupsRefused;
    }

    /**
     * Why tasks run without their workspace's group here (the gids' range meets the host's groups, or
     * is not mapped in srg's user namespace: a setgroups to it would fail every launch), if they do.
     */
    Optional<String> workspaceGroupsRefused() {
        return workspaceGroupsRefused;
    }

    /**
     * The identities to run tasks as: empty when the server is not root (tasks then run as the
     * server's user, all with the same uid). Fails when the configured range is not safe here.
     */
    static Optional<TaskIdentities> forCurrentProcess(LocalBackendConfig config) throws IOException {
        requireNonNull(config, "config is null");
        if (ProcFs.currentUid() != 0) {
            return Optional.empty();
        }
        long first = config.taskUidBase();
        long last = first + config.taskUidSlots() - 1;
        List<String> problems = HostIds.conflicts(first, last, false);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("task uid range " + first + "-" + last + " is not safe on this host: "
                    + String.join("; ", problems) + " (configure another base)");
        }
        Path slots = config.baseDirectory().resolve(SLOTS_DIRECTORY);
        Files.createDirectories(slots);
        Files.setPosixFilePermissions(slots, PosixFilePermissions.fromString("rwx------"));
        List<String> gidProblems = HostIds.conflicts(WORKSPACE_GID_FIRST, WORKSPACE_GID_LAST, true);
        Optional<String> refused = gidProblems.isEmpty() ? Optional.empty() : Optional.of("the workspaces' gid range "
                + WORKSPACE_GID_FIRST + "-" + WORKSPACE_GID_LAST + " is not safe on this host: " + String.join("; ", gidProblems));
        return Optional.of(new TaskIdentities(slots, first, config.taskUidSlots(), refused));
    }

    long firstUid() {
        return base;
    }

    long lastUid() {
        return base + count - 1;
    }

    /**
     * The identity of the instance: the one it recorded, else a free uid, recorded now. Repeated
     * and concurrent calls for one instance return the same identity.
     */
    TaskIdentity acquire(InstanceDirectory dir, String instanceId) throws IOException {
        Optional<TaskIdentity> recorded = recorded(dir);
        if (recorded.isPresent()) {
            holdFor(recorded.get(), instanceId);
            return recorded.get();
        }
        for (int tried = 0; tried < count; tried++) {
            long uid = base + Math.floorMod(cursor.getAndIncrement(), count);
            if (!claim(uid, instanceId)) {
                continue;
            }
            TaskIdentity identity = new TaskIdentity(uid, uid);
            if (linkInto(dir.identity(), identity.format())) {
                return identity;
            }
            // Another backend recorded one for this instance first: use that one, give ours back.
            Files.deleteIfExists(slot(uid));
            TaskIdentity theirs = recorded(dir).orElseThrow(
                    () -> new IllegalStateException("identity of " + instanceId + " vanished"));
            holdFor(theirs, instanceId);
            return theirs;
        }
        throw new IllegalStateException("all " + count + " task uids (" + base + "-" + lastUid() + ") are in use");
    }

    /** The identity the instance recorded, if any. */
    static Optional<TaskIdentity> recorded(InstanceDirectory dir) {
        try {
            return Optional.of(TaskIdentity.parse(Files.readString(dir.identity(), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + dir.identity(), e);
        }
    }

    /**
     * Gives the uid of a finished instance back, once no process runs as it any more (leftovers
     * are killed: the instance is over). Kept, to be collected at the next start, if one survives.
     * {@code noneLeft}: the task's cgroups held every process of it (a task cannot leave them, and
     * every process of its uid descends from it) and were removed empty, so the scan of every
     * process of the host, the largest cost of a short task's end in the server, is skipped.
     */
    void release(InstanceDirectory dir, String instanceId, boolean noneLeft) {
        Optional<TaskIdentity> identity = recorded(dir);
        if (identity.isEmpty()) {
            return;
        }
        long uid = identity.get().uid();
        if (!noneLeft && !killAll(uid)) {
            log.warn("processes of uid {} (instance {}) survive; the uid stays held", uid, instanceId);
            return;
        }
        try {
            if (instanceId.equals(holder(uid).orElse(null))) {
                closeToItsUid(dir);
                Files.deleteIfExists(slot(uid));
            }
        } catch (IOException e) {
            log.warn("cannot release uid {} of instance {}", uid, instanceId, e);
        }
    }

    /**
     * Gives back the uid of an instance that never ran (its start prepared ahead did not commit):
     * the one it recorded, or, when a crash came between the claim and the record, whichever uid
     * names it as its holder.
     */
    void releaseUnlaunched(InstanceDirectory dir, String instanceId) {
        if (recorded(dir).isPresent()) {
            release(dir, instanceId, true);
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(slots, "[0-9]*")) {
            for (Path holder : entries) {
                try {
                    if (instanceId.equals(Files.readString(holder, StandardCharsets.UTF_8).trim())) {
                        closeToItsUid(dir);
                        Files.deleteIfExists(holder);
                    }
                } catch (NoSuchFileException e) {
                    // given back meanwhile
                }
            }
        } catch (IOException e) {
            log.warn("cannot give back the uid of instance {}", instanceId, e);
        }
    }

    /**
     * At start: gives back the uids whose instance is finished (or gone) and which no live
     * process runs as; a crash between an instance's end and its release leaves such holders.
     */
    int collectGarbage(Path baseDirectory) throws IOException {
        int released = 0;
        List<Path> holders = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(slots, "[0-9]*")) {
            entries.forEach(holders::add);
        }
        Set<Long> live = ProcFs.liveUids();
        for (Path holder : holders) {
            long uid;
            try {
                uid = Long.parseLong(holder.getFileName().toString());
            } catch (NumberFormatException e) {
                continue;
            }
            Optional<String> instanceId = holder(uid);
            if (instanceId.isEmpty()) {
                continue;
            }
            InstanceDirectory dir = new InstanceDirectory(baseDirectory.resolve(instanceId.get()));
            boolean over = !Files.exists(dir.path()) || Files.exists(dir.exit());
            if (over && !live.contains(uid)) {
                closeToItsUid(dir);
                Files.deleteIfExists(holder);
                released++;
            }
        }
        return released;
    }

    /**
     * Takes the instance's directory from its task's group before the uid is given back: the next
     * task given that uid (and gid) must not enter it and read the home the old task left (the
     * directory is root's, entered through its group; the home is the uid's own).
     */
    private static void closeToItsUid(InstanceDirectory dir) throws IOException {
        try {
            Files.setAttribute(dir.path(), "unix:gid", 0);
        } catch (NoSuchFileException e) {
            // removed with its instance: nothing left to open
        }
    }

    /** Makes sure the uid's holder names this instance (recreates it if a crash lost it). */
    private void holdFor(TaskIdentity identity, String instanceId) throws IOException {
        if (claim(identity.uid(), instanceId)) {
            return;
        }
        Optional<String> holder = holder(identity.uid());
        if (!holder.equals(Optional.of(instanceId))) {
            throw new IllegalStateException("uid " + identity.uid() + " of instance " + instanceId
                    + " is held by " + holder.orElse("nobody"));
        }
    }

    private boolean claim(long uid, String instanceId) throws IOException {
        return linkInto(slot(uid), instanceId + "\n");
    }

    private Optional<String> holder(long uid) {
        try {
            return Optional.of(Files.readString(slot(uid), StandardCharsets.UTF_8).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + slot(uid), e);
        }
    }

    private Path slot(long uid) {
        return slots.resolve(Long.toString(uid));
    }

    /** Creates {@code target} with its whole content or not at all; false if it exists. */
    private static boolean linkInto(Path target, String content) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID());
        Files.writeString(temporary, content, StandardCharsets.UTF_8);
        try {
            Files.createLink(target, temporary);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Kills every live process of {@code uid}; true when none is left. */
    private static boolean killAll(long uid) {
        for (int round = 0; round < 50; round++) {
            List<Long> pids = ProcFs.liveProcessesOfUid(uid);
            if (pids.isEmpty()) {
                return true;
            }
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return ProcFs.liveProcessesOfUid(uid).isEmpty();
    }

    /** What the host already uses, read from its account files, so the range can be checked against it. */
    static final class HostIds {

        private HostIds() {}

        /**
         * Why uids and gids {@code first..last} (only gids: {@code gidsOnly}) would collide with the
         * host's, empty if they would not.
         */
        static List<String> conflicts(long first, long last, boolean gidsOnly) throws IOException {
            return conflicts(Path.of("/"), first, last, gidsOnly);
        }

        /** {@link #conflicts(long, long, boolean)} with the host's files read under {@code root} (tests). */
        static List<String> conflicts(Path root, long first, long last, boolean gidsOnly) throws IOException {
            List<String> problems = new ArrayList<>();
            Map<String, Long> defs = loginDefs(root.resolve("etc/login.defs"));
            for (String kind : gidsOnly ? List.of("GID", "SYS_GID") : List.of("UID", "GID", "SYS_UID", "SYS_GID")) {
                Long min = defs.get(kind + "_MIN");
                Long max = defs.get(kind + "_MAX");
                if (min != null && max != null && min <= last && first <= max) {
                    problems.add("overlaps " + kind + "_MIN-" + kind + "_MAX " + min + "-" + max + " of /etc/login.defs");
                }
            }
            for (String file : gidsOnly ? List.of("/etc/group") : List.of("/etc/passwd", "/etc/group")) {
                for (String line : lines(root.resolve(file.substring(1)))) {
                    String[] fields = line.split(":", -1);
                    if (fields.length >= 3 && inRange(fields[2], first, last)) {
                        problems.add(file + " has " + fields[0] + " with id " + fields[2]);
                    }
                }
            }
            for (String file : gidsOnly ? List.of("/etc/subgid") : List.of("/etc/subuid", "/etc/subgid")) {
                for (String line : lines(root.resolve(file.substring(1)))) {
                    String[] fields = line.split(":", -1);
                    if (fields.length == 3 && isNumber(fields[1]) && isNumber(fields[2])) {
                        long start = Long.parseLong(fields[1]);
                        long end = start + Long.parseLong(fields[2]) - 1;
                        if (start <= last && first <= end) {
                            problems.add(file + " gives " + start + "-" + end + " to " + fields[0]);
                        }
                    }
                }
            }
            for (String file : gidsOnly ? List.of("/proc/self/gid_map") : List.of("/proc/self/uid_map", "/proc/self/gid_map")) {
                if (!mapped(lines(root.resolve(file.substring(1))), first, last)) {
                    problems.add("not mapped in " + file + " (a user namespace): setpriv could not switch to it");
                }
            }
            return problems;
        }

        private static boolean mapped(List<String> map, long first, long last) {
            if (map.isEmpty()) {
                return true;
            }
            for (String line : map) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length == 3 && isNumber(fields[0]) && isNumber(fields[2])) {
                    long start = Long.parseLong(fields[0]);
                    long end = start + Long.parseLong(fields[2]) - 1;
                    if (start <= first && last <= end) {
                        return true;
                    }
                }
            }
            return false;
        }

        private static Map<String, Long> loginDefs(Path file) throws IOException {
            Map<String, Long> values = new HashMap<>();
            for (String line : lines(file)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length >= 2 && !fields[0].startsWith("#") && isNumber(fields[1])) {
                    values.put(fields[0], Long.parseLong(fields[1]));
                }
            }
            return values;
        }

        private static boolean inRange(String id, long first, long last) {
            return isNumber(id) && Long.parseLong(id) >= first && Long.parseLong(id) <= last;
        }

        private static boolean isNumber(String value) {
            return !value.isEmpty() && value.length() < 19 && value.chars().allMatch(Character::isDigit);
        }

        private static List<String> lines(Path file) throws IOException {
            try {
                return Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                return List.of();
            }
        }
    }
}
