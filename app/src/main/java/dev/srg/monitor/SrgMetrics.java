package dev.srg.monitor;

import static dev.srg.monitor.GroupState.ALL;
import static dev.srg.monitor.GroupState.TYPES;
import static java.util.Objects.requireNonNull;

import dev.srg.admission.UsageType;
import dev.srg.task.DispatchListener;
import dev.srg.task.InstanceStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} shows, in the Prometheus text format: per group capacity, used CU,
 * utilization, running and queued by usage type (read from the ledgers at scrape time, so never
 * stale), the admission-wait histogram, instance outcomes, HTTP requests, alert states, webhook
 * deliveries, the sampler's own cost, and the usual JVM and process figures. Names are listed in
 * docs/monitoring.md.
 */
public final class SrgMetrics implements DispatchListener, AutoCloseable {
    /** Histogram buckets of the admission wait, in seconds. */
    static final double[] WAIT_BUCKETS = {0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final UsageSampler sampler;
    private final Supplier<Map<String, Long>> alertStates;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final MultiGauge capacity;
    private final MultiGauge used;
    private final MultiGauge utilization;
    private final MultiGauge running;
    private final MultiGauge queued;
    private final MultiGauge alerts;
    private final Map<UsageType, Timer> waits = new EnumMap<>(UsageType.class);
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    /**
     * The request timers, held: building and registering one per request (its tags sorted, its id
     * looked up in the registry) was 3 % of the server's CPU per DataService call (docs/benchmarks.md).
     */
    private final Map<HttpKey, Timer> httpTimers = new ConcurrentHashMap<>();

    private record HttpKey(String method, String route, int status) {}
    private final Timer sampling;

    /** The registry, for features that keep their own meters (the cluster's, DataService's per-API calls and latency). */
    public io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    public SrgMetrics(UsageSampler sampler, Supplier<Map<String, Long>> alertStates) {
        this.sampler = requireNonNull(sampler, "sampler is null");
        this.alertStates = requireNonNull(alertStates, "alertStates is null");
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        capacity = MultiGauge.builder("srg.group.capacity.cu").description("Capacity of the group in CU (spec or pay-as-you-go maximum)").register(registry);
        used = MultiGauge.builder("srg.group.used.cu").description("CU used by running tasks, per usage type").register(registry);
        utilization = MultiGauge.builder("srg.group.utilization").description("Used CU / capacity (0..1; above 1 after a scale-in)").register(registry);
        running = MultiGauge.builder("srg.group.running.instances").description("Running instances per usage type").register(registry);
        queued = MultiGauge.builder("srg.group.queued.instances").description("Queued (pending) instances per usage type").register(registry);
        alerts = MultiGauge.builder("srg.alert.rules").description("Alert rules per state").register(registry);
        for (UsageType type : TYPES) {
            waits.put(type, Timer.builder("srg.admission.wait").description("Time from submit to admission, per usage type")
                    .tag("usage_type", type.name()).serviceLevelObjectives(buckets()).register(registry));
        }
        sampling = Timer.builder("srg.usage.sample.duration").description("Time one usage sample takes (in memory, all groups)")
                .register(registry);
    }

    private static Duration[] buckets() {
        Duration[] d = new Duration[WAIT_BUCKETS.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Duration.ofMillis((long) (WAIT_BUCKETS[i] * 1000));
        }
        return d;
    }

    @Override
    public void admitted(String groupId, UsageType type, long waitMillis) {
        waits.get(type).record(waitMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void finished(String groupId, InstanceStatus status) {
        counter("srg.instances.finished", "Instances that ended, per final status", "status", status.name()).increment();
    }

    /** One webhook delivery attempt and how it went. */
    void webhookAttempt(WebhookOutcome outcome) {
        counter("srg.webhook.deliveries", "Webhook delivery attempts per outcome", "outcome", outcome.name()).increment();
    }

    /** One HTTP request answered (from the server's request log). */
    public void httpRequest(String method, String route, int status, float millis) {
        HttpKey key = new HttpKey(method, route, status);
        Timer timer = httpTimers.get(key); // before computeIfAbsent: its lambda, capturing, was made on every request
        if (timer == null) {
            timer = httpTimers.computeIfAbsent(key, k -> Timer.builder("srg.http.server.requests")
                    .description("HTTP requests per method, route template and status")
                    .tags("method", method, "route", route, "status", Integer.toString(status)).register(registry));
        }
        timer.record((long) (millis * 1000), TimeUnit.MICROSECONDS);
    }

    /** Records how long a usage sample took (the sampler's in-memory pass). */
    void sampled(long nanos) {
        sampling.record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter counter(String name, String description, String tag, String value) {
        return counters.computeIfAbsent(name + "|" + value,
                k -> Counter.builder(name).description(description).tag(tag, value).register(registry));
    }

    /** The Prometheus text exposition, with the group gauges read now. */
    public String scrape() {
        refresh();
        return registry.scrape();
    }

    private void refresh() {
        List<MultiGauge.Row<?>> cap = new ArrayList<>();
        List<MultiGauge.Row<?>> use = new ArrayList<>();
        List<MultiGauge.Row<?>> util = new ArrayList<>();
        List<MultiGauge.Row<?>> run = new ArrayList<>();
        List<MultiGauge.Row<?>> que = new ArrayList<>();
        for (GroupState s : sampler.read(false).values()) {
            Tags group = Tags.of("group", s.groupId);
            cap.add(row(group, s.capacityMilliCu / 1000.0));
            util.add(row(group, s.utilization()));
            for (UsageType type : TYPES) {
                int u = type.ordinal();
                Tags tags = group.and("usage_type", type.name());
                use.add(row(tags, s.usedMilliCu[u] / 1000.0));
                run.add(row(tags, s.running[u]));
                que.add(row(tags, s.queued[u]));
            }
        }
        capacity.register(cap, true);
        used.register(use, true);
        utilization.register(util, true);
        running.register(run, true);
        queued.register(que, true);
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        alertStates.get().forEach((state, n) -> states.add(row(Tags.of("state", state), n)));
        alerts.register(states, true);
    }

    /** A row holding its value strongly (a plain number would be weakly held and could vanish). */
    private static MultiGauge.Row<?> row(Tags tags, double value) {
        return MultiGauge.Row.of(tags, () -> value);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
