package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import dev.srg.group.ResourceGroupManager;
import dev.srg.task.AdmissionView;
import dev.srg.time.BackgroundJobs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The monitoring feature, wired: the usage sampler and its rollup, the metrics registry, alert
 * rules and their webhook notifier. Built once by the composition root.
 */
public final class Monitoring implements AutoCloseable {
    static final Duration ROLLUP_EVERY = Duration.ofMinutes(5);

    private final MonitorConfig config;
    private final UsageSampler sampler;
    private final UsageHistory history;
    private final SrgMetrics metrics;
    private final AlertRuleManager alerts;
    private final WebhookNotifier notifier;
    private final Optional<String> scrapeToken;

    private Monitoring(Jdbi jdbi, Clock clock, ResourceGroupManager groups, AdmissionView dispatcher, MonitorConfig config) {
        this.config = requireNonNull(config, "config is null");
        this.sampler = new UsageSampler(jdbi, clock, dispatcher, config);
        this.history = new UsageHistory(jdbi, clock, groups, config);
        this.alerts = new AlertRuleManager(jdbi, clock, groups, sampler, config);
        this.metrics = new SrgMetrics(sampler, alerts::stateCounts);
        this.notifier = new WebhookNotifier(jdbi, clock, config, alerts, metrics);
        this.scrapeToken = readToken(config);
        dispatcher.addListener(sampler);
        dispatcher.addListener(metrics);
    }

    /** Builds the feature and registers its jobs: sampling, rollup and retention, alert evaluation. */
    public static Monitoring start(Jdbi jdbi, Clock clock, ResourceGroupManager groups, AdmissionView dispatcher,
                                   BackgroundJobs jobs, MonitorConfig config) {
        Monitoring m = new Monitoring(jdbi, clock, groups, dispatcher, config);
        jobs.register("usage-sample", config.sampleInterval(), () -> {
            m.sampler.sample();
            m.metrics.sampled(m.sampler.lastSampleNanos());
        });
        jobs.register("usage-rollup", ROLLUP_EVERY, m.sampler::rollUp);
        jobs.register("alert-evaluation", config.alertEvaluationInterval(), m.alerts::evaluate);
        m.notifier.start();
        return m;
    }

    private static Optional<String> readToken(MonitorConfig config) {
        if (config.metricsTokenFile() == null) {
            return Optional.empty();
        }
        try {
            String token = Files.readString(config.metricsTokenFile()).strip();
            return token.isEmpty() ? Optional.empty() : Optional.of(token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the metrics token file " + config.metricsTokenFile(), e);
        }
    }

    public MonitorConfig config() {
        return config;
    }

    public UsageHistory history() {
        return history;
    }

    public SrgMetrics metrics() {
        return metrics;
    }

    public AlertRuleManager alerts() {
        return alerts;
    }

    /** The dedicated scrape token for {@code /metrics}, when one is configured. */
    public Optional<String> scrapeToken() {
        return scrapeToken;
    }

    /** The sampler, for measurements (docs/monitoring.md) and tests. */
    public UsageSampler sampler() {
        return sampler;
    }

    @Override
    public void close() {
        notifier.close();
        metrics.close();
    }
}
