package dev.srg.cluster;

import static java.util.Objects.requireNonNull;

import dev.srg.store.Database;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.spi.JdbiPlugin;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server's part in a cluster of servers on one PostgreSQL (SPEC HA-1, HA-2).
 *
 * <p><b>The lease</b> is a row ({@code cluster_lease}) with a holder, an epoch and an expiry on the
 * database's clock. The leader renews it every third of its length on a connection of its own;
 * the others look every third whether it expired, and the first to see it so takes it with a
 * compare-and-set on the epoch it read (epoch + 1). A row, not an advisory lock: an advisory lock
 * lives as long as its session, and the session of a leader that is paused (SIGSTOP, a long GC, a
 * VM frozen) stays open as long as its TCP connection does, so nobody could ever take over; the row
 * expires on time whatever the leader's process does.
 *
 * <p><b>Fencing</b>: while leading, every pooled connection carries the epoch ({@code srg.epoch});
 * a trigger refuses a write to the tables that matter from a connection whose epoch is not the
 * fence's (V25_1), under a share lock of the fence row, which a takeover updates in the
 * transaction that takes the lease, so it waits for the old leader's writes in flight. Renewals
 * touch only the lease row: they never wait for the leader's own writes. Before it takes over, the new leader also ends the old holder's sessions
 * (each server names its sessions after itself), so a paused leader cannot hold that lock.
 * A leader that finds its lease taken stops at once ({@code onLost}): what it was doing is the new
 * leader's now, and it is started again as a follower by whatever supervises it.
 *
 * <p><b>Work from followers</b>: a follower that accepted a task NOTIFYs {@code srg_work}; requests
 * the leader must carry out (cancel a started task, re-read a group's limits) are rows of
 * {@code cluster_requests} plus a NOTIFY. The leader LISTENs, and polls as well, so a lost
 * notification only costs a poll interval.
 */
public final class Cluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    static final String CHANNEL = "srg_work";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One server as {@code GET /cluster} shows it. */
    public record Server(String id, String address, String role, Instant lastSeenAt) {}

    /** Who leads, in which epoch, and the servers that said they are alive. */
    public record View(String leader, long epoch, List<Server> servers) {}

    private final Database database;
    private final Jdbi jdbi;
    private final ClusterConfig config;
    private final String serverId;
    /** This run of the server: its sessions' application name, and the lease's holder while it leads. */
    private final String incarnation;
    private final Instant startedAt = Instant.now();
    private final Map<Object, Long> marked = new WeakHashMap<>();
    private final ScheduledExecutorService leaseThread =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-cluster-lease").daemon().factory());
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long epoch;
    /** Leading, and done taking over (the dispatcher rebuilt): only then is followers' work taken. */
    private volatile boolean ready;
    private volatile Supplier<String> address = () -> "unknown";
    private volatile Runnable onLeadership = () -> { };
    private volatile Runnable onLost = () -> { };
    private volatile BiConsumer<String, String> onWork = (kind, target) -> { };
    private Connection leaseConnection;
    private Thread listener;
    /** When the lease was last renewed or taken (System.nanoTime): the next renewal is due a third of the lease later. */
    private volatile long renewedAt;
    /** When this server last said it is alive (System.nanoTime; 0: not yet). */
    private long heartbeatAt;
    /** When this server took the lease (System.nanoTime), until it is ready to lead. */
    private volatile long acquiredAt;
    private final AtomicLong acquisitions = new AtomicLong();
    private final AtomicLong renewalFailures = new AtomicLong();
    private volatile double lastTakeoverSeconds;
    private volatile double lastExpiredForSeconds;
    private volatile double lastTickSeconds;

    private Cluster(Database database, ClusterConfig config, String serverId) {
        this.database = requireNonNull(database, "database is null");
        this.jdbi = database.jdbi();
        this.config = requireNonNull(config, "config is null");
        this.serverId = requireNonNull(serverId, "serverId is null");
        this.incarnation = "srg/" + serverId + "/" + HexFormat.of().formatHex(randomBytes(4));
    }

    /**
     * Joins the cluster of the servers on this database: names this server (its id is kept in the
     * data directory, so that a restarted server is the same one) and fences its connections.
     * Nothing runs until {@link #start}.
     */
    public static Cluster join(Database database, ClusterConfig config, Path dataDir) throws IOException {
        Cluster cluster = new Cluster(database, config, serverId(dataDir));
        database.jdbi().installPlugin(cluster.new Fence());
        return cluster;
    }

    private static String serverId(Path dataDir) throws IOException {
        Path file = dataDir.resolve("server.id");
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (id.matches("srv-[0-9a-f]{8,32}")) {
                return id;
            }
        }
        String id = "srv-" + HexFormat.of().formatHex(randomBytes(6));
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
        return id;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    public String serverId() {
        return serverId;
    }

    /** The epoch this server leads in; 0 while it follows. */
    public long epoch() {
        return epoch;
    }

    public boolean leading() {
        return epoch != 0;
    }

    /** How often this server took the lease since it started. */
    public long acquisitions() {
        return acquisitions.get();
    }

    /** Renewals that failed (the database did not answer, or the lease was found taken). */
    public long renewalFailures() {
        return renewalFailures.get();
    }

    /** The last takeover of this server: seconds from taking the lease to leading (ledgers rebuilt, tasks re-attached). */
    public double lastTakeoverSeconds() {
        return lastTakeoverSeconds;
    }

    /**
     * How long the lease lay expired before this server last took it (database clock): a slow look of the
     * followers; negative when taken before it ran out, its holder having no session left.
     */
    public double lastExpiredForSeconds() {
        return lastExpiredForSeconds;
    }

    /** How long the last renewal or look at the lease took. */
    public double lastTickSeconds() {
        return lastTickSeconds;
    }

    /**
     * Starts: tries the lease at once (a lone server, or one restarted after a crash, leads before
     * it serves, and {@code onLeadership} runs on this thread), then keeps renewing or watching.
     *
     * @param address this server's address, once it listens
     * @param onLeadership runs once when this server becomes the leader (later: on a thread of its own)
     * @param onLost runs when this server finds its lease taken by another (it must stop)
     * @param onWork runs on the leader for each piece of work a follower sent: {@code ("submitted", instanceId)},
     *     {@code ("cancel", instanceId)}, {@code ("limits", groupId)}; it must be idempotent
     */
    public void start(Supplier<String> address, Runnable onLeadership, Runnable onLost, BiConsumer<String, String> onWork) {
        this.address = requireNonNull(address, "address is null");
        this.onLeadership = requireNonNull(onLeadership, "onLeadership is null");
        this.onLost = requireNonNull(onLost, "onLost is null");
        this.onWork = requireNonNull(onWork, "onWork is null");
        boolean leads = false;
        try {
            leads = tick(true);
        } catch (RuntimeException e) {
            LOG.warn("cluster: the first look at the lease failed ({}); this server follows until it can look again", e.toString());
        }
        // renewing from now on: taking over (re-attaching, rebuilding the ledgers) may take longer than a lease
        long every = config.lookEvery().toMillis();
        leaseThread.scheduleWithFixedDelay(() -> tick(false), every, every, TimeUnit.MILLISECONDS);
        listener = Thread.ofPlatform().name("srg-cluster-listen").daemon().start(this::listen);
        if (leads) {
            onLeadership.run(); // on this thread, before the server serves: a failure fails the start
            becameReady();
        }
    }

    /** Hands work this follower accepted to the leader (the leader does it itself when this server leads). */
    public void forward(String kind, String target) {
        requireNonNull(kind, "kind is null");
        requireNonNull(target, "target is null");
        if (kind.equals("submitted")) {
            // the instance is QUEUED in the store already: the leader's poll finds it even without this
            jdbi.useHandle(h -> h.createQuery("SELECT pg_notify(:channel, :payload)").bind("channel", CHANNEL)
                    .bind("payload", "submitted " + target).mapTo(String.class).findOne());
            return;
        }
        jdbi.useTransaction(h -> {
            h.createUpdate("INSERT INTO cluster_requests (kind, target) VALUES (:kind, :target)")
                    .bind("kind", kind).bind("target", target).execute();
            h.createQuery("SELECT pg_notify(:channel, 'request')").bind("channel", CHANNEL).mapTo(String.class).findOne();
        });
    }

    /** Who leads now, as the database says, and every server seen in the last day. */
    public View view() {
        return jdbi.withHandle(h -> {
            Map<String, Object> lease = h.createQuery("""
                    SELECT holder, epoch, expires_at > clock_timestamp() AS live FROM cluster_lease WHERE id = 1""")
                    .mapToMap().one();
            String holder = (String) lease.get("holder");
            boolean live = Boolean.TRUE.equals(lease.get("live"));
            String leader = live && holder != null ? serverOf(holder) : null;
            long leaseEpoch = ((Number) lease.get("epoch")).longValue();
            List<Server> servers = h.createQuery("""
                    SELECT id, address, last_seen_at, last_seen_at > clock_timestamp() - make_interval(secs => :lease) AS alive
                    FROM cluster_servers WHERE last_seen_at > clock_timestamp() - interval '1 day' ORDER BY id""")
                    .bind("lease", (double) config.lease().toSeconds())
                    .map((rs, ctx) -> {
                        String id = rs.getString("id");
                        String role = id.equals(leader) ? "LEADER" : rs.getBoolean("alive") ? "FOLLOWER" : "UNREACHABLE";
                        return new Server(id, rs.getString("address"), role, rs.getTimestamp("last_seen_at").toInstant());
                    }).list();
            return new View(leader, leaseEpoch, servers);
        });
    }

    private static String serverOf(String holder) {
        String[] parts = holder.split("/");
        return parts.length >= 2 ? parts[1] : holder;
    }

    // --- the lease ---

    /** Renews or looks for the lease; on the first look, says whether this server just took it (the caller takes over). */
    private boolean tick(boolean first) {
        if (closed.get()) {
            return false;
        }
        long began = System.nanoTime();
        try {
            Connection c = leaseConnection();
            if (heartbeatAt == 0 || due(heartbeatAt)) {
                heartbeat(c);
                heartbeatAt = System.nanoTime();
            }
            if (leading()) {
                if (due(renewedAt)) {
                    renew(c);
                }
            } else if (tryAcquire(c)) {
                if (first) {
                    return true;
                }
                Thread.ofPlatform().name("srg-cluster-lead").daemon().start(() -> {
                    try {
                        onLeadership.run();
                        becameReady();
                    } catch (RuntimeException e) {
                        // leading without dispatching would stall everything: stop, as a crash would, for another to take over
                        LOG.error("cluster: taking over failed: {}", e.toString());
                        onLost.run();
                    }
                });
            }
        } catch (SQLException | RuntimeException e) {
            if (leading()) {
                renewalFailures.incrementAndGet();
                LOG.warn("cluster: renewing the lease of epoch {} failed after {} ms ({}); last renewed {} ms ago, it lasts {} ms",
                        epoch, millisSince(began), e.toString(), millisSince(renewedAt), config.lease().toMillis());
            } else {
                LOG.warn("cluster: looking at the lease failed after {} ms: {}", millisSince(began), e.toString());
            }
            closeLeaseConnection();
            if (first) {
                throw new IllegalStateException("cannot read the cluster lease: " + e.getMessage(), e);
            }
        } finally {
            lastTickSeconds = millisSince(began) / 1000.0;
            if (millisSince(began) > config.renewEvery().toMillis()) {
                // a slow look delays a takeover, a slow renewal risks the lease: say which and how slow
                LOG.warn("cluster: {} the lease took {} ms (it is renewed every {} ms, lasts {} ms)",
                        leading() ? "renewing" : "looking at", millisSince(began), config.renewEvery().toMillis(),
                        config.lease().toMillis());
            }
        }
        return false;
    }

    /** Whether a renewal period passed since {@code nanoTime}, to the nearest look. */
    private boolean due(long nanoTime) {
        return millisSince(nanoTime) + config.lookEvery().toMillis() / 2 >= config.renewEvery().toMillis();
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }

    /** Taking over is done (ledgers rebuilt, tasks re-attached): followers' work is taken from now on. */
    private void becameReady() {
        ready = true;
        lastTakeoverSeconds = millisSince(acquiredAt) / 1000.0;
        LOG.info("cluster: {} leads epoch {}: ready {} ms after it took the lease", serverId, epoch, millisSince(acquiredAt));
    }

    private Connection leaseConnection() throws SQLException {
        if (leaseConnection == null || leaseConnection.isClosed()) {
            leaseConnection = database.openDedicated(incarnation);
            try (Statement s = leaseConnection.createStatement()) {
                // a takeover waits this long at most for the old leader's writes in flight, then tries again
                s.execute("SET lock_timeout = '2s'");
            }
        }
        return leaseConnection;
    }

    private void closeLeaseConnection() {
        if (leaseConnection != null) {
            try {
                leaseConnection.close();
            } catch (SQLException e) {
                // broken anyway
            }
            leaseConnection = null;
        }
    }

    private void heartbeat(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO cluster_servers (id, address, started_at, last_seen_at) VALUES (?, ?, ?, clock_timestamp())
                ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, started_at = EXCLUDED.started_at,
                                               last_seen_at = EXCLUDED.last_seen_at""")) {
            s.setString(1, serverId);
            s.setString(2, address.get());
            s.setTimestamp(3, java.sql.Timestamp.from(startedAt));
            s.executeUpdate();
        }
    }

    private boolean tryAcquire(Connection c) throws SQLException {
        long began = System.nanoTime();
        String holder;
        long seen;
        boolean expired;
        double expiredFor;
        boolean connected;
        // the holder's sessions (each server names its sessions after its run): a leader that died (kill -9, a crash)
        // has none once PostgreSQL saw its connections close, at once on one machine; only a paused or cut-off one
        // keeps them until its lease runs out (or TCP gives up on them)
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     SELECT holder, epoch, expires_at < clock_timestamp(),
                            CASE WHEN expires_at = '-infinity' THEN 0 ELSE extract(epoch FROM clock_timestamp() - expires_at) END,
                            EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = l.holder)
                     FROM cluster_lease l WHERE id = 1""")) {
            rs.next();
            holder = rs.getString(1);
            seen = rs.getLong(2);
            expired = rs.getBoolean(3);
            expiredFor = rs.getDouble(4);
            connected = rs.getBoolean(5);
        }
        // this server's previous run (it crashed: the data directory's lock says no other run of it lives) needs no wait
        boolean mine = holder != null && serverOf(holder).equals(serverId);
        // a holder with no session left is taken over at once: safe as after its lease ran out, since the fence, not
        // the lease's time, keeps an old leader from writing (a leader merely cut off finds its lease taken, and stops)
        if (holder != null && !expired && !mine && connected) {
            return false;
        }
        long terminating = System.nanoTime();
        int ended = 0;
        if (holder != null) {
            // the old leader may only be paused: end its sessions, so no write of it is in flight or can follow
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE application_name = ? AND pid <> pg_backend_pid()""")) {
                s.setString(1, holder);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    ended = rs.getInt(1);
                }
            }
        }
        long fencing = System.nanoTime();
        c.setAutoCommit(false);
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE cluster_lease SET holder = ?, epoch = epoch + 1, acquired_at = clock_timestamp(),
                                         expires_at = clock_timestamp() + make_interval(secs => ?)
                WHERE id = 1 AND epoch = ? RETURNING epoch""")) {
            s.setString(1, incarnation);
            s.setDouble(2, config.lease().toMillis() / 1000.0);
            s.setLong(3, seen);
            long taken;
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    c.rollback();
                    return false; // another server took it first
                }
                taken = rs.getLong(1);
            }
            // in the same transaction: waits for the old leader's fenced writes in flight (its sessions were just ended)
            try (PreparedStatement f = c.prepareStatement("UPDATE cluster_fence SET epoch = ? WHERE id = 1")) {
                f.setLong(1, taken);
                f.executeUpdate();
            }
            c.commit();
            acquiredAt = System.nanoTime();
            renewedAt = acquiredAt;
            epoch = taken;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        acquisitions.incrementAndGet();
        lastExpiredForSeconds = expiredFor;
        // the parts of a takeover's time: how long the lease lay expired before this look (negative: taken early,
        // its holder had no session), ending the old holder's sessions, waiting on the fence for its writes in flight
        LOG.info("cluster: {} took the lease, epoch {} (previous holder {}, {}; its lease expired {} ms before; ended {} of its"
                        + " session(s) in {} ms; the fence took {} ms; {} ms in all)", serverId, epoch, holder == null ? "none" : holder,
                connected ? "connected" : "without a session", Math.round(expiredFor * 1000), ended,
                (fencing - terminating) / 1_000_000, millisSince(fencing), millisSince(began));
        return true;
    }

    private void renew(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE cluster_lease SET expires_at = clock_timestamp() + make_interval(secs => ?)
                WHERE id = 1 AND holder = ? AND epoch = ?""")) {
            s.setDouble(1, config.lease().toMillis() / 1000.0);
            s.setString(2, incarnation);
            s.setLong(3, epoch);
            if (s.executeUpdate() == 1) {
                renewedAt = System.nanoTime();
                return;
            }
        }
        renewalFailures.incrementAndGet();
        LOG.error("cluster: {} lost the lease of epoch {} to another server; stopping", serverId, epoch);
        onLost.run();
    }

    // --- work from followers ---

    /**
     * The longest the leader goes without reading {@code cluster_requests}: each request comes with a
     * notification in its transaction, so this only bounds what a missed one could cost.
     */
    static final Duration REQUESTS_RESCAN = Duration.ofSeconds(30);

    /**
     * The leader reads the followers' requests when a notification says there is one, after its
     * listening connection was (re)opened, when it became ready, and every {@link #REQUESTS_RESCAN}:
     * not on every wake (issue 17: a statement a second on an idle server).
     */
    private void listen() {
        long poll = config.renewEvery().toMillis();
        Connection c = null;
        boolean drainNext = true;
        long drainedAt = System.nanoTime();
        while (!closed.get()) {
            try {
                if (c == null || c.isClosed()) {
                    c = database.openDedicated(incarnation);
                    try (Statement s = c.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                    drainNext = true; // what was requested while nobody listened
                }
                PGNotification[] notes = c.unwrap(PGConnection.class).getNotifications((int) Math.min(poll, 1000));
                if (!leading() || !ready) {
                    drainNext = true;
                    continue;
                }
                boolean drain = drainNext || System.nanoTime() - drainedAt > REQUESTS_RESCAN.toNanos();
                if (notes != null) {
                    for (PGNotification n : notes) {
                        String payload = n.getParameter();
                        if (payload.startsWith("submitted ")) {
                            onWork.accept("submitted", payload.substring("submitted ".length()));
                        } else {
                            drain = true;
                        }
                    }
                }
                if (drain) {
                    drainRequests();
                    drainNext = false;
                    drainedAt = System.nanoTime();
                }
            } catch (SQLException | RuntimeException e) {
                if (closed.get()) {
                    break;
                }
                LOG.debug("cluster: listening failed ({}); again in a moment", e.toString());
                close(c);
                c = null;
                sleep(500);
            }
        }
        close(c);
    }

    /** Carries out the followers' requests, then forgets them (a failure keeps the rest for the next round). */
    private void drainRequests() {
        List<Map<String, Object>> requests = jdbi.withHandle(h -> h.createQuery(
                "SELECT id, kind, target FROM cluster_requests ORDER BY id LIMIT 500").mapToMap().list());
        List<Long> done = new ArrayList<>();
        for (Map<String, Object> r : requests) {
            onWork.accept((String) r.get("kind"), (String) r.get("target"));
            done.add(((Number) r.get("id")).longValue());
        }
        if (!done.isEmpty()) {
            jdbi.useHandle(h -> h.createUpdate("DELETE FROM cluster_requests WHERE id = ANY(:ids)")
                    .bindArray("ids", Long.class, done).execute());
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // broken anyway
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Names every pooled connection after this run of the server and gives it the epoch this
     * server leads in (none while it follows); once per physical connection and epoch.
     */
    private final class Fence implements JdbiPlugin {
        @Override
        public Handle customizeHandle(Handle handle) throws SQLException {
            Connection c = handle.getConnection();
            Object physical = c.unwrap(PGConnection.class);
            long want = epoch;
            synchronized (marked) {
                Long had = marked.get(physical);
                if (had != null && had == want) {
                    return handle;
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT set_config('application_name', ?, false), set_config('srg.epoch', ?, false)")) {
                s.setString(1, incarnation);
                s.setString(2, want == 0 ? "" : Long.toString(want));
                s.execute();
            }
            synchronized (marked) {
                marked.put(physical, want);
            }
            return handle;
        }
    }

    /** For tests: the lease's holder as the database has it. */
    Optional<String> holder() {
        return jdbi.withHandle(h -> h.createQuery("SELECT holder FROM cluster_lease WHERE id = 1").mapTo(String.class).findOne());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        leaseThread.shutdownNow();
        try {
            leaseThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (leading() && leaseConnection != null) {
            // a clean stop hands over at once instead of after the lease runs out
            try (PreparedStatement s = leaseConnection.prepareStatement(
                    "UPDATE cluster_lease SET expires_at = '-infinity' WHERE id = 1 AND holder = ? AND epoch = ?")) {
                s.setString(1, incarnation);
                s.setLong(2, epoch);
                s.executeUpdate();
            } catch (SQLException e) {
                LOG.debug("cluster: could not give the lease back: {}", e.toString());
            }
        }
        closeLeaseConnection();
        if (listener != null) {
            listener.interrupt();
        }
    }
}
