package dev.srg.store;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default database: a PostgreSQL server run by srg in its data directory from the
 * binaries that zonky ships in a jar (linux only). srg runs the binaries itself instead of through
 * zonky's launcher because PostgreSQL refuses to run as root: when srg is root, the server runs as
 * the unprivileged system user {@value #DB_USER}.
 *
 * <p>The server listens on 127.0.0.1 only, on a free port chosen at each start, with a random
 * password kept in {@code DIR/postgres.password} (mode 0600). A server left running by a srg that
 * was killed is taken over as it runs when it is this data directory's postmaster, of these
 * binaries, ready and answering this password (a restart then costs no stop and start of the
 * database: issue 17); anything else left running there is stopped and started again cleanly.
 * Once {@link #supervise supervised}, a server
 * that dies under srg (killed, crashed) is started again on the same port, with backoff, and
 * PostgreSQL's crash recovery brings back everything committed.
 */
public final class EmbeddedPostgres implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
    static final String DB_USER = "srg";
    /** Beside {@code postgres/}: the port the server listened on last. */
    static final String PORT_FILE = "postgres.port";
    private static final String BINARIES = "postgres-linux-x86_64.txz";

    private final Path pgData;
    private final Path binaries;
    private final int port;
    private final String password;
    private final boolean asRoot;
    private final Object lifecycle = new Object();
    private volatile boolean closing;
    private volatile long postmasterPid;
    private volatile Process postmaster;
    /** A postmaster left by a killed srg and taken over (not this JVM's child), until it is started again. */
    private volatile ProcessHandle adopted;
    private Runnable onChange = () -> { };
    private ScheduledExecutorService supervisor;
    private final Watch watch = new Watch();

    private EmbeddedPostgres(Path pgData, Path binaries, int port, String password, boolean asRoot) {
        this.pgData = pgData;
        this.binaries = binaries;
        this.port = port;
        this.password = password;
        this.asRoot = asRoot;
    }

    /** Starts (initialising on first use) the server whose files live under {@code dataDir}. */
    public static EmbeddedPostgres start(Path dataDir) throws IOException {
        Path dir = dataDir.toAbsolutePath();
        Files.createDirectories(dir);
        boolean asRoot = Processes.isRoot();
        Path binaries = extractBinaries();
        Path pgData = dir.resolve("postgres");
        Path passwordFile = dir.resolve("postgres.password");
        if (asRoot) {
            Processes.ensureSystemUser(DB_USER);
            requireTraversable(dir);
        }
        if (!Files.exists(pgData.resolve("PG_VERSION"))) {
            initdb(binaries, pgData, passwordFile, asRoot);
        }
        String password = Files.readString(passwordFile).strip();
        Optional<EmbeddedPostgres> adopted = adoptLeftover(pgData, binaries, password, asRoot);
        if (adopted.isPresent()) {
            return adopted.get();
        }
        EmbeddedPostgres pg = new EmbeddedPostgres(pgData, binaries, port(dir.resolve(PORT_FILE)), password, asRoot);
        pg.stopLeftover();
        pg.startServer(pgData.resolve("server.log"));
        return pg;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String user() { return DB_USER; }

    public String password() { return password; }

    public int port() { return port; }

    /** Its PostgreSQL data directory ({@code RUNTIME/postgres}): what a base backup copies ({@link BaseBackup}). */
    public Path dataDirectory() { return pgData; }

    /**
     * Makes a data directory restored from a base backup under {@code runtimeDir} ({@code postgres/},
     * {@code postgres.password}) this user's or, as root, the database user's, as {@link #start} expects
     * of one it made itself: 0700, the password file 0600.
     */
    public static void adoptRestored(Path runtimeDir) throws IOException {
        Path dir = runtimeDir.toAbsolutePath();
        Path pgData = dir.resolve("postgres");
        Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(dir.resolve("postgres.password"), PosixFilePermissions.fromString("rw-------"));
        if (Processes.isRoot()) {
            Processes.ensureSystemUser(DB_USER);
            requireTraversable(dir);
            Processes.chown(pgData, DB_USER, true);
        }
    }

    /**
     * Watches the postmaster from now on and starts the server again (same port, same data)
     * whenever it dies, retrying with backoff up to {@link #MAX_RESTART_BACKOFF}: its children
     * must all have exited before PostgreSQL agrees to start on the same shared memory.
     * {@code onChange} runs when its death is noticed and again when it runs again (the store's
     * probe looks then rather than at its next tick).
     *
     * <p>The postmaster is this JVM's child: the JDK's reaper learns of its exit at once, so the watch
     * runs then, not on a timer (issue 17: an idle server costs next to nothing). One adopted from a
     * killed srg (not a child) is looked at every {@link #WATCH_EVERY} until it is started again.
     */
    public void supervise(Runnable onChange) {
        requireNonNull(onChange, "onChange is null");
        synchronized (lifecycle) {
            if (supervisor != null || closing) {
                return;
            }
            this.onChange = onChange;
            supervisor = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("srg-postgres-supervisor").daemon().factory());
            watchNext();
        }
    }

    /** The watch's next look: when the postmaster exits (a child), or in {@link #WATCH_EVERY} (adopted). */
    private void watchNext() {
        Process p = postmaster;
        if (p != null) {
            p.onExit().thenRun(() -> lookIn(0));
        } else {
            lookIn(WATCH_EVERY.toMillis());
        }
    }

    private void lookIn(long millis) {
        try {
            supervisor.schedule(watch, millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    /** The postmaster's process id (0 when not known). */
    public long pid() {
        return postmasterPid;
    }

    /** Whether the postmaster runs (a zombie does not). */
    public boolean running() {
        Process p = postmaster;
        if (p != null) {
            return p.isAlive();
        }
        ProcessHandle h = adopted;
        return h != null && h.isAlive() && !zombie(h.pid());
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'Z';
        } catch (IOException e) {
            return false; // gone: isAlive says so
        }
    }

    /**
     * The processes a dead postmaster left: run from these binaries with this data directory as
     * their working directory (the postmaster changes to it at start; its children inherit it).
     * Found by one scan of /proc when the postmaster is found dead, so that nothing reads every
     * process's stat file five times a second while it lives (its children by ppid are no longer
     * findable once it is gone: they are re-parented).
     */
    private List<ProcessHandle> leftoverBackends() {
        Path postgres;
        Path data;
        try {
            postgres = binaries.resolve("bin").resolve("postgres").toRealPath();
            data = pgData.toRealPath();
        } catch (IOException e) {
            return List.of();
        }
        List<ProcessHandle> found = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path entry : entries) {
                try {
                    if (Files.readSymbolicLink(entry.resolve("cwd")).equals(data)
                            && Files.readSymbolicLink(entry.resolve("exe")).equals(postgres)) {
                        ProcessHandle.of(Long.parseLong(entry.getFileName().toString())).ifPresent(found::add);
                    }
                } catch (IOException | NumberFormatException e) {
                    // gone meanwhile, or not ours to read
                }
            }
        } catch (IOException e) {
            // no /proc: nothing to find
        }
        return found;
    }

    /** Starts the server again on the same port after it died (the supervisor does this; tests too). */
    public void restart() throws IOException {
        synchronized (lifecycle) {
            if (closing) {
                throw new IOException("the embedded PostgreSQL is closed");
            }
            if (!running()) {
                startServer(pgData.resolve("server.log"));
            }
        }
    }

    /**
     * The embedded PostgreSQL's nice value relative to the server's, as root (0, the default: the
     * same; e.g. -5: a submission's statements go ahead of the launches and the server's other work
     * under load). Off by default: it raises the store above every process of the host, and the
     * measurements did not show it earning that (issue 17, docs/benchmarks.md "eighth round"; again in
     * the eleventh round, helper fs13: the submit's p99 no lower in pairs, the backends' waits for a core
     * no shorter).
     */
    static final String NICE_PROPERTY = "srg.store.postgresNice";
    /**
     * More settings for the embedded PostgreSQL, {@code name=value} separated by spaces, given to the
     * postmaster after srg's own (so one of them can be changed), e.g. {@code commit_delay=50
     * shared_buffers=256MB}: for measuring and tuning (issue 17, docs/benchmarks.md "eleventh round,
     * helper fs13"). The settings srg's crash guarantee rests on ({@link #DURABILITY}) cannot be given:
     * an accepted submission must survive a kill -9 of the database and a power loss.
     */
    static final String SETTINGS_PROPERTY = "srg.store.postgresSettings";
    static final Set<String> DURABILITY = Set.of("fsync", "synchronous_commit", "full_page_writes");
    private static final Duration WATCH_EVERY = Duration.ofMillis(200);
    private static final Duration MAX_RESTART_BACKOFF = Duration.ofSeconds(5);

    /** Runs on the supervisor's thread only. */
    private final class Watch implements Runnable {
        private long backoffMillis;
        private long downSinceNanos;

        @Override
        public void run() {
            if (closing) {
                return;
            }
            if (running()) {
                backoffMillis = 0;
                watchNext();
                return;
            }
            long now = System.nanoTime();
            if (backoffMillis == 0) {
                LOG.warn("the embedded PostgreSQL (pid {}) is gone; starting it again", postmasterPid);
                // its backends hold the shared memory that a new postmaster refuses to share; they would
                // exit by themselves on noticing the loss, but only when they next look
                List<ProcessHandle> leftovers = leftoverBackends();
                if (!leftovers.isEmpty()) {
                    LOG.warn("killing the {} processes the dead postmaster left: {}", leftovers.size(),
                            leftovers.stream().map(ProcessHandle::pid).toList());
                    leftovers.forEach(ProcessHandle::destroyForcibly);
                }
                downSinceNanos = now;
                backoffMillis = WATCH_EVERY.toMillis();
                changed();
            }
            try {
                restart();
                changed();
                LOG.info("the embedded PostgreSQL runs again (pid {}) after {} ms", postmasterPid,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - downSinceNanos));
                backoffMillis = 0;
                watchNext();
            } catch (IOException | RuntimeException e) {
                LOG.warn("starting the embedded PostgreSQL again failed (next try in {} ms): {}", backoffMillis,
                        e.getMessage());
                lookIn(backoffMillis);
                backoffMillis = Math.min(backoffMillis * 2, MAX_RESTART_BACKOFF.toMillis());
            }
        }

        private void changed() {
            try {
                onChange.run();
            } catch (RuntimeException e) {
                LOG.warn("the embedded PostgreSQL's watcher failed: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            closing = true;
            if (supervisor != null) {
                supervisor.shutdownNow();
            }
        }
        try {
            run(List.of(bin("pg_ctl"), "stop", "-D", pgData.toString(), "-m", "fast", "-w", "-t", "60"),
                    Duration.ofSeconds(70));
        } catch (IOException e) {
            LOG.warn("stopping the embedded PostgreSQL failed: {}", e.getMessage());
        }
    }

    /**
     * Starts the postmaster as a child of this JVM (in its own session, so a ^C to srg's terminal
     * does not reach it): the JVM reaps it the moment it dies, so the supervisor learns of its
     * death at once and a new postmaster never finds the old one lingering as a zombie holding the
     * lock file (as it would under a container init that reaps late, or none).
     */
    private void startServer(Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        int nice = Integer.getInteger(NICE_PROPERTY, 0);
        if (asRoot && nice != 0) {
            cmd.addAll(List.of("nice", "-n", Integer.toString(nice)));
        }
        if (asRoot) {
            cmd.addAll(Processes.asUser(DB_USER));
        }
        cmd.addAll(List.of(bin("postgres"), "-D", pgData.toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200",
                "-c", "fsync=on"));
        for (String setting : extraSettings()) {
            cmd.addAll(List.of("-c", setting));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LD_LIBRARY_PATH", binaries.resolve("lib").toString());
        Process process = pb.start();
        try {
            waitUntilAcceptingConnections(process);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new IOException(e.getMessage() + ": " + logTail(log), e);
        }
        postmaster = process;
        adopted = null;
        postmasterPid = process.pid();
        LOG.info("embedded PostgreSQL running on 127.0.0.1:{} (data {})", port, pgData);
    }

    /** {@link #SETTINGS_PROPERTY}'s settings; a malformed one stops the start rather than being dropped. */
    static List<String> extraSettings() throws IOException {
        String value = System.getProperty(SETTINGS_PROPERTY, "").strip();
        List<String> settings = new ArrayList<>();
        for (String setting : value.isEmpty() ? new String[0] : value.split("\\s+")) {
            if (!setting.matches("[a-z_][a-z0-9_.]*=[A-Za-z0-9_.:/+-]+")) {
                throw new IOException(SETTINGS_PROPERTY + ": '" + setting + "' is not name=value");
            }
            if (DURABILITY.contains(setting.substring(0, setting.indexOf('=')))) {
                throw new IOException(SETTINGS_PROPERTY + ": '" + setting + "' is srg's to set: its crash guarantee"
                        + " (nothing accepted is lost) rests on it");
            }
            settings.add(setting);
        }
        return settings;
    }

    private static String logTail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log)";
        }
    }

    /**
     * A srg killed with SIGKILL leaves its PostgreSQL running, healthy (its sessions ended with the
     * srg's sockets): taken over when the pid file names a live, ready postmaster of exactly this
     * data directory, run from these binaries, that answers this password on the port it names.
     * Anything less (a pid reused by another program, other binaries, a postmaster still in
     * recovery or shutting down, a wrong password) is left to {@link #stopLeftover}. No other srg
     * uses the directory: the caller holds the data directory's lock.
     */
    private static Optional<EmbeddedPostgres> adoptLeftover(Path pgData, Path binaries, String password, boolean asRoot)
            throws IOException {
        List<String> pidFile;
        try {
            pidFile = Files.readAllLines(pgData.resolve("postmaster.pid"));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
        // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, shared memory, status
        if (pidFile.size() < 8 || !pidFile.get(0).strip().matches("\\d{1,10}") || !pidFile.get(3).strip().matches("\\d{1,5}")
                || !Path.of(pidFile.get(1).strip()).equals(pgData) || !pidFile.get(7).strip().equals("ready")) {
            return Optional.empty();
        }
        long pid = Long.parseLong(pidFile.get(0).strip());
        int port = Integer.parseInt(pidFile.get(3).strip());
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> !zombie(pid));
        Path postgres = binaries.resolve("bin").resolve("postgres");
        if (process.isEmpty() || !process.get().info().command().map(Path::of).filter(postgres::equals).isPresent()) {
            return Optional.empty();
        }
        EmbeddedPostgres pg = new EmbeddedPostgres(pgData, binaries, port, password, asRoot);
        try (var connection = DriverManager.getConnection(pg.jdbcUrl("postgres"), DB_USER, password)) {
            if (!connection.isValid(5)) {
                return Optional.empty();
            }
        } catch (SQLException e) {
            LOG.warn("the PostgreSQL left by an earlier run (pid {}) does not answer ({}); stopping it", pid, e.getMessage());
            return Optional.empty();
        }
        pg.adopted = process.get();
        pg.postmasterPid = pid;
        LOG.info("embedded PostgreSQL left running by an earlier run taken over on 127.0.0.1:{} (pid {}, data {})",
                port, pid, pgData);
        return Optional.of(pg);
    }

    /** A previous srg killed with SIGKILL leaves its PostgreSQL running: stop it first. */
    private void stopLeftover() throws IOException {
        Optional<Long> pid = readPid();
        boolean alive = pid.flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
        if (alive) {
            LOG.warn("a PostgreSQL left by an earlier run is still running (pid {}); stopping it", pid.get());
            run(List.of(bin("pg_ctl"), "stop", "-D", pgData.toString(), "-m", "fast", "-w", "-t", "60"),
                    Duration.ofSeconds(70));
        }
        // A stale pid file of a dead server is removed by PostgreSQL itself at start.
    }

    private Optional<Long> readPid() throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        try {
            return Files.readAllLines(pidFile).stream().findFirst().map(String::strip)
                    .filter(s -> s.matches("\\d+")).map(Long::parseLong);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static void initdb(Path binaries, Path pgData, Path passwordFile, boolean asRoot) throws IOException {
        String password = randomPassword();
        Files.writeString(passwordFile, password + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        Path pwfile = Files.createTempFile(pgData.getParent(), ".pwfile", "");
        try {
            Files.writeString(pwfile, password + "\n");
            Files.createDirectories(pgData);
            Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
            if (asRoot) {
                Processes.chown(pgData, DB_USER, true);
                Processes.chown(pwfile, DB_USER, false);
            }
            List<String> cmd = List.of(binaries.resolve("bin/initdb").toString(), "-D", pgData.toString(),
                    "-U", DB_USER, "-A", "scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C");
            new EmbeddedPostgres(pgData, binaries, 0, password, asRoot).run(cmd, Duration.ofMinutes(3));
        } finally {
            Files.deleteIfExists(pwfile);
        }
    }

    private void run(List<String> command, Duration timeout) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (asRoot) {
            cmd.addAll(Processes.asUser(DB_USER));
        }
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LD_LIBRARY_PATH", binaries.resolve("lib").toString());
        Process process = pb.start();
        // pg_ctl start leaves the server holding our stdout if we do not drain it
        byte[] output;
        try (InputStream in = process.getInputStream()) {
            output = readBounded(in, 64 * 1024);
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(Path.of(command.get(0)).getFileName() + " failed (exit " + process.exitValue()
                    + "): " + new String(output, StandardCharsets.UTF_8).strip());
        }
    }

    private static byte[] readBounded(InputStream in, int max) throws IOException {
        byte[] all = in.readAllBytes();
        return all.length <= max ? all : java.util.Arrays.copyOfRange(all, all.length - max, all.length);
    }

    private void waitUntilAcceptingConnections(Process process) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("the embedded PostgreSQL exited at start (exit " + process.exitValue() + ")");
            }
            try (var connection = DriverManager.getConnection(jdbcUrl("postgres"), DB_USER, password)) {
                if (connection.isValid(5)) {
                    return;
                }
            } catch (SQLException e) {
                last = e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ie);
                }
            }
        }
        throw new IOException("the embedded PostgreSQL does not accept connections", last);
    }

    private String bin(String name) {
        return binaries.resolve("bin").resolve(name).toString();
    }

    /**
     * The port the server listened on last time if it is free, else a free one, kept for the next
     * start: a data source or a {@code psql} pointed at srg's own PostgreSQL keeps working across
     * restarts (it got a new port at every start).
     */
    private static int port(Path portFile) throws IOException {
        try {
            int last = Integer.parseInt(Files.readString(portFile).strip());
            if (last < 1024 || last > 65_535) {
                throw new NumberFormatException("not a port of ours: " + last);
            }
            try {
                new ServerSocket(last, 1, java.net.InetAddress.getLoopbackAddress()).close();
                return last;
            } catch (IOException taken) {
                LOG.info("embedded PostgreSQL: its last port {} is taken now; it listens on another", last);
            }
        } catch (java.nio.file.NoSuchFileException | NumberFormatException e) {
            // first start, or a file that is not ours to trust: a free port
        }
        int port = freePort();
        Files.writeString(portFile, port + "\n");
        return port;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * What names the unpacked binaries: the archive's CRC and size inside its jar, so that every jar
     * holding the same binaries (a clone, a copied jar, a benchmark's) shares one 60 MB unpack
     * rather than leaving one per jar path; the URL when the archive is not in a jar.
     */
    private static String binariesVersion(URL url) throws IOException {
        if (url.openConnection() instanceof JarURLConnection jar) {
            JarEntry entry = jar.getJarEntry();
            if (entry != null && entry.getCrc() != -1 && entry.getSize() != -1) {
                return Long.toHexString(entry.getCrc()) + "-" + Long.toHexString(entry.getSize());
            }
        }
        return Integer.toHexString(url.toString().hashCode());
    }

    /** The database user must reach its data directory: every ancestor must be traversable by others. */
    private static void requireTraversable(Path dir) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IOException("the embedded PostgreSQL runs as user '" + DB_USER + "' (PostgreSQL refuses root)"
                        + " and cannot reach " + dir + " because " + p + " is not traversable by other users;"
                        + " choose a data directory elsewhere (--data-dir) or run: chmod o+x " + p);
            }
        }
    }

    /**
     * Unpacks the binaries once per version into the temporary directory (shared by every srg on
     * the machine; a finished unpack is renamed into place atomically).
     */
    private static Path extractBinaries() throws IOException {
        var url = EmbeddedPostgres.class.getClassLoader().getResource(BINARIES);
        if (url == null) {
            throw new IOException(BINARIES + " is not on the class path (the zonky binaries jar is missing)");
        }
        Path target = Path.of(System.getProperty("java.io.tmpdir"), "srg-postgres-" + binariesVersion(url));
        if (Files.exists(target.resolve("bin/postgres"))) {
            return target;
        }
        Path staging = Files.createTempDirectory(target.getParent(), "srg-postgres-staging");
        try (InputStream raw = new BufferedInputStream(url.openStream());
             TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(raw))) {
            TarArchiveEntry entry;
            List<TarArchiveEntry> links = new ArrayList<>();
            while ((entry = tar.getNextEntry()) != null) {
                Path out = staging.resolve(entry.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException("unsafe path in " + BINARIES + ": " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isSymbolicLink() || entry.isLink()) {
                    links.add(entry);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(out, permissions(entry.getMode()));
                }
            }
            for (TarArchiveEntry link : links) {
                Path out = staging.resolve(link.getName());
                Files.createDirectories(out.getParent());
                if (link.isSymbolicLink()) {
                    Files.createSymbolicLink(out, Path.of(link.getLinkName()));
                } else {
                    Files.createLink(out, staging.resolve(link.getLinkName()));
                }
            }
            makeReadableByAll(staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileSystemException e) {
                // another srg unpacked it at the same time (rename(2) says "Directory not empty", which the
                // JDK reports as a plain FileSystemException): use theirs
                if (!Files.exists(target.resolve("bin/postgres"))) {
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
        if (Files.exists(staging)) {
            deleteTree(staging);
        }
        return target;
    }

    private static void makeReadableByAll(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                Set<PosixFilePermission> perms = new HashSet<>(Files.getPosixFilePermissions(p));
                perms.add(PosixFilePermission.OTHERS_READ);
                perms.add(PosixFilePermission.GROUP_READ);
                if (Files.isDirectory(p) || perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    perms.add(PosixFilePermission.GROUP_EXECUTE);
                }
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = new HashSet<>();
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                perms.add(order[i]);
            }
        }
        perms.add(PosixFilePermission.OWNER_READ);
        return perms;
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not delete {}: {}", root, e.getMessage());
        }
    }
}
