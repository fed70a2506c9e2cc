package dev.srg.dataservice;

import dev.srg.json.Json;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/**
 * srg's side of the worker socket: per run of a service, a bounded pool of connections (each one
 * a thread and a database connection in the worker), one request at a time on each. A request
 * not answered by its deadline has its connection closed (the worker has cancelled the query on
 * the database by then; closing only stops srg waiting for a worker that cannot answer).
 */
final class WorkerClient implements AutoCloseable {
    /** Connections per CU: the worker's threads and database connections follow. */
    static final int CONNECTIONS_PER_CU = 8;

    private final Map<String, Pool> pools = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ds-worker-watchdog");
        t.setDaemon(true);
        return t;
    });

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

    /** The worker's answer: its head, and for an {@code ok} head the rows as JSON (WorkerProtocol). */
    record Answer(JsonNode head, byte[] data) {
        boolean ok() {
            return head.path("ok").asBoolean();
        }
    }

    /**
     * Sends {@code request} (with the source's key, and its details on a connection that has not
     * had them yet) to the worker of {@code runId} listening on {@code socket}, waiting at most
     * {@code waitMillis} for an answer (and for a free connection).
     */
    Answer call(String runId, Path socket, int maxConnections, WorkerSource source, Map<String, Object> request, long waitMillis)
            throws Unreachable, NoAnswer, InterruptedException {
        Pool pool = pools.computeIfAbsent(runId, id -> new Pool(socket, maxConnections));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        if (!pool.permits.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
            throw new NoAnswer("every connection to the worker stayed busy for " + waitMillis + " ms");
        }
        Conn conn = null;
        try {
            conn = pool.idle.pollFirst();
            if (conn == null) {
                conn = pool.open();
            }
            Map<String, Object> frame = new LinkedHashMap<>(request);
            frame.put("ds", source.key());
            boolean introduce = !conn.sources.contains(source.key());
            if (introduce) {
                frame.put("conn", source.details());
            }
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            Conn current = conn;
            ScheduledFuture<?> timer = watchdog.schedule(current::close, left, TimeUnit.MILLISECONDS);
            JsonNode head = null;
            byte[] data = null;
            try {
                WorkerProtocol.write(conn.out, Json.MAPPER.writeValueAsBytes(frame));
                byte[] headFrame = WorkerProtocol.read(conn.in);
                if (headFrame != null) {
                    head = Json.MAPPER.readTree(headFrame);
                    if (head.path("ok").asBoolean()) {
                        data = WorkerProtocol.read(conn.in);
                        if (data == null) {
                            throw new IOException("the worker closed the connection before the rows");
                        }
                    }
                }
            } catch (IOException e) {
                conn.close();
                conn = null;
                if (timer.isDone()) {
                    throw new NoAnswer("the worker did not answer within " + waitMillis + " ms");
                }
                // a connection the worker closed (it was restarted): the next call opens a new one
                throw new Unreachable("the worker connection broke: " + e.getMessage(), e);
            } finally {
                timer.cancel(false);
            }
            if (head == null) {
                conn.close();
                conn = null;
                throw new Unreachable("the worker closed the connection", null);
            }
            if (introduce) {
                // as the worker does: a new key of a data source replaces its older ones on this connection
                String id = WorkerSource.idOf(source.key());
                conn.sources.removeIf(k -> WorkerSource.idOf(k).equals(id));
                conn.sources.add(source.key());
            }
            return new Answer(head, data);
        } finally {
            if (conn != null) {
                pool.idle.offerFirst(conn);
            }
            pool.permits.release();
        }
    }

    /** Forgets the connections to a run that ended (a restart has a new run id and socket). */
    void forget(String runId) {
        Pool pool = pools.remove(runId);
        if (pool != null) {
            pool.closeAll();
        }
    }

    @Override
    public void close() {
        pools.values().forEach(Pool::closeAll);
        pools.clear();
        watchdog.shutdownNow();
    }

    private static final class Pool {
        final Path socket;
        final Semaphore permits;
        final LinkedBlockingDeque<Conn> idle = new LinkedBlockingDeque<>();

        Pool(Path socket, int maxConnections) {
            this.socket = socket;
            this.permits = new Semaphore(maxConnections);
        }

        Conn open() throws Unreachable {
            try {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                } catch (IOException e) {
                    channel.close();
                    throw e;
                }
                return new Conn(channel);
            } catch (IOException e) {
                throw new Unreachable("cannot connect to the worker at " + socket.getFileName() + ": " + e.getMessage(), e);
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
        final SocketChannel channel;
        final DataInputStream in;
        final DataOutputStream out;

        Conn(SocketChannel channel) {
            this.channel = channel;
            this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024));
            this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 16 * 1024));
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // already broken
            }
        }
    }
}
