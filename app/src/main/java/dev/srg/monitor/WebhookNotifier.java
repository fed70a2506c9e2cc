package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the notification outbox ({@code alert_events} rows in delivery PENDING) to the rules'
 * webhooks: one POST of the stored JSON payload per attempt, 2xx counts as delivered; otherwise it
 * retries with exponential backoff (backoff x 2^(attempt-1), at most an hour) until the maximum of
 * attempts, then marks it FAILED. A row is locked (FOR UPDATE SKIP LOCKED) while it is sent and
 * marked delivered in the same transaction, so two workers never send one transition and a
 * delivered transition is never sent again, also across restarts. The one window left — a crash
 * after the receiver answered and before the commit — resends the same payload with the same
 * {@code eventId}, which receivers use to drop the duplicate.
 *
 * <p>It does not poll (issue 17, an idle server): a new notification wakes it, and after each round it
 * sleeps until the earliest pending retry is due, or at most {@link #RESCAN} (a row another server of
 * a cluster left behind, a simulated clock moved forward); a round looks first (one statement) and
 * locks only when something is due. A round that failed (the database away) runs again after
 * {@link #AFTER_FAILURE}.
 *
 * <p>Closing lets a delivery in flight finish, its row marked in its transaction (at most the webhook's
 * timeout and {@link #CLOSE_GRACE}): interrupted, the receiver could have taken the request while the
 * row stayed PENDING, and the restarted server would send it again.
 */
public final class WebhookNotifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
    private static final Duration MAX_BACKOFF = Duration.ofHours(1);
    /** The longest sleep with nothing due: one statement each time. */
    static final Duration RESCAN = Duration.ofSeconds(10);
    /** The next round after one that failed, or that found a due row locked by another server's worker. */
    static final Duration AFTER_FAILURE = Duration.ofMillis(200);
    /** What closing waits for a delivery in flight beyond the webhook's timeout (its row's update and commit). */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final Jdbi jdbi;
    private final Clock clock;
    private final MonitorConfig config;
    private final AlertRuleManager rules;
    private final SrgMetrics metrics;
    private final WebhookSender sender;
    private final ScheduledThreadPoolExecutor worker = newWorker();
    private final AtomicBoolean woken = new AtomicBoolean();
    /** Set by {@link #close}: the delivery in flight is the last one. */
    private volatile boolean closing;
    // touched only on the worker's thread
    private ScheduledFuture<?> next;

    public WebhookNotifier(Jdbi jdbi, Clock clock, MonitorConfig config, AlertRuleManager rules, SrgMetrics metrics) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.config = requireNonNull(config, "config is null");
        this.rules = requireNonNull(rules, "rules is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.sender = rules.sender(config.webhookTimeout(), "srg-alerts/1");
    }

    /** One thread; a round scheduled for later does not run once it is shut down (closing waits only for one in flight). */
    private static ScheduledThreadPoolExecutor newWorker() {
        ScheduledThreadPoolExecutor worker = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("srg-webhooks").daemon().factory());
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return worker;
    }

    public void start() {
        rules.onNotification(this::wake);
        worker.execute(this::deliverDue);
    }

    /** Delivers what is due now rather than at the next poll. */
    public void wake() {
        if (woken.compareAndSet(false, true)) {
            try {
                worker.execute(() -> {
                    woken.set(false);
                    deliverDue();
                });
            } catch (RejectedExecutionException e) {
                // closing: the notification stays in the outbox for the next start
            }
        }
    }

    /** Sends every notification that is due, one at a time, oldest first; then sleeps until the next is due. */
    void deliverDue() {
        Duration sleep;
        try {
            sleep = untilNextDue();
            if (sleep.isZero()) {
                while (!closing && deliverOne()) {
                    // next
                }
                sleep = untilNextDue();
                if (sleep.isZero()) {
                    sleep = AFTER_FAILURE; // due, but locked: another server's worker is sending it
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("webhook delivery failed (it runs again): {}", e.toString());
            sleep = AFTER_FAILURE;
        }
        if (next != null) {
            next.cancel(false);
        }
        try {
            next = worker.schedule(this::deliverDue, sleep.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** How long until the earliest pending notification is due (none: {@link #RESCAN}). */
    private Duration untilNextDue() {
        Optional<Instant> due = jdbi.withHandle(h -> new AlertRuleDao(h).nextDue());
        if (due.isEmpty()) {
            return RESCAN;
        }
        Duration d = Duration.between(clock.instant(), due.get());
        return d.isNegative() ? Duration.ZERO : d.compareTo(RESCAN) > 0 ? RESCAN : d;
    }

    private boolean deliverOne() {
        return jdbi.inTransaction(h -> {
            AlertRuleDao dao = new AlertRuleDao(h);
            Optional<AlertRuleDao.Due> next = dao.lockNextDue(clock.instant());
            if (next.isEmpty()) {
                return false;
            }
            AlertRuleDao.Due due = next.get();
            int attempt = due.attempts() + 1;
            String error = send(due, attempt);
            Instant now = clock.instant();
            if (error == null) {
                dao.delivered(due.eventId(), now);
                metrics.webhookAttempt(WebhookOutcome.DELIVERED);
            } else if (attempt >= config.webhookMaxAttempts()) {
                dao.failedAttempt(due.eventId(), error + " (gave up after " + attempt + " attempts)", null);
                metrics.webhookAttempt(WebhookOutcome.FAILED);
                LOG.warn("webhook notification {} of rule {} failed {} times; giving up: {}", due.eventId(), due.ruleId(), attempt, error);
            } else {
                dao.failedAttempt(due.eventId(), error, now.plus(backoff(attempt)));
                metrics.webhookAttempt(WebhookOutcome.RETRY);
            }
            return true;
        });
    }

    /** The delay after the {@code attempt}-th failure: backoff, 2x, 4x ... at most an hour. */
    Duration backoff(int attempt) {
        long factor = 1L << Math.min(attempt - 1, 30);
        Duration d = config.webhookBackoff().multipliedBy(factor);
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    private String send(AlertRuleDao.Due due, int attempt) {
        return sender.send(due.webhookUrl(), due.eventId(), attempt, due.payload());
    }

    @Override
    public void close() {
        closing = true;
        worker.shutdown();
        try {
            if (!worker.awaitTermination(config.webhookTimeout().plus(CLOSE_GRACE).toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("a webhook delivery did not finish while closing; it is interrupted (it may be sent again after the restart)");
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        sender.close();
    }
}
