package dev.srg.dataservice;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * srg's side of the worker socket: per run of a service, a bounded pool of connections (each one
 * a thread and a database connection in the worker), one request at a time on each, and in front
 * of it an adaptive limit on the calls in flight ({@link CallLimit}: few at once to a database that
 * answers fast, as many as there are connections to one that answers slowly); calls over it wait
 * in order, at most {@value #QUEUED_PER_CONNECTION} per connection, each until its own timeout. A request
 * not answered by its deadline has its connection closed (the worker has cancelled the query on
 * the database by then; closing only stops srg waiting for a worker that cannot answer). The
 * deadlines are checked by one sweep every {@value #SWEEP_MILLIS} ms over the open connections,
 * not a timer per call (a timer per call was a scheduler-queue insert and removal on every call),
 * and only while a call is in flight: a sweep that finds none stops, and the next call starts it
 * again (a volatile read per call; issue 17, an idle server costs next to nothing).
 */
final class WorkerClient implements AutoCloseable {
    /** Connections per CU: the worker's threads and database connections follow. */
    static final int CONNECTIONS_PER_CU = 8;
    /** Calls waiting for the worker, at most, per connection of its pool: one more is {@link Busy}. */
    static final int QUEUED_PER_CONNECTION = 64;
    private static final int CONNECT_TIMEOUT_MILLIS = 2000;

    /** How often answers over their deadline are looked for: a late answer is given up at most this late. */
    static final long SWEEP_MILLIS = 50;

    private final Map<String, Pool> pools = new ConcurrentHashMap<>();
    /** The server-wide bytes of answers in flight. */
    private final AnswerBudget budget;
    /** The longest a call waits for its share of {@link #budget} before it is {@link OverBudget}. */
    static final long BUDGET_WAIT_MILLIS = 2000;

    WorkerClient(AnswerBudget budget) {
        this.budget = java.util.Objects.requireNonNull(budget, "budget is null");
    }
    /**
     * The open connections (a request in flight has a deadline): added when one opens and removed
     * when it closes, not per call (a set's node per call was an allocation on every call).
     */
    private final Set<Conn> open = ConcurrentHashMap.newKeySet();
    private final SocketLinks socketLinks = new SocketLinks();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ds-worker-watchdog");
        t.setDaemon(true);
        return t;
    });

    /**
     * Whether a sweep is scheduled. A call sets its connection in flight and then reads this; a sweep
     * that found nothing in flight clears this and then looks once more: one of the two sees the other
     * (volatile accesses are sequentially consistent), so no call in flight is left without a sweep.
     */
    private final AtomicBoolean sweeping = new AtomicBoolean();

    /** Makes sure a sweep comes within {@value #SWEEP_MILLIS} ms (after a connection was set in flight). */
    private void armSweep() {
        if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
            scheduleSweep();
        }
    }

    private void scheduleSweep() {
        try {
            watchdog.schedule(this::sweep, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /**
     * Closes the connections whose answer is over its deadline (the caller waiting on it gets NoAnswer),
     * and comes again while any call is in flight.
     */
    private void sweep() {
        if (!overdueClosed()) {
            sweeping.set(false);
            if (!overdueClosed() || !sweeping.compareAndSet(false, true)) {
                return; // idle (the next call arms it), or a call armed it meanwhile
            }
        }
        scheduleSweep();
    }

    /** Closes the connections over their deadline; whether any call is (still) in flight. */
    private boolean overdueClosed() {
        long now = System.nanoTime();
        boolean busy = false;
        for (Conn c : open) {
            if (c.inFlight) {
                busy = true;
                if (now - c.deadline > 0) {
                    c.timedOut = true;
                    c.close();
                }
            }
        }
        return busy;
    }

    /** The worker could not be reached (not started yet, restarting, gone). */
    static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** The worker did not answer in time. */
    static final class NoAnswer extends Exception {
        private static final long serialVersionUID = 1L;

        NoAnswer(String message) {
            super(message, null, false, false);
        }
    }

    /** The server's answer budget stayed spent while the call waited for its share: its rows were skipped, not held. */
    static final class OverBudget extends Exception {
        private static final long serialVersionUID = 1L;

        OverBudget(String message) {
            super(message, null, false, false);
        }
    }

    /** Too many calls are waiting for the worker already. */
    static final class Busy extends Exception {
        private static final long serialVersionUID = 1L;

        Busy(String message) {
            super(message, null, false, false);
        }
    }

    /** The worker is of an older srg (it speaks JSON frames): its service is restarted with this srg's worker. */
    static final class Outdated extends Exception {
        private static final long serialVersionUID = 1L;

        Outdated() {
            super("the worker is of an older srg", null, false, false);
        }
    }

    /**
     * The worker's answer: its head, and for an {@code ok} head the rows as JSON (WorkerProtocol);
     * {@code release} gives the rows' share of the answer budget back, once they are written or dropped.
     */
    record Answer(WorkerProtocol.Head head, byte[] data, Runnable release) {
        boolean ok() {
            return head.ok();
        }
    }

    /**
     * Sends {@code request} (with the source's key, and its details on a connection that has not
     * had them yet) to the worker of {@code runId} at {@code endpoint} (TCP: proving {@code secret}), waiting at most
     * {@code waitMillis} for an answer. A call over the pool's limit waits for its turn at most the
     * request's timeout (and {@code waitMillis}); the worker is given what is left of that timeout.
     */
    Answer call(String runId, Supplier<WorkerEndpoint> endpoint, byte[] secret, int maxConnections, WorkerSource source,
                WorkerProtocol.Request request, long waitMillis)
            throws Unreachable, NoAnswer, Outdated, Busy, OverBudget, InterruptedException {
        Pool pool = pools.computeIfAbsent(runId, id -> new Pool(connectable(endpoint.get()), secret, maxConnections, open));
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        try {
            if (!pool.limit.acquire(start + TimeUnit.MILLISECONDS.toNanos(Math.min(waitMillis, request.timeoutMillis())))) {
                throw new NoAnswer("the call waited " + Math.min(waitMillis, request.timeoutMillis())
                        + " ms for its turn at the worker (calls at once: " + pool.limit.limit() + ")");
            }
        } catch (CallLimit.Full e) {
            throw new Busy(e.getMessage());
        }
        Conn conn = null;
        String statement = null; // its answer time counts for the limit
        long sentAt = 0;
        try {
            conn = pool.idle.pollFirst();
            boolean opened = conn == null;
            if (opened) {
                conn = pool.open();
            }
            boolean introduce = !conn.sources.contains(source.key());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            conn.frame.reset();
            request.with(source.key(), introduce ? source.details() : null,
                    (int) Math.max(1, request.timeoutMillis() - waited)).writeTo(conn.frame);
            Conn current = conn;
            current.deadline = deadline;
            current.inFlight = true;
            armSweep();
            WorkerProtocol.Head head = null;
            byte[] data = null;
            AnswerBudget.Lease lease = null;
            boolean overBudget = false;
            try {
                if (conn.secret != null) {
                    WorkerProtocol.prove(conn.in, conn.out, conn.secret);
                    conn.secret = null;
                }
                sentAt = System.nanoTime();
                conn.frame.sendTo(conn.raw);
                byte[] headFrame = WorkerProtocol.read(conn.in);
                if (headFrame != null && headFrame.length > 0 && headFrame[0] == '{') {
                    conn.close();
                    conn = null;
                    throw new Outdated();
                }
                if (headFrame != null) {
                    head = WorkerProtocol.Head.decode(headFrame);
                    if (head.ok()) {
                        // the frame's length first: the budget's share is taken before a byte of the rows is held
                        int length = WorkerProtocol.readLength(conn.in, WorkerProtocol.MAX_ANSWER_BYTES);
                        if (length < 0) {
                            throw new IOException("the worker closed the connection before the rows");
                        }
                        lease = budget.acquire(length, Math.min(BUDGET_WAIT_MILLIS,
                                Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
                        if (lease == null) {
                            conn.in.skipNBytes(length); // the connection stays usable; nothing of the rows is kept
                            overBudget = true;
                        } else {
                            data = WorkerProtocol.readBody(conn.in, length);
                        }
                    }
                }
            } catch (IOException e) {
                if (lease != null) {
                    lease.run();
                }
                conn.close();
                conn = null;
                if (current.timedOut) {
                    throw new NoAnswer("the worker did not answer within " + waitMillis + " ms");
                }
                // a connection the worker closed (it was restarted): the next call opens a new one
                throw new Unreachable("the worker connection broke: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                conn.close(); // the rows may be half read
                conn = null;
                throw e;
            } finally {
                current.inFlight = false;
            }
            if (overBudget) {
                throw new OverBudget("the server's answer budget of " + budget.capacity() + " bytes stayed spent for "
                        + BUDGET_WAIT_MILLIS + " ms");
            }
            if (head == null) {
                conn.close();
                conn = null;
                if (current.timedOut) {
                    throw new NoAnswer("the worker did not answer within " + waitMillis + " ms");
                }
                throw new Unreachable("the worker closed the connection", null);
            }
            if (!opened && !introduce) {
                statement = request.sql();
            }
            if (current.timedOut) {
                // closed by the sweep just as the answer came: the answer is whole, the connection is gone
                conn = null;
            } else if (introduce) {
                // as the worker does: a new key of a data source replaces its older ones on this connection
                String id = WorkerSource.idOf(source.key());
                conn.sources.removeIf(k -> WorkerSource.idOf(k).equals(id));
                conn.sources.add(source.key());
            }
            return new Answer(head, data, lease == null ? AnswerBudget.NONE : lease);
        } finally {
            if (conn != null && pools.get(runId) != pool) {
                conn.close(); // the run was forgotten while this call was in flight: its pool is gone
            } else if (conn != null) {
                pool.idle.offerFirst(conn);
            }
            if (statement != null) {
                pool.limit.release(statement, sentAt, System.nanoTime());
            } else {
                pool.limit.release();
            }
        }
    }

    /** How many calls wait for their turn at the worker of {@code runId}. */
    int waiting(String runId) {
        Pool pool = pools.get(runId);
        return pool == null ? 0 : pool.limit.waiting();
    }

    /** Forgets the connections to a run that ended (a restart has a new run id and socket). */
    void forget(String runId) {
        Pool pool = pools.remove(runId);
        if (pool != null) {
            pool.closeAll();
        }
    }

    /** A local worker's socket by a path {@code connect(2)} takes (a long one through a link); a TCP address as it is. */
    private WorkerEndpoint connectable(WorkerEndpoint endpoint) {
        if (endpoint.socket() == null) {
            return endpoint;
        }
        try {
            return WorkerEndpoint.unix(socketLinks.connectable(endpoint.socket()));
        } catch (UncheckedIOException e) {
            return endpoint; // connecting fails then, and the call says why (the path's length)
        }
    }

    @Override
    public void close() {
        pools.values().forEach(Pool::closeAll);
        pools.clear();
        watchdog.shutdownNow();
        socketLinks.close();
    }

    private static final class Pool {
        final WorkerEndpoint endpoint;
        final byte[] secret;
        final CallLimit limit;
        final LinkedBlockingDeque<Conn> idle = new LinkedBlockingDeque<>();
        final Set<Conn> open;

        Pool(WorkerEndpoint endpoint, byte[] secret, int maxConnections, Set<Conn> open) {
            this.endpoint = endpoint;
            this.secret = secret;
            this.limit = new CallLimit(Math.max(2, maxConnections / CONNECTIONS_PER_CU), maxConnections,
                    maxConnections * QUEUED_PER_CONNECTION);
            this.open = open;
        }

        /** A new connection; over TCP, once srg answered the worker's challenge with the instance's secret. */
        Conn open() throws Unreachable {
            if (endpoint.socket() == null && endpoint.address() == null) {
                throw new Unreachable("the worker has no address yet", null);
            }
            try {
                SocketChannel channel = SocketChannel.open(endpoint.socket() != null ? StandardProtocolFamily.UNIX
                        : StandardProtocolFamily.INET);
                try {
                    if (endpoint.socket() != null) {
                        channel.connect(UnixDomainSocketAddress.of(endpoint.socket()));
                        return new Conn(channel, open);
                    }
                    channel.socket().connect(endpoint.address(), CONNECT_TIMEOUT_MILLIS);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    if (secret == null) {
                        throw new IOException("no secret for this worker");
                    }
                    Conn conn = new Conn(channel, open);
                    conn.secret = secret; // proven by the first call, under its deadline
                    return conn;
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e;
                }
            } catch (IOException e) {
                throw new Unreachable("cannot connect to the worker at " + endpoint + ": " + e.getMessage(), e);
            }
        }

        void closeAll() {
            for (Conn c = idle.pollFirst(); c != null; c = idle.pollFirst()) {
                c.close();
            }
        }
    }

    private static final class Conn {
        /** The sources whose details this connection's worker side has (WorkerProtocol). */
        final Set<String> sources = new HashSet<>();
        /** When the request in flight is given up (System.nanoTime()); closed by the sweep then. */
        volatile long deadline;
        /** A request is in flight: {@link #deadline} applies. */
        volatile boolean inFlight;
        volatile boolean timedOut;
        /** Over TCP until srg answered the worker's challenge: the instance's secret. */
        byte[] secret;
        final SocketChannel channel;
        final DataInputStream in;
        final DataOutputStream out;
        /** The socket unbuffered: a request goes out in one write from {@link #frame}. */
        final OutputStream raw;
        /** The request being sent, in an array kept for the connection's life. */
        final WorkerProtocol.Frame frame = new WorkerProtocol.Frame(512);

        private final Set<Conn> open;

        Conn(SocketChannel channel, Set<Conn> open) {
            this.channel = channel;
            this.open = open;
            open.add(this);
            this.raw = Channels.newOutputStream(channel);
            this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024));
            this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 16 * 1024));
        }

        void close() {
            open.remove(this);
            try {
                channel.close();
            } catch (IOException e) {
                // already broken
            }
        }
    }
}
