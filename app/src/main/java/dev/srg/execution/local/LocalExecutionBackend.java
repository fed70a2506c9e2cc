package dev.srg.execution.local;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.Enforcement;
import dev.srg.execution.ExecutionBackend;
import dev.srg.execution.ExitListener;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.ImageRoots;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.Launched;
import dev.srg.execution.LimitsSupport;
import dev.srg.execution.RecoveredInstance;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as real processes on this machine, through a small supervisor started in a
 * session of its own so that it outlives the server: {@code srg-supervisor}, compiled from
 * {@code src/main/c/srg-supervisor.c} by the build when a C compiler is there, else the bash
 * {@code supervisor.sh} with the same contract (14 process starts per plain task instead of 3). The
 * supervisor guards the run with an atomic link(2) of the instance's {@code started} file, runs the
 * task in the instance's cgroups as a uid of its own, enforces the timeout, kills the whole
 * process tree at the end, keeps at most {@link LocalBackendConfig#maxOutputBytes()} of its output
 * and writes the exit file. This class prepares the instance directory, starts supervisors,
 * watches them and turns exit files into listener calls; see {@link InstanceDirectory} for the
 * files and {@link TaskIdentities} for the uids.
 *
 * <p>Isolation between tasks (when the server is root): each task runs as its own uid and gid
 * (no supplementary groups, no new privileges), its instance directory is closed to every other
 * uid, so another task can neither read its files nor its /proc/pid/environ, nor signal it. Its
 * processes are capped by the pids controller (or RLIMIT_NPROC of its uid) at
 * {@link CgroupLayout#pidsLimit(long)}. When the server is not root, tasks share its uid and
 * every instance's limits note says isolation between tasks is not enforced.
 *
 * <p>A task of its own uid also gets, from the compiled supervisor, a private /tmp, /var/tmp,
 * /dev/shm and /run/lock (one tmpfs of at most its memory limit, in its own mount namespace), a
 * pid namespace of its own (the supervisor's init as its pid 1), /proc mounted for it with
 * hidepid=invisible and an IPC namespace of its own; all of it goes with its
 * last process. A task in an image gets the like from bubblewrap. {@link #PRIVATE_DIRECTORIES}.
 */
public final class LocalExecutionBackend implements ExecutionBackend {

    private static final Logger log = LoggerFactory.getLogger(LocalExecutionBackend.class);

    /**
     * The directories a task of its own uid gets a private copy of (empty at its start, gone at its
     * end): what the compiled supervisor mounts (srg-supervisor.c, make_private). The paths of its
     * command that lie under them (srg's worker jars, say), and its instance directory, are bound
     * back at the same place.
     */
    static final List<String> PRIVATE_DIRECTORIES = List.of("/tmp", "/var/tmp", "/dev/shm", "/run/lock");
    /** The task's PATH; also keeps the interpreters the host's (not e.g. a root-only pyenv shim). */
    static final String TASK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final String SUPERVISOR_RESOURCE = "supervisor.sh";
    private static final String NATIVE_SUPERVISOR_RESOURCE = "srg-supervisor";
    /** {@code script} runs the bash supervisor even where the compiled one is there (tests of the fallback). */
    static final String SUPERVISOR_PROPERTY = "srg.execution.supervisor";
    /** {@code off} starts every supervisor through ProcessBuilder, without the launcher (tests, benchmarks). */
    static final String LAUNCHER_PROPERTY = "srg.execution.launcher";
    /** How long a launch waits for the launcher's answer before it starts the supervisor directly (ms). */
    static final String LAUNCHER_TIMEOUT_PROPERTY = "srg.execution.launcherTimeoutMs";
    /**
     * How many nice steps below the server the launcher and the supervisors it forks run (0: not
     * lowered): a task's launch then takes the CPU only after submissions and PostgreSQL on a
     * contended machine (issue 17, docs/benchmarks.md "eighth round"). Tasks get the server's back.
     */
    static final String LAUNCH_NICE_PROPERTY = "srg.execution.launchNice";
    /**
     * How many task network namespaces (with their veth pairs) the launcher keeps made ahead, so
     * that a launch only names one and loads its group's rules (issue 17, ninth round;
     * docs/networks.md); 0: none, every supervisor makes its own. At most 8.
     */
    static final String NET_POOL_PROPERTY = "srg.execution.netPool";
    /**
     * Whether a task's network namespace, once its task has ended and nothing of it can be left in
     * it, is given to the next task of the same group and workspace instead of being removed and a
     * new one made (issue 17, tenth round; docs/networks.md): default true.
     */
    static final String NET_REUSE_PROPERTY = "srg.execution.netReuse";
    /**
     * Whether a start's instance files (directory, uid, script, argv, spec, env, network files,
     * cgroups) are written while the transaction that records the start commits, not after it
     * ({@link #prepareAhead}; issue 17, eleventh round): default false (after the commit, at the
     * launch): its step fell in every pair, but the client's latency did not follow on its own
     * (docs/benchmarks.md). What a crash left of it is swept whatever the setting.
     */
    static final String PREPARE_AHEAD_PROPERTY = "srg.execution.prepareAhead";
    /**
     * Whether, beyond {@link #PREPARE_AHEAD_PROPERTY}'s files (which it implies), the start's
     * supervisor is forked by the launcher while the transaction commits and held before anything
     * of its instance until the commit releases it ({@link SupervisorLauncher#hold}; issue 17,
     * twelfth round): default false (docs/benchmarks.md "held ahead"). A start that does not commit
     * drops it; a launcher or server that dies first takes it with it, without a run.
     */
    static final String HOLD_AHEAD_PROPERTY = "srg.execution.holdAhead";
    /**
     * {@code <base>/.ahead/<instance id>}: an instance whose files were written ahead of its
     * commit, holding the token of the backend that wrote them; written before anything else of it
     * and removed when the instance ends or its start is discarded, so that {@link #recover} finds
     * (and removes) what a crash left of a start that never committed, the uid claim above all.
     */
    static final String AHEAD_DIRECTORY = ".ahead";
    private static final long LAUNCHER_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final String SUPERVISOR_DIRECTORY = ".supervisor";
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_READABLE_FILE = PosixFilePermissions.fromString("rw-r-----");
    /** The instance directory when the task has a uid of its own: only its group may enter. */
    private static final Set<PosixFilePermission> GROUP_TRAVERSABLE_DIRECTORY = PosixFilePermissions.fromString("rwx--x---");
    private static final Set<PosixFilePermission> TRAVERSABLE_DIRECTORY = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final int CANCEL_SIGNAL_ATTEMPTS = 20;
    private static final long CANCEL_SIGNAL_INTERVAL_MILLIS = 500;

    private final LocalBackendConfig config;
    private final ExitListener listener;
    private final CgroupLayout cgroups;
    /** Empty when the server is not root: tasks then run as its uid. */
    private final Optional<TaskIdentities> identities;
    /** The task's network namespace, rules and resolver files (SPEC NET-7..9); see {@link TaskNetwork}. */
    private final TaskNetwork network;
    /** How a supervisor is started, before the instance directory: the binary, or setsid bash script. */
    private final List<String> supervisorCommand;
    /** The compiled supervisor when tasks start through it: it is also the launcher. */
    private final Optional<Path> compiledSupervisor;
    /** Whether supervisors start through the launcher (the compiled supervisor, not turned off). */
    private final boolean launcherWanted;
    /** How long a launch waits for the launcher's answer (read at start, like the other properties). */
    private final long launcherTimeoutMillis = Long.getLong(LAUNCHER_TIMEOUT_PROPERTY, 5_000);
    private final int launchNice = Integer.getInteger(LAUNCH_NICE_PROPERTY, 10);
    private final int netPool = Math.max(0, Math.min(8, Integer.getInteger(NET_POOL_PROPERTY, 2)));
    private final boolean netReuse = Boolean.parseBoolean(System.getProperty(NET_REUSE_PROPERTY, "true"));
    private final boolean holdAheadWanted = Boolean.getBoolean(HOLD_AHEAD_PROPERTY);
    private final boolean prepareAheadWanted = holdAheadWanted || Boolean.getBoolean(PREPARE_AHEAD_PROPERTY);
    /**
     * Marks the starts this process prepared ahead: its pid and start time. {@link #recover} sweeps
     * only those of a process that is gone (a crash), never a live one's (this server's, or in a
     * cluster on one machine a former leader's whose transaction may still commit).
     */
    private final String aheadToken = ProcessHandle.current().pid() + " "
            + ProcFs.startTicks(ProcessHandle.current().pid()).orElse(0);
    /** Starts prepared ahead, until their launch or discard takes them. */
    private final ConcurrentHashMap<String, Ahead> ahead = new ConcurrentHashMap<>();
    private final ReentrantLock launcherLock = new ReentrantLock();
    /** The running launcher, null when there is none; guarded by {@code launcherLock}. */
    private SupervisorLauncher launcher;
    /** When a launcher that failed to start may be tried again (System.nanoTime); guarded by {@code launcherLock}. */
    private long launcherRetryAt;
    /** Why the last launcher could not be started; guarded by {@code launcherLock}. */
    private String launcherWhyNot = "";
    private final ConcurrentHashMap<String, Instance> instances = new ConcurrentHashMap<>();
    private final ExecutorService callbacks;
    private final ScheduledExecutorService timers;
    /** Writes starts' files ahead of their commit (platform threads: no hand-off to a carrier). */
    private final ExecutorService preparers;
    /** Custom images (SPEC RT-1): where their roots are, and why tasks cannot run in them here, if so. */
    private final ImageRoots images;
    private final Optional<String> imagesUnsupported;
    /** Whether bubblewrap caps its tmpfs ({@code --size}, 0.5 and later): a task's /tmp in an image then holds at most its memory. */
    private final boolean bwrapSize;
    /** What a task gets of its own beside its uid (private /tmp..., /proc, IPC), as said at start. */
    private final String privateNote;
    private volatile boolean closed;
    /** The disk of the base directory: its free space is asked of the kernel (statvfs) at most every {@link #STORAGE_CHECK_NANOS}. */
    private final FileStore store;
    private static final long STORAGE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** The last answer of {@link #storageShortage()} and when it was read (System.nanoTime). */
    private volatile Optional<String> shortage = Optional.empty();
    private volatile long storageCheckedAt = System.nanoTime() - STORAGE_CHECK_NANOS;
    /**
     * The disk's free inodes as last read ({@code stat -f}: statvfs's f_ffree; the JDK's FileStore
     * has no inode count), -1 when the file system counts none (btrfs, some network file systems)
     * or it could not be read. Read off the launch path, at most every {@link #INODE_CHECK_NANOS}.
     */
    private volatile long freeInodes = -1;
    private volatile long inodesReadAt;
    private final java.util.concurrent.atomic.AtomicBoolean inodeReadPending = new java.util.concurrent.atomic.AtomicBoolean();
    private static final long INODE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** One inode kept free per this many bytes of the reserve: ext4's default ratio (mke2fs.conf inode_ratio). */
    static final long BYTES_PER_RESERVED_INODE = 16 * 1024;
    /**
     * Until when (System.nanoTime) a launch that met a full disk holds new launches, whatever the
     * free space says (an ENOSPC above the reserve: no inode left, a reserve of 0); guarded by itself.
     */
    private final long[] fullUntil = {System.nanoTime()};
    /** How long the next hold lasts: doubles from 1 s to 30 s while launches keep meeting a full disk; guarded by {@code fullUntil}. */
    private long fullHoldMillis = 1_000;
    private String fullWhy = "";

    /**
     * Prepares the base directory, the supervisor, the per-task uids and the cgroups; fails fast
     * when tasks could not be run safely (as root without setpriv, or with a uid range that meets
     * the host's ids), and gives back the uids of instances that ended while the server was down.
     */
    public LocalExecutionBackend(LocalBackendConfig config, ExitListener listener) {
        this(config, listener, true, ImageRoots.NONE);
    }

    /** A backend that runs tasks in custom images found through {@code images} (SPEC RT-1). */
    public LocalExecutionBackend(LocalBackendConfig config, ExitListener listener, ImageRoots images) {
        this(config, listener, true, images);
    }

    LocalExecutionBackend(LocalBackendConfig config, ExitListener listener, boolean ownUids) {
        this(config, listener, ownUids, ImageRoots.NONE);
    }

    /**
     * {@code ownUids} false runs tasks as the server's uid even as root: what a server that is
     * not root does, so that tests (which run as root) can see that path for real.
     */
    LocalExecutionBackend(LocalBackendConfig config, ExitListener listener, boolean ownUids, ImageRoots images) {
        this.config = requireNonNull(config, "config is null");
        this.images = requireNonNull(images, "images is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.cgroups = config.cgroupRoot()
                .map(CgroupLayout::detect)
                .orElseGet(() -> CgroupLayout.none("limits not enforced: disabled by configuration"));
        int released;
        try {
            Files.createDirectories(config.baseDirectory());
            // A task must reach its own instance's home, but not list other instances.
            Files.setPosixFilePermissions(config.baseDirectory(), TRAVERSABLE_DIRECTORY);
            this.identities = ownUids ? TaskIdentities.forCurrentProcess(config) : Optional.empty();
            if (identities.isPresent()) {
                executable("setpriv");
                executable("kill");
                requireTraversableByOthers(config.baseDirectory());
            }
            this.supervisorCommand = installSupervisor(config.baseDirectory());
            this.compiledSupervisor = supervisorCommand.size() == 1
                    ? Optional.of(Path.of(supervisorCommand.get(0))) : Optional.empty();
            this.launcherWanted = compiledSupervisor.isPresent() && !"off".equals(System.getProperty(LAUNCHER_PROPERTY));
            this.store = Files.getFileStore(config.baseDirectory());
            readFreeInodes();
            this.network = TaskNetwork.start(config, config.baseDirectory().resolve(".network"));
            Files.createDirectories(config.baseDirectory().resolve(AHEAD_DIRECTORY));
            Files.setPosixFilePermissions(config.baseDirectory().resolve(AHEAD_DIRECTORY), PRIVATE_DIRECTORY);
            released = identities.isPresent() ? identities.get().collectGarbage(config.baseDirectory()) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + config.baseDirectory(), e);
        }
        this.imagesUnsupported = imageSupport(identities);
        this.bwrapSize = imagesUnsupported.isEmpty() && bwrapTakesSize(identities.get().lastUid());
        this.privateNote = privateNote(identities, compiledSupervisor);
        // SPEC RT-3: the server says at start whether tasks can run in images, and why not
        log.info("{}", imagesUnsupported.map(why -> "custom images cannot be applied: " + why
                        + "; a task that names an image fails at launch, it never runs on the host's file system")
                .orElse("custom images applied: a task that names one runs in it through bubblewrap (read-only root, own uid)"));
        this.callbacks = Executors.newCachedThreadPool(daemonThreads("srg-execution-"));
        this.timers = Executors.newSingleThreadScheduledExecutor(daemonThreads("srg-execution-timer-"));
        this.preparers = Executors.newCachedThreadPool(daemonThreads("srg-execution-ahead-"));
        log.info("local execution in {}: {}; {}; {}; {}; output kept up to {} bytes per task", config.baseDirectory(),
                cgroups.support().note(), isolationNote(identities, ProcFs.currentUid()), privateNote,
                pidsNote(cgroups.limitsPids(), identities.isPresent()), config.maxOutputBytes());
        log.info("{}", launchNote());
        // SPEC RT-3: what bounds a task's disk, said at start (and on every instance: enforcement.disk)
        log.info("{}", config.homeBytesPerCu() == 0 ? "a task's home is not limited (0 bytes per CU by configuration)"
                : compiledSupervisor.isEmpty() ? "a task's home is not limited: the bash supervisor does not measure it"
                : "a task's home holds at most " + mib(config.homeBytesPerCu()) + " MiB per CU, measured every "
                        + HOME_CHECK_SECONDS + " s by its supervisor; a task over it is killed (DISK_LIMIT)");
        // said at start: how much room the tasks' disk has, and what srg keeps free of it
        log.info("{}", storageShortage().map(why -> why + " (" + config.baseDirectory() + "): new submissions answer 507 and launches wait in their queue until"
                        + " there is room").orElseGet(() -> "the disk of " + config.baseDirectory() + " has " + mib(usableSpace())
                        + " MiB free; below " + mib(config.minFreeBytes()) + " MiB srg takes no new task (submissions answer 507,"
                        + " launches wait in their queue)"));
        if (released > 0) {
            log.info("gave back {} task uids held by instances that ended while the server was down", released);
        }
        // SPEC RT-3: the server says at start whether task networks are enforced, and why not
        log.info("{}", network.startNote());
        int orphans = network.sweep(id -> {
            InstanceDirectory dir = directory(id);
            return dir.startedBy().filter(ref -> !ref.none() && isSupervisor(ref, dir)).isPresent();
        });
        if (orphans > 0) {
            log.info("removed {} network namespaces of tasks whose supervisor is gone", orphans);
        }
    }

    /** How supervisors are started, as said at start: through the launcher, or ProcessBuilder and why. */
    private String launchNote() {
        if (compiledSupervisor.isEmpty()) {
            return "supervisors start through ProcessBuilder (the bash supervisor; no launcher without the compiled one)";
        }
        if (!launcherWanted) {
            return "supervisors start through ProcessBuilder (jspawnhelper, then the supervisor's exec): launcher off ("
                    + LAUNCHER_PROPERTY + ")";
        }
        Optional<SupervisorLauncher> started = launcher();
        launcherLock.lock();
        try {
            return started.map(l -> "supervisors start through the launcher (pid " + l.pid()
                            + "): one fork per task, no exec; restarted if it dies; " + l.priorityNote(launchNice)
                            + l.namespacePoolNote(namespacePool()))
                    .orElseGet(() -> "supervisors start through ProcessBuilder (jspawnhelper, then the supervisor's exec): "
                            + launcherWhyNot + "; the launcher is tried again later");
        } finally {
            launcherLock.unlock();
        }
    }

    /**
     * The launcher, started (again) when there is none or it died; empty when supervisors start
     * through ProcessBuilder: no compiled supervisor, the launcher off, or it could not be started
     * (tried again after {@link #LAUNCHER_RETRY_NANOS}).
     */
    private Optional<SupervisorLauncher> launcher() {
        if (!launcherWanted) {
            return Optional.empty();
        }
        launcherLock.lock();
        try {
            if (launcher != null && launcher.alive()) {
                return Optional.of(launcher);
            }
            if (closed || (launcherRetryAt != 0 && System.nanoTime() - launcherRetryAt < 0)) {
                return Optional.empty();
            }
            Long previous = launcher == null ? null : launcher.pid();
            SupervisorLauncher.Result result = SupervisorLauncher.start(compiledSupervisor.get(), config.baseDirectory(),
                    launcherTimeoutMillis, launchNice, namespacePool());
            launcher = result.launcher().orElse(null);
            if (launcher == null) {
                launcherWhyNot = result.whyNot();
                launcherRetryAt = System.nanoTime() + LAUNCHER_RETRY_NANOS;
                log.warn("{}: supervisors start through ProcessBuilder for now", launcherWhyNot);
            } else if (previous != null) {
                log.warn("the supervisors' launcher {} is gone; started a new one, pid {}", previous, launcher.pid());
            }
            return Optional.ofNullable(launcher);
        } finally {
            launcherLock.unlock();
        }
    }

    /** The namespaces the launcher keeps made ahead: none when task networks are not enforced. */
    private int namespacePool() {
        return network.enforced() ? netPool : 0;
    }

    /** What keeps tasks apart, as said at start (and, when nothing does, in every instance's limits note). */
    static String isolationNote(Optional<TaskIdentities> identities, int serverUid) {
        return identities
                .map(ids -> "isolation between tasks: each task runs as a uid and gid of its own (" + ids.firstUid()
                        + "-" + ids.lastUid() + "), its directory closed to the others, "
                        + ids.workspaceGroupsRefused().map(why -> "without its workspace's group (" + why
                                + "): a directory cannot be kept to one workspace's tasks")
                        .orElse("in its workspace's group (" + TaskIdentities.WORKSPACE_GID_FIRST + "-"
                                + TaskIdentities.WORKSPACE_GID_LAST + ")"))
                .orElseGet(() -> "isolation between tasks not enforced: same uid (" + serverUid
                        + ", the server's; per-task uids need root), so tasks can read each other's files and "
                        + "environment and signal each other");
    }

    /**
     * What a task gets of its own beyond its uid, as said at start: tried for real by the compiled
     * supervisor ({@code --private-probe}: the mounts in a child of new namespaces, gone with it),
     * else why not. Each instance's limits note says what its own task got.
     */
    private static String privateNote(Optional<TaskIdentities> identities, Optional<Path> compiled) {
        String none = "no private /tmp, /var/tmp, /dev/shm, no /proc hidepid, no pid or IPC namespace of its own";
        if (identities.isEmpty()) {
            return "per task: " + none + " (they need root and a uid of the task's own)";
        }
        if (compiled.isEmpty()) {
            return "per task: " + none + " (the bash supervisor does not make them; the compiled one does)";
        }
        long probeSize = CgroupLayout.BYTES_PER_CU;
        try {
            Process probe = new ProcessBuilder(compiled.get().toString(), "--private-probe", Long.toString(probeSize))
                    .redirectErrorStream(true).start();
            probe.getOutputStream().close();
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0 && !output.isEmpty()) {
                return "per task: " + output.replace("of at most " + probeSize + " bytes, the task's memory limit",
                        "of at most the task's memory limit");
            }
            return "per task: " + none + " (the supervisor's probe failed: " + output + ")";
        } catch (IOException e) {
            return "per task: " + none + " (the supervisor's probe failed: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "per task: " + none + " (interrupted)";
        }
    }

    /** How the pids limit is enforced, as said at start (each instance's note says it again, with its number). */
    static String pidsNote(boolean pidsController, boolean ownUids) {
        String formula = CgroupLayout.PIDS_PER_CU + " processes per CU, at least " + CgroupLayout.MIN_PIDS;
        if (pidsController) {
            return "pids limit " + formula + " (cgroup pids controller)";
        }
        return ownUids
                ? "pids limit " + formula + " (RLIMIT_NPROC of the task's own uid; no cgroup pids controller)"
                : "pids not limited (no cgroup pids controller and no uid of the task's own)";
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public LimitsSupport limitsSupport() {
        return cgroups.support();
    }

    /**
     * Whether the base directory's disk has room for a new instance: its free space (for srg, as
     * root: the blocks reserved for root count) against {@link LocalBackendConfig#minFreeBytes()},
     * and a launch that met a full disk in the last seconds. Asked of the kernel at most every 200 ms.
     */
    @Override
    public Optional<String> storageShortage() {
        long now = System.nanoTime();
        synchronized (fullUntil) {
            if (now - fullUntil[0] < 0) {
                return Optional.of(fullWhy);
            }
        }
        if (now - storageCheckedAt >= STORAGE_CHECK_NANOS) {
            long usable = usableSpace();
            long inodes = freeInodes;
            shortage = usable < config.minFreeBytes() ? Optional.of("the disk of srg's task directory has "
                    + mib(usable) + " MiB free, below the " + mib(config.minFreeBytes()) + " MiB srg keeps free")
                    : inodes >= 0 && inodes < minFreeInodes() ? Optional.of("the disk of srg's task directory has "
                    + inodes + " free inodes (files), below the " + minFreeInodes() + " srg keeps free")
                    : Optional.empty();
            storageCheckedAt = now;
            if (now - inodesReadAt >= INODE_CHECK_NANOS && inodeReadPending.compareAndSet(false, true)) {
                // a fork: never on the caller's (a launch's, a submission's) time, nor the timers' (a hung file system
                // must not hold timeouts); the next look sees it
                try {
                    callbacks.execute(() -> {
                        try {
                            readFreeInodes();
                        } finally {
                            inodeReadPending.set(false);
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    inodeReadPending.set(false);
                }
            }
        }
        return shortage;
    }

    /** The inodes srg keeps free on the task directory's disk: one per 16 KiB of {@link LocalBackendConfig#minFreeBytes()}. */
    private long minFreeInodes() {
        return config.minFreeBytes() / BYTES_PER_RESERVED_INODE;
    }

    /** Reads the disk's free inodes into {@link #freeInodes} ({@code stat -f -c '%c %d'}: total and free file nodes). */
    private void readFreeInodes() {
        long read = -1;
        try {
            Process p = new ProcessBuilder("stat", "-f", "-c", "%c %d", config.baseDirectory().toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
            if (p.waitFor() == 0 && out.matches("\\d+ \\d+")) {
                String[] totalFree = out.split(" ");
                read = Long.parseLong(totalFree[0]) == 0 ? -1 : Long.parseLong(totalFree[1]);
            }
        } catch (IOException e) {
            read = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        freeInodes = read;
        inodesReadAt = System.nanoTime();
        storageCheckedAt = inodesReadAt - STORAGE_CHECK_NANOS;
    }

    private long usableSpace() {
        try {
            return store.getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String mib(long bytes) {
        return java.math.BigDecimal.valueOf(bytes).divide(java.math.BigDecimal.valueOf(1024 * 1024), 1, java.math.RoundingMode.DOWN)
                .toPlainString();
    }

    /** A launch met a full disk: new launches wait a moment (doubling while it goes on), whatever the free space says. */
    private void metFullDisk(String why) {
        synchronized (fullUntil) {
            long now = System.nanoTime();
            fullHoldMillis = now - fullUntil[0] < TimeUnit.SECONDS.toNanos(60) ? Math.min(30_000, fullHoldMillis * 2) : 1_000;
            fullUntil[0] = now + TimeUnit.MILLISECONDS.toNanos(fullHoldMillis);
            fullWhy = "a launch met a full disk in srg's task directory";
            log.warn("a launch met a full disk in {}: {}", config.baseDirectory(), why);
        }
        storageCheckedAt = System.nanoTime() - STORAGE_CHECK_NANOS;
    }

    /** Whether an I/O failure is the disk's being full (ENOSPC) or a quota's (EDQUOT), not the instance's fault. */
    static boolean diskFull(Throwable e) {
        return ExecutionBackend.diskFull(e);
    }

    /** Cgroups give CPU and memory where usable; the rest of a spec's context is not enforced here. */
    @Override
    public Enforcement enforcement(LaunchSpec spec) {
        LimitsSupport limits = cgroups.support();
        return new Enforcement(new Enforcement.Item(limits.enforced(), limits.note()),
                new Enforcement.Item(limits.enforced(), limits.note()),
                network.networkItem(spec),
                network.dnsItem(spec),
                imageItem(spec),
                diskItem(spec));
    }

    /** A task's home may hold {@link LocalBackendConfig#homeBytesPerCu()} per CU: what its supervisor keeps it to, or why not. */
    static long homeLimitBytes(LocalBackendConfig config, long milliCu) {
        return java.math.BigInteger.valueOf(config.homeBytesPerCu()).multiply(java.math.BigInteger.valueOf(milliCu))
                .divide(java.math.BigInteger.valueOf(1000)).min(java.math.BigInteger.valueOf(Long.MAX_VALUE)).longValue();
    }

    /** SPEC RT-3: what bounds what the task writes on the task directory's disk (its home), and what does not. */
    private Enforcement.Item diskItem(LaunchSpec spec) {
        String rest = " (the disk of srg's task directory; srg also keeps " + mib(config.minFreeBytes())
                + " MiB of it free: below that, no new task starts)";
        if (spec.command().imageBuilder()) {
            return Enforcement.Item.no("image builder: srg's own build writes the image's files as root, not limited" + rest);
        }
        if (config.homeBytesPerCu() == 0) {
            return Enforcement.Item.no("home not limited: disabled by configuration (0 bytes per CU)" + rest);
        }
        if (compiledSupervisor.isEmpty()) {
            return Enforcement.Item.no("home not limited: the bash supervisor does not measure it (the compiled one does)" + rest);
        }
        return Enforcement.Item.yes("home at most " + homeLimitBytes(config, spec.milliCu()) + " bytes (" + mib(config.homeBytesPerCu())
                + " MiB per CU), measured every " + HOME_CHECK_SECONDS + " s by its supervisor as the kubelet measures a Pod's"
                + " ephemeral storage: a task over it is killed (DISK_LIMIT); what it writes faster than that between two looks"
                + " is not held back" + rest + (identities.isPresent() && compiledSupervisor.isPresent()
                ? "; its private /tmp and /dev/shm are in its memory instead"
                : "; /tmp is the host's (no private one without root), not limited"));
    }

    /** How often a supervisor measures its task's home (srg-supervisor.c, HOME_CHECK_MS). */
    static final int HOME_CHECK_SECONDS = 2;

    /** SPEC RT-1, RT-3: whether the task runs in its image; one that cannot fails at launch (see {@link #imageRefusal}). */
    private Enforcement.Item imageItem(LaunchSpec spec) {
        if (spec.command().imageBuilder()) {
            return imageRefusal(spec).map(Enforcement.Item::no).orElseGet(() -> Enforcement.Item.no(
                    "image builder: srg's builder runs as root on the host's file system; the build script runs in the new "
                            + "image through bubblewrap, as the task's uid (root only in its own user namespace)"));
        }
        if (spec.imageId().isEmpty()) {
            return Enforcement.Item.no("no image requested: runs on the host's file system");
        }
        return imageRefusal(spec).map(Enforcement.Item::no).orElseGet(() -> Enforcement.Item.yes("image "
                + spec.imageId().get() + " as the read-only root through bubblewrap; only the task's home, /proc, a minimal "
                + "/dev, a private /tmp and its hosts and resolver bound in; as the task's uid"));
    }

    /** Why a launch that needs images (to run in one, or to build one) cannot happen here; the launch then fails. */
    private Optional<String> imageRefusal(LaunchSpec spec) {
        if (spec.command().imageBuilder()) {
            return imagesUnsupported.map(why -> "image builds not possible here: " + why
                    + "; the build fails rather than run its script on the host");
        }
        if (spec.imageId().isEmpty()) {
            return Optional.empty();
        }
        String image = spec.imageId().get();
        if (imagesUnsupported.isPresent()) {
            return Optional.of("image " + image + " not applied: " + imagesUnsupported.get()
                    + "; the task fails rather than run on the host's file system");
        }
        Optional<Path> root = images.root(image);
        if (root.isEmpty() || !Files.isDirectory(root.get())) {
            return Optional.of("image " + image + " not applied: it is not AVAILABLE on this machine (deleted, or not built here)"
                    + "; the task fails rather than run on the host's file system");
        }
        return Optional.empty();
    }

    /**
     * Whether tasks can run in images: srg is root (it binds the image where only the task sees
     * it) with uids of its own for tasks, and bubblewrap works for an unprivileged uid (user
     * namespaces allowed). Tried for real once at start.
     */
    private static Optional<String> imageSupport(Optional<TaskIdentities> identities) {
        if (identities.isEmpty()) {
            return Optional.of("srg is not root (uid " + ProcFs.currentUid() + ") or tasks have no uid of their own");
        }
        Optional<String> bwrap = findExecutable("bwrap");
        if (bwrap.isEmpty()) {
            return Optional.of("bubblewrap (bwrap) is not installed");
        }
        for (String tool : List.of("unshare", "mount", "setpriv")) {
            if (findExecutable(tool).isEmpty()) {
                return Optional.of(tool + " is missing (util-linux, mount)");
            }
        }
        long uid = identities.get().lastUid();
        try {
            Process probe = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--no-new-privs",
                    "--", bwrap.get(), "--unshare-user", "--unshare-pid", "--ro-bind", "/", "/", "--proc", "/proc", "--", "true")
                    .redirectErrorStream(true).start();
            probe.getOutputStream().close();
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!probe.waitFor(10, TimeUnit.SECONDS)) {
                probe.destroyForcibly();
                return Optional.of("bubblewrap did not answer within 10 s");
            }
            if (probe.exitValue() != 0) {
                return Optional.of("bubblewrap cannot make a sandbox for an unprivileged uid (are user namespaces "
                        + "disabled? kernel.unprivileged_userns_clone, user.max_user_namespaces): " + output);
            }
        } catch (IOException e) {
            return Optional.of("cannot run bubblewrap: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while trying bubblewrap");
        }
        return Optional.empty();
    }

    /**
     * Whether this bubblewrap takes {@code --size} for its tmpfs (0.5 and later; an older one
     * refuses the option and would fail every task in an image): tried for real once at start,
     * as the image probe was, with a tmpfs of 1 MiB.
     */
    private static boolean bwrapTakesSize(long uid) {
        try {
            Process probe = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--no-new-privs",
                    "--", findExecutable("bwrap").orElseThrow(), "--unshare-user", "--unshare-pid", "--ro-bind", "/", "/",
                    "--size", "1048576", "--tmpfs", "/tmp", "--", "true")
                    .redirectErrorStream(true).start();
            probe.getOutputStream().close();
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            boolean answered = probe.waitFor(10, TimeUnit.SECONDS);
            if (!answered) {
                probe.destroyForcibly();
            }
            boolean takes = answered && probe.exitValue() == 0;
            log.info("{}", takes ? "bubblewrap takes --size: a task's /tmp and /home in an image hold at most its memory limit"
                    : "bubblewrap has no --size (" + output + "): a task's /tmp in an image has no size of its own (its memory "
                    + "cgroup still counts its pages)");
            return takes;
        } catch (IOException e) {
            log.info("bubblewrap has no --size ({}): a task's /tmp in an image has no size of its own", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Optional<String> findExecutable(String name) {
        for (String dir : TASK_PATH.split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    /** The pid of the running launcher, empty when there is none (tests kill it). */
    OptionalLong launcherPid() {
        launcherLock.lock();
        try {
            return launcher != null && launcher.alive() ? OptionalLong.of(launcher.pid()) : OptionalLong.empty();
        } finally {
            launcherLock.unlock();
        }
    }

    /** The name of an instance's network namespace (tests look for leftovers). */
    String networkNamespace(String instanceId) {
        return network.namespace(instanceId);
    }

    /** The task's output (stdout and stderr together), appended while it runs; may not exist yet. */
    public Path outputLog(String instanceId) {
        LaunchSpec.requireValidInstanceId(instanceId);
        return directory(instanceId).outputLog();
    }

    @Override
    public InputStream openLog(String instanceId, long offset) throws IOException {
        Path file = outputLog(instanceId);
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        SeekableByteChannel channel;
        try {
            channel = Files.newByteChannel(file, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            return InputStream.nullInputStream();
        }
        channel.position(Math.min(offset, channel.size()));
        return java.nio.channels.Channels.newInputStream(channel);
    }

    @Override
    public Launched launch(LaunchSpec spec) {
        requireNonNull(spec, "spec is null");
        checkOpen();
        // its files written while its start committed: waited for outside the lock, which the writing holds
        Ahead prepared = ahead.remove(spec.instanceId());
        boolean filesWritten = prepared != null && prepared.done().join() && prepared.spec().equals(spec);
        // a supervisor held for it: released by this start, or (for another spec, or no start) dropped first
        Held held = prepared == null ? null : prepared.held().getAndSet(null);
        Instance instance = instance(spec.instanceId());
        if (held != null && !filesWritten) {
            dropHeld(instance, held);
            held = null;
        }
        LaunchOutcome outcome;
        instance.lock.lock();
        try {
            if (instance.finished) {
                outcome = LaunchOutcome.FINISHED;
            } else if (instance.watchedPid != 0) {
                outcome = LaunchOutcome.ALREADY_RUNNING;
            } else {
                outcome = switch (inspect(instance)) {
                    case RUNNING -> LaunchOutcome.ALREADY_RUNNING;
                    case FINISHED, LOST -> LaunchOutcome.FINISHED;
                    case NOT_STARTED -> start(instance, spec, filesWritten, held);
                };
            }
            if (held != null && instance.watchedPid != held.pid()) {
                // not released (finished or running already, an image refused, the launcher failed)
                dropHeld(instance, held);
            }
        } finally {
            instance.lock.unlock();
        }
        deliverIfDue(instance);
        return new Launched(spec.instanceId(), outcome);
    }

    @Override
    public void cancel(String instanceId) {
        LaunchSpec.requireValidInstanceId(instanceId);
        checkOpen();
        Instance instance = instance(instanceId);
        instance.lock.lock();
        try {
            if (!instance.finished) {
                cancelLocked(instance);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cancel " + instanceId, e);
        } finally {
            instance.lock.unlock();
        }
        deliverIfDue(instance);
    }

    private void cancelLocked(Instance instance) throws IOException {
        InstanceDirectory dir = instance.directory;
        Files.createDirectories(dir.path());
        // Durable first: a supervisor between its guard and its trap still sees it.
        Files.write(dir.cancel(), new byte[0]);
        if (dir.claimWithoutRun()) {
            finish(instance, ExitStatus.withoutRun(FailureReason.CANCELLED, Instant.now(), "cancelled before it started"), true);
            return;
        }
        if (inspect(instance) == RecoveredInstance.State.RUNNING) {
            InstanceDirectory.SupervisorRef supervisor = dir.startedBy().orElseThrow();
            signalCancel(instance, supervisor, CANCEL_SIGNAL_ATTEMPTS);
        }
    }

    /**
     * Sends SIGTERM to the supervisor, and again until it is gone: bash can take a signal just
     * before it blocks in {@code wait} and then only acts on it when the task ends.
     */
    private void signalCancel(Instance instance, InstanceDirectory.SupervisorRef supervisor, int attemptsLeft) {
        if (instance.finished || attemptsLeft == 0 || closed || !isSupervisor(supervisor, instance.directory)) {
            return;
        }
        ProcessHandle.of(supervisor.pid()).ifPresent(ProcessHandle::destroy);
        try {
            timers.schedule(() -> signalCancel(instance, supervisor, attemptsLeft - 1),
                    CANCEL_SIGNAL_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed: the cancel file and the first signal stand
        }
    }

    /**
     * For {@code srg restore}: a run the restored database says was launched on this backend, whose
     * directory {@code taskDir} does not hold, ran under a supervisor of the host the backup was taken
     * of. Its outcome is written here as {@link FailureReason#LOST} (claimed, so nothing can start it),
     * and the restored server's recovery finishes it so: never launched again, since it may have run.
     * False, touching nothing, when the directory is there (its supervisor is found: recovery adopts it).
     */
    public static boolean recordLostElsewhere(Path taskDir, String runId, Instant at, String why) throws IOException {
        LaunchSpec.requireValidInstanceId(runId);
        Path path = taskDir.resolve(runId);
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.createDirectories(taskDir);
        Files.createDirectory(path, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
        InstanceDirectory dir = new InstanceDirectory(path);
        dir.writeExit(ExitStatus.withoutRun(FailureReason.LOST, at, why));
        if (!dir.claimWithoutRun()) {
            throw new IOException(path + " was claimed meanwhile");
        }
        return true;
    }

    @Override
    public List<RecoveredInstance> recover(Collection<String> instanceIdsTheStoreThinksAreActive) {
        checkOpen();
        int swept = sweepAhead(Set.copyOf(instanceIdsTheStoreThinksAreActive));
        if (swept > 0) {
            log.info("removed the files (and gave back the uids) of {} start(s) prepared ahead whose transaction never committed", swept);
        }
        List<RecoveredInstance> recovered = new ArrayList<>();
        for (String id : List.copyOf(instanceIdsTheStoreThinksAreActive)) {
            LaunchSpec.requireValidInstanceId(id);
            Instance instance = instance(id);
            RecoveredInstance.State state;
            instance.lock.lock();
            try {
                if (instance.finished) {
                    state = instance.outcome.reason() == FailureReason.LOST
                            ? RecoveredInstance.State.LOST : RecoveredInstance.State.FINISHED;
                } else if (instance.watchedPid != 0) {
                    state = RecoveredInstance.State.RUNNING;
                } else {
                    state = inspect(instance);
                }
            } finally {
                instance.lock.unlock();
            }
            deliverIfDue(instance);
            recovered.add(new RecoveredInstance(id, state));
        }
        return recovered;
    }

    @Override
    public void close() {
        closed = true;
        launcherLock.lock();
        try {
            if (launcher != null) {
                launcher.close();
            }
        } finally {
            launcherLock.unlock();
        }
        callbacks.shutdownNow();
        timers.shutdownNow();
        preparers.shutdownNow();
    }

    // --- the state of one instance, always read from its directory under its lock ---

    /**
     * Reads the instance directory and acts on it: watches a live supervisor, finishes an
     * instance with an exit file, declares one lost whose supervisor is gone without one.
     */
    private RecoveredInstance.State inspect(Instance instance) {
        InstanceDirectory dir = instance.directory;
        Optional<InstanceDirectory.SupervisorRef> supervisor = dir.startedBy();
        if (supervisor.isEmpty()) {
            return RecoveredInstance.State.NOT_STARTED;
        }
        InstanceDirectory.SupervisorRef ref = supervisor.get();
        if (!ref.none() && isSupervisor(ref, dir)) {
            watch(instance, exitOf(ref.pid()), ref.pid());
            return RecoveredInstance.State.RUNNING;
        }
        // The supervisor writes the exit file before it exits, so a dead one has written it or never will.
        Optional<ExitStatus> exit = dir.readExit();
        if (exit.isPresent()) {
            finish(instance, exit.get(), false);
            return RecoveredInstance.State.FINISHED;
        }
        killLeftovers(instance, ref);
        ExitStatus lost = ExitStatus.withoutRun(FailureReason.LOST, Instant.now(),
                ref.none() ? "claimed without a run, outcome not recorded"
                        : "supervisor " + ref.pid() + " disappeared without recording an outcome");
        finish(instance, lost, true);
        return RecoveredInstance.State.LOST;
    }

    private LaunchOutcome start(Instance instance, LaunchSpec spec, boolean filesWritten, Held held) {
        InstanceDirectory dir = instance.directory;
        Optional<String> refusal = imageRefusal(spec);
        if (refusal.isPresent()) {
            // SPEC RT-1, RT-3: never silently on the host
            launchFailed(instance, refusal.get());
            return LaunchOutcome.FINISHED;
        }
        Optional<String> full = storageShortage();
        if (full.isPresent()) {
            // not the task's fault: nothing is written, it waits in its queue for room (LaunchOutcome.DEFERRED)
            return deferred(instance, full.get());
        }
        Process supervisor;
        try {
            if (!filesWritten) {
                prepare(dir, spec);
            }
            Optional<SupervisorLauncher> through = launcher();
            if (through.isPresent()) {
                try {
                    // the supervisor held while the start committed goes on; through another
                    // launcher (the one that held it is gone, and its supervisor with it) a new one is forked
                    SupervisorLauncher.Started started = held != null && held.launcher() == through.get()
                            ? through.get().release(dir.path()) : through.get().launch(dir.path());
                    watch(instance, started.exited(), started.pid());
                    return LaunchOutcome.STARTED;
                } catch (IOException e) {
                    // Started directly below; if the launcher did fork one, the two race for the
                    // run-once link and one exits without running (watched through the winner).
                    log.warn("the launcher failed to start the supervisor of {}: {}; starting it directly",
                            spec.instanceId(), e.getMessage());
                }
            }
            List<String> command = new ArrayList<>(supervisorCommand);
            command.add(dir.path().toString());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.supervisorLog().toFile()))
                    .redirectErrorStream(true)
                    .directory(dir.path().toFile());
            builder.environment().clear();
            builder.environment().put("PATH", TASK_PATH);
            builder.environment().put("LANG", "C.UTF-8");
            supervisor = builder.start();
        } catch (IOException | RuntimeException e) {
            if (diskFull(e)) {
                metFullDisk(e.getMessage());
                return deferred(instance, "its files could not be written: " + e.getMessage());
            }
            log.warn("cannot start instance {}", spec.instanceId(), e);
            launchFailed(instance, "cannot start the supervisor: " + e);
            return LaunchOutcome.FINISHED;
        }
        watch(instance, supervisor.onExit(), supervisor.pid());
        return LaunchOutcome.STARTED;
    }

    /**
     * A launch that met a full disk before any supervisor took the run: what it wrote goes (its
     * files, uid claim, cgroups), so that a later launch of the same id starts afresh; nothing ran.
     */
    private LaunchOutcome deferred(Instance instance, String why) {
        log.warn("the launch of {} waits for room: {}", instance.id, why);
        removeUnlaunched(instance.directory, instance.id);
        return LaunchOutcome.DEFERRED;
    }

    /** Outcome of an instance whose supervisor never took the run; takes it so that it never runs. */
    private void launchFailed(Instance instance, String why) {
        try {
            if (instance.directory.claimWithoutRun()) {
                finish(instance, ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, Instant.now(), why), true);
            } else {
                inspect(instance);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the launch failure of " + instance.id, e);
        }
    }

    /** When a process that is not a child of the server exits (polled by the JDK); at once when it is gone. */
    private static CompletableFuture<?> exitOf(long pid) {
        return ProcessHandle.of(pid).<CompletableFuture<?>>map(ProcessHandle::onExit)
                .orElseGet(() -> CompletableFuture.completedFuture(null));
    }

    private void watch(Instance instance, CompletableFuture<?> exited, long pid) {
        if (instance.watchedPid == pid) {
            return;
        }
        instance.watchedPid = pid;
        try {
            exited.whenCompleteAsync((ignored, error) -> supervisorExited(instance, pid), callbacks);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void supervisorExited(Instance instance, long pid) {
        if (closed) {
            return;
        }
        String deferredWhy = null;
        instance.lock.lock();
        try {
            if (instance.watchedPid == pid) {
                instance.watchedPid = 0;
            }
            if (!instance.finished && instance.watchedPid == 0) {
                Optional<String> full = Optional.empty();
                if (instance.directory.startedBy().isEmpty()) {
                    // its own files could not be written (the run-once claim, its log) on a full disk: asked afresh
                    storageCheckedAt = System.nanoTime() - STORAGE_CHECK_NANOS;
                    full = storageShortage();
                }
                if (full.isPresent()) {
                    deferredWhy = "its supervisor could not claim the run: " + full.get();
                    metFullDisk("the supervisor of " + instance.id + " could not claim the run");
                    deferred(instance, deferredWhy);
                } else if (instance.directory.startedBy().isEmpty()) {
                    try {
                        launchFailed(instance, "the supervisor exited before starting the task: " + supervisorLogTail(instance));
                    } catch (UncheckedIOException e) {
                        if (!diskFull(e)) {
                            throw e;
                        }
                        // no inode left (the bytes above the reserve): its claim could not be written either
                        deferredWhy = "its supervisor could not claim the run: the disk of srg's task directory is full";
                        metFullDisk(e.getMessage());
                        deferred(instance, deferredWhy);
                    }
                } else {
                    // Finished, lost, or it lost the race to another supervisor that we now watch.
                    inspect(instance);
                }
            }
        } catch (RuntimeException e) {
            log.error("cannot settle instance {} after its supervisor {} exited", instance.id, pid, e);
        } finally {
            instance.lock.unlock();
        }
        if (deferredWhy != null) {
            try {
                listener.onLaunchDeferred(instance.id, deferredWhy);
            } catch (RuntimeException e) {
                log.error("the listener failed on the deferred launch of {}", instance.id, e);
            }
        }
        deliverIfDue(instance);
    }

    private void finish(Instance instance, ExitStatus status, boolean write) {
        if (write) {
            try {
                instance.directory.writeExit(status);
            } catch (IOException e) {
                log.error("cannot write the exit file of {}", instance.id, e);
            }
        }
        instance.finished = true;
        instance.outcome = status;
        // Its uid goes back only now that no process of it can be left (the supervisor killed them,
        // or killLeftovers did); release kills any it still finds.
        List<Path> cgroupDirectories = cgroups.instanceDirectories(instance.id);
        boolean emptiedCgroups = status.limitsEnforced() && !cgroupDirectories.isEmpty()
                && cgroupDirectories.stream().noneMatch(Files::exists);
        identities.ifPresent(ids -> ids.release(instance.directory, instance.id, emptiedCgroups));
        // The supervisor removes its network namespace; this one is left only when it died.
        network.release(instance.id);
        // The supervisor removes its cgroups; these are left only when it died.
        removeCgroups(cgroupDirectories);
        removeAheadMarker(instance.id);
    }

    private void removeCgroups(List<Path> cgroupDirectories) {
        for (Path cgroup : cgroupDirectories) {
            try {
                Files.deleteIfExists(cgroup);
            } catch (IOException e) {
                log.warn("cannot remove cgroup {}", cgroup, e);
            }
        }
    }

    private void removeAheadMarker(String instanceId) {
        try {
            Files.deleteIfExists(aheadMarker(instanceId));
        } catch (IOException e) {
            log.warn("cannot remove {}", aheadMarker(instanceId), e);
        }
    }

    // --- a start's files written while its transaction commits (issue 17, eleventh round) ---

    /**
     * A start prepared ahead: the spec it was written for, whether it was (false: the launch writes
     * them), and the supervisor held for it, if any (taken by its launch or discard).
     */
    private record Ahead(LaunchSpec spec, CompletableFuture<Boolean> done, AtomicReference<Held> held) {}

    /** A supervisor forked ahead of its start's commit and held by {@code launcher} ({@link #HOLD_AHEAD_PROPERTY}). */
    private record Held(SupervisorLauncher launcher, long pid, CompletableFuture<Void> exited) {}

    /** How long a drop waits for the held supervisor's exit before its instance's files are removed. */
    private static final long HELD_EXIT_WAIT_MILLIS = 2_000;

    /**
     * The held supervisor exits without running anything; waited for (it only reads its end and
     * exits), so that nothing of it is left when the caller removes the instance's files.
     */
    private void dropHeld(Instance instance, Held held) {
        try {
            held.launcher().drop(instance.directory.path());
            held.exited().get(HELD_EXIT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException | IOException e) {
            log.warn("the supervisor {} held for {} did not exit at its drop: {}; the launcher is stopped, which ends it",
                    held.pid(), instance.id, e.toString());
            held.launcher().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The pid of the supervisor held for a start prepared ahead, if one is (tests). */
    OptionalLong heldSupervisor(String instanceId) {
        Ahead prepared = ahead.get(instanceId);
        if (prepared == null || !prepared.done().isDone()) {
            return OptionalLong.empty();
        }
        Held held = prepared.held().get();
        return held == null ? OptionalLong.empty() : OptionalLong.of(held.pid());
    }

    @Override
    public void prepareAhead(LaunchSpec spec) {
        requireNonNull(spec, "spec is null");
        if (!prepareAheadWanted || closed || imageRefusal(spec).isPresent()) {
            return;
        }
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        AtomicReference<Held> held = new AtomicReference<>();
        if (ahead.putIfAbsent(spec.instanceId(), new Ahead(spec, done, held)) != null) {
            return;
        }
        try {
            preparers.execute(() -> done.complete(writeAhead(spec, held)));
        } catch (RejectedExecutionException e) {
            done.complete(false);
        }
    }

    private boolean writeAhead(LaunchSpec spec, AtomicReference<Held> held) {
        Instance instance = instance(spec.instanceId());
        AtomicReference<CompletableFuture<Void>> holding = new AtomicReference<>(CompletableFuture.completedFuture(null));
        instance.lock.lock();
        try {
            InstanceDirectory dir = instance.directory;
            if (instance.finished || instance.watchedPid != 0 || Files.exists(dir.started())) {
                return false;
            }
            // the marker first: whatever a crash leaves of this start from here on, recover finds
            Files.write(aheadMarker(spec.instanceId()), (aheadToken + "\n").getBytes(StandardCharsets.UTF_8));
            // the supervisor held: forked by the launcher while the files are written (it waits
            // before it reads any of them; its release comes after this method has returned)
            prepare(dir, spec, holdAheadWanted
                    ? () -> holding.set(CompletableFuture.runAsync(() -> hold(dir, held), preparers)) : () -> { });
            return true;
        } catch (IOException | RuntimeException e) {
            log.debug("cannot prepare {} ahead; its launch will", spec.instanceId(), e);
            return false;
        } finally {
            // answered before the start is done: its launch or discard then finds it (and releases or drops it)
            holding.get().exceptionally(e -> null).join();
            instance.lock.unlock();
        }
    }

    /** The supervisor forked and held for a start prepared ahead; none when there is no launcher (the launch forks one). */
    private void hold(InstanceDirectory dir, AtomicReference<Held> held) {
        Optional<SupervisorLauncher> through = launcher();
        if (through.isEmpty()) {
            return;
        }
        try {
            SupervisorLauncher.Started started = through.get().hold(dir.path());
            held.set(new Held(through.get(), started.pid(), started.exited()));
        } catch (IOException e) {
            log.debug("cannot hold a supervisor for {}; its launch forks one", dir.path(), e);
        }
    }

    @Override
    public void discardAhead(String instanceId) {
        Ahead prepared = ahead.remove(instanceId);
        if (prepared == null) {
            return;
        }
        prepared.done().join();
        Instance instance = instance(instanceId);
        Held held = prepared.held().getAndSet(null);
        if (held != null) {
            dropHeld(instance, held);
        }
        instance.lock.lock();
        try {
            if (instance.watchedPid == 0 && !instance.finished && !Files.exists(instance.directory.started())) {
                removeUnlaunched(instance.directory, instanceId);
            }
        } finally {
            instance.lock.unlock();
        }
        instances.remove(instanceId, instance);
    }

    /**
     * What a start prepared ahead left when its transaction never committed and a crash came in
     * between: a marker of another backend's, for an instance the store does not hold active and
     * whose task never started. Its files, cgroups and uid claim go; the marker of an instance
     * that went on (active: it is launched or re-attached; started: it ran) goes when it ends.
     */
    private int sweepAhead(Set<String> active) {
        Path markers = config.baseDirectory().resolve(AHEAD_DIRECTORY);
        List<Path> found = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(markers)) {
            entries.forEach(found::add);
        } catch (java.nio.file.NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            log.warn("cannot read {}", markers, e);
            return 0;
        }
        int swept = 0;
        for (Path marker : found) {
            String id = marker.getFileName().toString();
            try {
                if (active.contains(id) || ahead.containsKey(id) || writerAlive(Files.readString(marker, StandardCharsets.UTF_8))) {
                    continue;
                }
                LaunchSpec.requireValidInstanceId(id);
                Instance instance = instance(id);
                instance.lock.lock();
                try {
                    if (instance.watchedPid != 0 || Files.exists(instance.directory.started())) {
                        continue; // it ran: the marker goes when it ends (finish)
                    }
                    removeUnlaunched(instance.directory, id);
                    swept++;
                } finally {
                    instance.lock.unlock();
                }
                instances.remove(id, instance);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot sweep the start prepared ahead {}", marker, e);
            }
        }
        return swept;
    }

    /** Removes an instance's files that no supervisor took (never launched): its uid claim, cgroups, directory, marker. */
    private void removeUnlaunched(InstanceDirectory dir, String instanceId) {
        // nothing ran as its uid: no process of it to look for
        identities.ifPresent(ids -> ids.releaseUnlaunched(dir, instanceId));
        removeCgroups(cgroups.instanceDirectories(instanceId));
        try (var paths = Files.walk(dir.path())) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing was written
        } catch (IOException e) {
            log.warn("cannot remove {}", dir.path(), e);
            return; // the marker stays: the next start sweeps again
        }
        removeAheadMarker(instanceId);
    }

    /** Whether the process that wrote a marker ({@link #aheadToken}) still runs. */
    private static boolean writerAlive(String token) {
        String[] fields = token.trim().split(" ");
        try {
            OptionalLong ticks = ProcFs.startTicks(Long.parseLong(fields[0]));
            return fields.length == 2 && ticks.isPresent() && ticks.getAsLong() == Long.parseLong(fields[1]);
        } catch (NumberFormatException e) {
            return false; // not a marker of ours: a crash cut it short
        }
    }

    private Path aheadMarker(String instanceId) {
        return config.baseDirectory().resolve(AHEAD_DIRECTORY).resolve(instanceId);
    }

    private void deliverIfDue(Instance instance) {
        if (closed || !instance.finished || !instance.delivered.compareAndSet(false, true)) {
            return;
        }
        try {
            listener.onExit(instance.id, instance.outcome);
        } catch (RuntimeException e) {
            log.error("exit listener failed for {}", instance.id, e);
        }
    }

    /** Kills what is left of an instance whose supervisor died: its cgroups and its session. */
    private void killLeftovers(Instance instance, InstanceDirectory.SupervisorRef supervisor) {
        for (int round = 0; round < 20; round++) {
            Set<Long> pids = new LinkedHashSet<>();
            for (Path cgroup : cgroups.instanceDirectories(instance.id)) {
                try {
                    for (String line : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
                        if (!line.isBlank()) {
                            pids.add(Long.parseLong(line.trim()));
                        }
                    }
                } catch (IOException e) {
                    // no such cgroup
                }
            }
            if (!supervisor.none()) {
                pids.addAll(ProcFs.sessionMembers(supervisor.pid(), supervisor.startTicks()));
            }
            // Those that left the session and the cgroups are still of the task's own uid.
            TaskIdentities.recorded(instance.directory).ifPresent(identity ->
                    pids.addAll(ProcFs.liveProcessesOfUid(identity.uid())));
            if (pids.isEmpty()) {
                return;
            }
            log.warn("killing leftover processes {} of lost instance {}", pids, instance.id);
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether {@code ref} is a live supervisor of this instance (and not a reused pid). */
    private static boolean isSupervisor(InstanceDirectory.SupervisorRef ref, InstanceDirectory dir) {
        OptionalLong ticks = ProcFs.startTicks(ref.pid());
        if (ticks.isEmpty() || ticks.getAsLong() != ref.startTicks()) {
            return false;
        }
        List<String> arguments = Arrays.asList(ProcFs.cmdline(ref.pid()).split("\0"));
        return arguments.contains(dir.path().toString())
                && arguments.stream().anyMatch(a -> a.contains("/" + SUPERVISOR_DIRECTORY + "/"));
    }

    // --- files ---

    private void prepare(InstanceDirectory dir, LaunchSpec spec) throws IOException {
        prepare(dir, spec, () -> { });
    }

    /** {@code directoryMade} runs once the instance directory is there (closed to all but root), before its files. */
    private void prepare(InstanceDirectory dir, LaunchSpec spec, Runnable directoryMade) throws IOException {
        Files.createDirectories(dir.home());
        Files.setPosixFilePermissions(dir.path(), PRIVATE_DIRECTORY);
        Files.setPosixFilePermissions(dir.home(), PRIVATE_DIRECTORY);
        directoryMade.run();
        Optional<TaskIdentity> identity = Optional.empty();
        if (identities.isPresent()) {
            identity = Optional.of(identities.get().acquire(dir, spec.instanceId()));
            // root-owned (the task must not replace its control files), entered by the task's group only
            Files.setAttribute(dir.path(), "unix:gid", toIntId(identity.get().gid()));
            Files.setPosixFilePermissions(dir.path(), GROUP_TRAVERSABLE_DIRECTORY);
            Files.setAttribute(dir.home(), "unix:uid", toIntId(identity.get().uid()));
            Files.setAttribute(dir.home(), "unix:gid", toIntId(identity.get().gid()));
        }
        // the kind's files, in the task's working directory (the command names them relatively), which
        // only the task's uid may enter
        for (Map.Entry<String, String> file : spec.command().files().entrySet()) {
            writeAtomically(dir.home().resolve(file.getKey()), file.getValue().getBytes(StandardCharsets.UTF_8), PRIVATE_FILE);
            if (identity.isPresent()) {
                Files.setAttribute(dir.home().resolve(file.getKey()), "unix:gid", toIntId(identity.get().gid()));
                Files.setPosixFilePermissions(dir.home().resolve(file.getKey()), GROUP_READABLE_FILE);
            }
        }
        writeAtomically(dir.argv(), nulSeparated(spec.command().argv()), PRIVATE_FILE);
        List<String> kept = keptPaths(spec.command().argv());
        if (identity.isPresent() && !kept.isEmpty()) {
            writeAtomically(dir.path().resolve("keep"), nulSeparated(kept), PRIVATE_FILE);
        }
        writeAtomically(dir.spec(), supervisorSpec(spec, identity).getBytes(StandardCharsets.UTF_8), PRIVATE_FILE);
        writeAtomically(dir.env(), taskEnvironment(dir, spec, identity.isPresent()), PRIVATE_FILE);
        network.prepare(dir.path(), spec);
        if (spec.imageId().isPresent() && !spec.command().imageBuilder()) {
            // where the image is bound, in the task's own mount namespace only
            Files.createDirectories(dir.path().resolve("rootfs"));
        }
        // The supervisor fills them; creating them here saves it a fork of mkdir per controller.
        // One left behind by a race with a finishing supervisor is removed by finish().
        for (Path cgroup : cgroups.instanceDirectories(spec.instanceId())) {
            try {
                Files.createDirectories(cgroup);
            } catch (IOException e) {
                log.debug("cannot create {}; the supervisor will try and report it", cgroup, e);
            }
        }
    }

    private String supervisorSpec(LaunchSpec spec, Optional<TaskIdentity> identity) {
        Map<String, String> variables = new LinkedHashMap<>();
        // 0: no timeout (a service runs until stopped)
        variables.put("TIMEOUT_MS", Long.toString(spec.hasTimeout() ? Math.max(1, spec.timeout().toMillis()) : 0));
        variables.put("RUN_UID", identity.map(i -> Long.toString(i.uid())).orElse(""));
        variables.put("RUN_GID", identity.map(i -> Long.toString(i.gid())).orElse(""));
        // its workspace's gid, its one supplementary group (a directory of that group, mode 2770, is its
        // workspace's alone); read from the spec's own environment, which a task's payload cannot set
        String workspaceGid = identity.isPresent() && !spec.command().imageBuilder()
                && identities.flatMap(TaskIdentities::workspaceGroupsRefused).isEmpty()
                ? spec.env().getOrDefault(LaunchSpec.WORKSPACE_GID, "") : "";
        variables.put("RUN_GROUPS", workspaceGid);
        variables.put("ISOLATION_NOTE", identity
                .map(i -> "isolation between tasks: own uid " + i.uid() + " and gid " + i.gid()
                        + (!workspaceGid.isEmpty() ? ", its workspace's group " + workspaceGid
                        : identities.flatMap(TaskIdentities::workspaceGroupsRefused).isPresent()
                        ? ", without its workspace's group (its gids are not safe on this host: the server's start says why)" : ""))
                .orElseGet(() -> isolationNote(identities, ProcFs.currentUid()) + "; "
                        + privateNote.substring("per task: ".length())));
        // the task's own /tmp, /var/tmp, /dev/shm, /run/lock, /proc and IPC (README "Isolation between tasks"):
        // one tmpfs of at most its memory limit (its pages also count in its memory cgroup); the
        // supervisor says in the limits note what it made (with an image: what bubblewrap made)
        variables.put("PRIVATE_SIZE", identity.isPresent() && !spec.command().imageBuilder()
                ? Long.toString(spec.limits().memoryBytes()) : "");
        variables.put("OUTPUT_CAP", Long.toString(config.maxOutputBytes()));
        // what its home may hold (0: no limit); the compiled supervisor measures it (diskItem)
        variables.put("HOME_LIMIT", spec.command().imageBuilder() ? "0" : Long.toString(homeLimitBytes(config, spec.milliCu())));
        variables.putAll(cgroups.supervisorVariables(spec.instanceId(), spec.milliCu()));
        variables.putAll(network.supervisorVariables(spec.instanceId()));
        // a task as root (no uid of its own) or the image builder could change its namespace: never reused
        variables.put("NET_REUSE", netReuse && identity.isPresent() && !spec.command().imageBuilder() ? network.reuseKey(spec) : "");
        variables.put("BUILDER", spec.command().imageBuilder() ? "1" : "");
        variables.put("IMAGE_ROOT", spec.imageId().isPresent() && !spec.command().imageBuilder()
                ? images.root(spec.imageId().get()).map(Path::toString).orElse("") : "");
        // bubblewrap's --size for the image's /tmp and /home, where it has it (docs/images.md)
        variables.put("IMAGE_TMP_SIZE", bwrapSize && spec.imageId().isPresent() && !spec.command().imageBuilder()
                ? Long.toString(spec.limits().memoryBytes()) : "");
        StringBuilder out = new StringBuilder();
        variables.forEach((name, value) -> out.append(name).append('=').append(shellQuote(value)).append('\n'));
        return out.toString();
    }

    /** NUL-separated NAME=VALUE: minimal and explicit, never the server's environment (it may hold secrets). */
    private static byte[] taskEnvironment(InstanceDirectory dir, LaunchSpec spec, boolean ownUid) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", TASK_PATH);
        env.put("HOME", dir.home().toString());
        env.put("LANG", "C.UTF-8");
        env.putAll(spec.taskEnv());
        if (!ownUid) {
            // tasks that run as the server's uid are in no workspace's group: not told one
            env.remove(LaunchSpec.WORKSPACE_GID);
        }
        StringBuilder out = new StringBuilder();
        env.forEach((name, value) -> out.append(name).append('=').append(value).append('\0'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The absolute paths of a command (an argument, or a part of one between {@code :} and {@code =}:
     * a classpath, {@code -XX:AOTCache=}) under {@link #PRIVATE_DIRECTORIES}: the supervisor binds
     * them back into the task's own. Commands are srg's (the kinds'), never a user's paths.
     */
    static List<String> keptPaths(List<String> argv) {
        Set<String> kept = new LinkedHashSet<>();
        for (String argument : argv) {
            for (String part : argument.split("[:=]")) {
                if (PRIVATE_DIRECTORIES.stream().anyMatch(d -> part.startsWith(d + "/"))) {
                    kept.add(part);
                }
            }
        }
        return List.copyOf(kept);
    }

    private static byte[] nulSeparated(List<String> values) {
        StringBuilder out = new StringBuilder();
        values.forEach(v -> out.append(v).append('\0'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void writeAtomically(Path target, byte[] content, Set<PosixFilePermission> permissions)
            throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID());
        try (SeekableByteChannel channel = Files.newByteChannel(temporary,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(permissions))) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
        // The creation mode is filtered by the umask; the file is not visible under its name yet.
        Files.setPosixFilePermissions(temporary, permissions);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String shellQuote(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    /**
     * Installs the compiled supervisor if the build made one and it runs here (the same machine
     * type), else the bash one; gives the command that starts it.
     */
    private static List<String> installSupervisor(Path baseDirectory) throws IOException {
        if (!"script".equals(System.getProperty(SUPERVISOR_PROPERTY))) {
            Optional<Path> compiled = install(baseDirectory, NATIVE_SUPERVISOR_RESOURCE, "");
            if (compiled.isPresent() && runs(compiled.get())) {
                return List.of(compiled.get().toString());
            }
            log.info("no compiled supervisor usable here (built without a C compiler, or for another machine type): "
                    + "tasks start through the bash supervisor");
        }
        // the bash supervisor's output copier
        executable("head");
        executable("stdbuf");
        executable("wc");
        Path script = install(baseDirectory, SUPERVISOR_RESOURCE, ".sh")
                .orElseThrow(() -> new IllegalStateException("resource " + SUPERVISOR_RESOURCE + " is missing"));
        return List.of(executable("setsid"), executable("bash"), script.toString());
    }

    /**
     * Whether the compiled supervisor starts on this machine; tried three times, since a file
     * just written can be busy (ETXTBSY) while another thread's child still holds it.
     */
    private static boolean runs(Path supervisor) {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (runsOnce(supervisor)) {
                return true;
            }
        }
        return false;
    }

    private static boolean runsOnce(Path supervisor) {
        try {
            Process probe = new ProcessBuilder(supervisor.toString(), "--version").redirectErrorStream(true).start();
            probe.getOutputStream().close();
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0 && output.startsWith("srg-supervisor");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Copies a supervisor into the base directory under a name that holds its hash: a running
     * bash reads its script as it goes, and a running binary is mapped, so a new version must
     * never overwrite an old one in place. Empty when the resource is not in the build.
     */
    private static Optional<Path> install(Path baseDirectory, String resource, String suffix) throws IOException {
        byte[] content;
        try (InputStream in = LocalExecutionBackend.class.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            content = in.readAllBytes();
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path directory = baseDirectory.resolve(SUPERVISOR_DIRECTORY);
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PRIVATE_DIRECTORY);
        Path target = directory.resolve(resource.replaceFirst("\\.sh$", "") + "-" + hash + suffix);
        if (!Files.exists(target)) {
            try {
                writeAtomically(target, content, PosixFilePermissions.fromString("rwx------"));
            } catch (FileAlreadyExistsException e) {
                // another backend on the same directory was first: same content
            }
        }
        return Optional.of(target);
    }

    /** The ids fit an int (the config keeps them below 2^31); the file attribute takes an Integer. */
    private static int toIntId(long id) {
        return Math.toIntExact(id);
    }

    /** A task must reach its home below the base directory: every ancestor needs o+x. */
    private static void requireTraversableByOthers(Path baseDirectory) throws IOException {
        for (Path dir = baseDirectory.getParent(); dir != null; dir = dir.getParent()) {
            if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("the task user cannot reach " + baseDirectory + ": " + dir
                        + " is not searchable by others (chmod o+x)");
            }
        }
    }

    private static String supervisorLogTail(Instance instance) {
        try {
            String content = Files.readString(instance.directory.supervisorLog());
            return content.length() > 500 ? content.substring(content.length() - 500) : content.strip();
        } catch (IOException e) {
            return "(no supervisor log)";
        }
    }

    private static String executable(String name) {
        for (String dir : TASK_PATH.split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(name + " not found in " + TASK_PATH + "; local execution needs it");
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        return Thread.ofPlatform().name(prefix, 0).daemon().factory();
    }

    private InstanceDirectory directory(String instanceId) {
        return new InstanceDirectory(config.baseDirectory().resolve(instanceId));
    }

    private Instance instance(String instanceId) {
        return instances.computeIfAbsent(instanceId, id -> new Instance(id, directory(id)));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend is closed");
        }
    }

    /** What this backend knows of one instance; fields guarded by {@code lock}. */
    private static final class Instance {
        final String id;
        final InstanceDirectory directory;
        final ReentrantLock lock = new ReentrantLock();
        final AtomicBoolean delivered = new AtomicBoolean();
        /** The supervisor being watched, 0 if none. */
        long watchedPid;
        volatile boolean finished;
        volatile ExitStatus outcome;

        Instance(String id, InstanceDirectory directory) {
            this.id = id;
            this.directory = directory;
        }
    }
}
