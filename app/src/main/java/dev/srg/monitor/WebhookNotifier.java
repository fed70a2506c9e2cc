package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 */
public final class WebhookNotifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
    private static final Duration MAX_BACKOFF = Duration.ofHours(1);

    private final Jdbi jdbi;
    private final Clock clock;
    private final MonitorConfig config;
    private final AlertRuleManager rules;
    private final SrgMetrics metrics;
    private final WebhookSender sender;
    private final ScheduledExecutorService worker =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-webhooks").daemon().factory());
    private final AtomicBoolean woken = new AtomicBoolean();

    public WebhookNotifier(Jdbi jdbi, Clock clock, MonitorConfig config, AlertRuleManager rules, SrgMetrics metrics) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.config = requireNonNull(config, "config is null");
        this.rules = requireNonNull(rules, "rules is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.sender = new WebhookSender(config.webhookTimeout(), "srg-alerts/1", rules::hostAllowed);
    }

    public void start() {
        rules.onNotification(this::wake);
        worker.scheduleWithFixedDelay(this::deliverDue, 0, 200, TimeUnit.MILLISECONDS);
    }

    /** Delivers what is due now rather than at the next poll. */
    public void wake() {
        if (woken.compareAndSet(false, true)) {
            worker.execute(() -> {
                woken.set(false);
                deliverDue();
            });
        }
    }

    /** Sends every notification that is due, one at a time, oldest first. */
    void deliverDue() {
        try {
            while (deliverOne()) {
                // next
            }
        } catch (RuntimeException e) {
            LOG.warn("webhook delivery failed (it runs again): {}", e.toString());
        }
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
        worker.shutdownNow();
        sender.close();
    }
}
