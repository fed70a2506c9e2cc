package dev.srg.monitor;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * How monitoring runs: sampling, retention, alert evaluation, webhook delivery and who may
 * scrape {@code /metrics}. Resolved with the rest of the server configuration (same precedence:
 * flag, {@code SRG_...} variable, config file, default).
 *
 * @param sampleInterval how often (real time) the ledgers are sampled into the current minute
 * @param minuteRetention per-minute points older than this are rolled up into hours and deleted
 * @param hourRetention hourly points older than this are deleted
 * @param alertEvaluationInterval how often (real time) alert rules are evaluated
 * @param webhookBackoff the first retry delay of a failed notification; doubled per attempt
 * @param webhookMaxAttempts attempts before a notification is given up (FAILED)
 * @param webhookTimeout connect + answer timeout of one delivery attempt
 * @param metricsAccess OPEN: anyone may scrape; TOKEN: a bearer token is required (a user
 *     holding ResourceGroupFullAccess, or the dedicated scrape token)
 * @param metricsTokenFile a file holding the dedicated scrape token (TOKEN mode); may be null
 * @param webhookAllowedHosts hosts webhook URLs may name ({@code example.com},
 *     {@code *.example.com}); empty: any host (the operator's choice, see docs/monitoring.md)
 * @param webhookAllowedCidrs address ranges webhooks may reach although they are refused by default
 *     (loopback, private, link-local, ...: {@link WebhookTargets}); empty: public addresses only
 */
public record MonitorConfig(Duration sampleInterval, Duration minuteRetention, Duration hourRetention,
                            Duration alertEvaluationInterval, Duration webhookBackoff, int webhookMaxAttempts,
                            Duration webhookTimeout, MetricsAccess metricsAccess, Path metricsTokenFile,
                            List<String> webhookAllowedHosts, List<String> webhookAllowedCidrs) {
    public enum MetricsAccess { OPEN, TOKEN }

    public static final Set<String> KEYS = Set.of("sample-interval-ms", "usage-minute-retention-days",
            "usage-hour-retention-days", "alert-evaluation-interval-ms", "webhook-backoff-ms", "webhook-max-attempts",
            "webhook-timeout-ms", "metrics-access", "metrics-token-file", "webhook-allowed-hosts",
            "webhook-allowed-cidrs");

    public MonitorConfig {
        requireNonNull(sampleInterval, "sampleInterval is null");
        requireNonNull(minuteRetention, "minuteRetention is null");
        requireNonNull(hourRetention, "hourRetention is null");
        requireNonNull(alertEvaluationInterval, "alertEvaluationInterval is null");
        requireNonNull(webhookBackoff, "webhookBackoff is null");
        requireNonNull(webhookTimeout, "webhookTimeout is null");
        requireNonNull(metricsAccess, "metricsAccess is null");
        webhookAllowedHosts = List.copyOf(webhookAllowedHosts);
        webhookAllowedCidrs = List.copyOf(webhookAllowedCidrs);
        for (String cidr : webhookAllowedCidrs) {
            String problem = WebhookTargets.problem(cidr);
            if (problem != null) {
                throw new IllegalArgumentException("webhook-allowed-cidrs: " + problem);
            }
        }
        if (hourRetention.compareTo(minuteRetention) < 0) {
            throw new IllegalArgumentException("hourly points must be kept at least as long as per-minute ones");
        }
    }

    public static MonitorConfig defaults() {
        return new MonitorConfig(Duration.ofSeconds(5), Duration.ofDays(7), Duration.ofDays(90), Duration.ofSeconds(10),
                Duration.ofSeconds(1), 12, Duration.ofSeconds(5), MetricsAccess.TOKEN, null, List.of(), List.of());
    }

    public MonitorConfig withSampleInterval(Duration d) {
        return new MonitorConfig(d, minuteRetention, hourRetention, alertEvaluationInterval, webhookBackoff,
                webhookMaxAttempts, webhookTimeout, metricsAccess, metricsTokenFile, webhookAllowedHosts, webhookAllowedCidrs);
    }

    public MonitorConfig withRetention(Duration minutes, Duration hours) {
        return new MonitorConfig(sampleInterval, minutes, hours, alertEvaluationInterval, webhookBackoff,
                webhookMaxAttempts, webhookTimeout, metricsAccess, metricsTokenFile, webhookAllowedHosts, webhookAllowedCidrs);
    }

    public MonitorConfig withAlertEvaluationInterval(Duration d) {
        return new MonitorConfig(sampleInterval, minuteRetention, hourRetention, d, webhookBackoff,
                webhookMaxAttempts, webhookTimeout, metricsAccess, metricsTokenFile, webhookAllowedHosts, webhookAllowedCidrs);
    }

    public MonitorConfig withWebhook(Duration backoff, int maxAttempts, List<String> allowedHosts) {
        return new MonitorConfig(sampleInterval, minuteRetention, hourRetention, alertEvaluationInterval, backoff,
                maxAttempts, webhookTimeout, metricsAccess, metricsTokenFile, allowedHosts, webhookAllowedCidrs);
    }

    /** Address ranges webhooks may reach although refused by default (a receiver on this host or the local network). */
    public MonitorConfig withWebhookAllowedCidrs(List<String> cidrs) {
        return new MonitorConfig(sampleInterval, minuteRetention, hourRetention, alertEvaluationInterval, webhookBackoff,
                webhookMaxAttempts, webhookTimeout, metricsAccess, metricsTokenFile, webhookAllowedHosts, cidrs);
    }

    public MonitorConfig withMetricsAccess(MetricsAccess access, Path tokenFile) {
        return new MonitorConfig(sampleInterval, minuteRetention, hourRetention, alertEvaluationInterval, webhookBackoff,
                webhookMaxAttempts, webhookTimeout, access, tokenFile, webhookAllowedHosts, webhookAllowedCidrs);
    }

    /** Reads the monitoring keys through {@code get}, adding every problem to {@code problems}. */
    public static MonitorConfig resolve(Function<String, String> get, List<String> problems) {
        MonitorConfig d = defaults();
        long sample = number(problems, get, "sample-interval-ms", d.sampleInterval.toMillis(), 100, 60_000);
        long minuteDays = number(problems, get, "usage-minute-retention-days", 7, 1, 365);
        long hourDays = number(problems, get, "usage-hour-retention-days", 90, 1, 3650);
        if (hourDays < minuteDays) {
            problems.add("usage-hour-retention-days (" + hourDays + ") must be at least usage-minute-retention-days (" + minuteDays + ")");
            hourDays = minuteDays;
        }
        long evaluation = number(problems, get, "alert-evaluation-interval-ms", d.alertEvaluationInterval.toMillis(), 100, 600_000);
        long backoff = number(problems, get, "webhook-backoff-ms", d.webhookBackoff.toMillis(), 10, 3_600_000);
        long attempts = number(problems, get, "webhook-max-attempts", d.webhookMaxAttempts, 1, 100);
        long timeout = number(problems, get, "webhook-timeout-ms", d.webhookTimeout.toMillis(), 100, 120_000);
        String accessValue = get.apply("metrics-access");
        MetricsAccess access = MetricsAccess.TOKEN;
        if (accessValue != null && !accessValue.isEmpty()) {
            try {
                access = MetricsAccess.valueOf(accessValue.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add("metrics-access must be open or token, got '" + accessValue + "'");
            }
        }
        String tokenFile = get.apply("metrics-token-file");
        Path tokenPath = tokenFile == null || tokenFile.isEmpty() ? null : Path.of(tokenFile);
        if (tokenPath != null && !Files.isReadable(tokenPath)) {
            problems.add("metrics-token-file " + tokenPath + " cannot be read");
        }
        String hosts = get.apply("webhook-allowed-hosts");
        List<String> allowed = hosts == null || hosts.isBlank() ? List.of()
                : Arrays.stream(hosts.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                        .map(s -> s.toLowerCase(Locale.ROOT)).toList();
        String cidrs = get.apply("webhook-allowed-cidrs");
        List<String> allowedCidrs = cidrs == null || cidrs.isBlank() ? List.of()
                : Arrays.stream(cidrs.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (String cidr : allowedCidrs) {
            String problem = WebhookTargets.problem(cidr);
            if (problem != null) {
                problems.add("webhook-allowed-cidrs: " + problem);
            }
        }
        return new MonitorConfig(Duration.ofMillis(sample), Duration.ofDays(minuteDays), Duration.ofDays(hourDays),
                Duration.ofMillis(evaluation), Duration.ofMillis(backoff), (int) attempts, Duration.ofMillis(timeout), access,
                tokenPath, allowed, problems.isEmpty() ? allowedCidrs : List.of());
    }

    private static long number(List<String> problems, Function<String, String> get, String key, long fallback, long min, long max) {
        String value = get.apply(key);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            long v = Long.parseLong(value.strip());
            if (v < min || v > max) {
                problems.add(key + " must be " + min + " to " + max + ", got " + v);
                return fallback;
            }
            return v;
        } catch (NumberFormatException e) {
            problems.add(key + " must be a number, got '" + value + "'");
            return fallback;
        }
    }
}
