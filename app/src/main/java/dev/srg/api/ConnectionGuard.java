package dev.srg.api;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The head deadline of {@link HttpLimits}: Jetty's idle timeout restarts at every byte, so a client
 * sending one header byte a second would hold its connection (and a descriptor) for ever. This
 * handler, first in the chain, knows when a request's head has arrived (the request reaches it)
 * and when its answer is done; a connection with no request being handled that has not delivered
 * a whole head for {@code headTimeout} since it opened or since its last answer is closed.
 * A request being handled (a long answer, a log followed) is never cut by it.
 */
final class ConnectionGuard extends Handler.Wrapper implements Connection.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final long timeoutNanos;
    private final long sweepMillis;
    private final Map<Connection, State> open = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    /** Per connection: requests being handled now, and since when it has had none. */
    private static final class State {
        final AtomicInteger busy = new AtomicInteger();
        volatile long idleSince = System.nanoTime();
    }

    ConnectionGuard(Handler inner, java.time.Duration headTimeout) {
        super(inner);
        requireNonNull(headTimeout, "headTimeout is null");
        this.timeoutNanos = headTimeout.toNanos();
        // swept four times per deadline, at most once a second: a connection is closed within 1.25× the deadline
        this.sweepMillis = Math.max(50, Math.min(1000, headTimeout.toMillis() / 4));
    }

    @Override
    public void onOpened(Connection connection) {
        open.put(connection, new State());
    }

    @Override
    public void onClosed(Connection connection) {
        open.remove(connection);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        State state = open.get(request.getConnectionMetaData().getConnection());
        if (state == null) {
            return super.handle(request, response, callback);
        }
        state.busy.incrementAndGet();
        Callback done = new Callback() {
            @Override
            public void succeeded() {
                release(state);
                callback.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                release(state);
                callback.failed(x);
            }

            @Override
            public InvocationType getInvocationType() {
                return callback.getInvocationType();
            }
        };
        boolean handled;
        try {
            handled = super.handle(request, response, done);
        } catch (Throwable e) {
            release(state);
            throw e;
        }
        if (!handled) {
            release(state); // the server answers 404 with its own callback: ours is never completed
        }
        return handled;
    }

    private static void release(State state) {
        state.idleSince = System.nanoTime();
        state.busy.decrementAndGet();
    }

    /** Closes every connection that is past its head deadline. */
    void sweep() {
        long now = System.nanoTime();
        open.forEach((connection, state) -> {
            if (state.busy.get() == 0 && now - state.idleSince > timeoutNanos) {
                LOG.debug("closing {}: no whole request head within {} ms", connection.getEndPoint().getRemoteSocketAddress(),
                        TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                open.remove(connection);
                connection.getEndPoint().close();
            }
        });
    }

    /** The connections watched now (for tests). */
    int watched() {
        return open.size();
    }

    @Override
    protected void doStart() throws Exception {
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "srg-http-head-deadline");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.warn("the HTTP head deadline's sweep failed", e);
            }
        }, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        if (sweeper != null) {
            sweeper.shutdownNow();
            sweeper = null;
        }
    }
}
