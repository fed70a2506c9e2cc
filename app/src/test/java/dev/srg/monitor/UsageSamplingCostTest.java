package dev.srg.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What one usage sample costs with 1,000 groups, each with an admission ledger (the figure in
 * docs/monitoring.md). Run: {@code ./run-tests -Dtest=UsageSamplingCostTest -Dsrg.test.excludedGroups=none}.
 */
@Tag("stress")
@Tag("database")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class UsageSamplingCostTest {
    static final int GROUPS = 1000;
    static final int SAMPLES = 200;

    @Test
    @DisplayName("SPEC MON-1: sampling 1,000 groups costs a few milliseconds")
    void thousandGroups() {
        try (TestServer server = TestServer.start(cfg -> cfg.withSimulatedClock(true).withMonitor(m -> m
                .withSampleInterval(Duration.ofHours(1)).withAlertEvaluationInterval(Duration.ofHours(1))))) {
            server.sqlLong("""
                    WITH made AS (INSERT INTO resource_groups (id, name, region_id, zone_id, billing_mode, spec_milli_cu, status,
                        created_by, created_at, updated_at)
                    SELECT 'rg-cost' || lpad(n::text, 5, '0'), 'cost-' || n, 'local', 'local-a', 'SUBSCRIPTION', 8000, 'RUNNING',
                        'system', now(), now() FROM generate_series(1, %d) n RETURNING 1)
                    SELECT count(*) FROM made""".formatted(GROUPS));
            var admin = server.admin();
            for (int n = 1; n <= GROUPS; n++) { // reading a group's usage builds its ledger, as a task would
                assertThat(admin.get("resource-groups/rg-cost" + String.format("%05d", n) + "/usage").status()).isEqualTo(200);
            }
            server.runBackgroundJobs(); // warm up
            long wall = System.nanoTime();
            for (int i = 0; i < SAMPLES; i++) {
                server.runBackgroundJobs();
            }
            double perRunMillis = (System.nanoTime() - wall) / 1e6 / SAMPLES;
            long flush = System.nanoTime();
            server.advanceClock(Duration.ofMinutes(1)); // the minute ends: 1,000 points written
            double flushMillis = (System.nanoTime() - flush) / 1e6;
            assertThat(server.sqlLong("SELECT count(*) FROM usage_points WHERE resource_group_id LIKE 'rg-cost%'")).isEqualTo(GROUPS);
            String metrics = admin.get("/metrics").text();
            double sum = value(metrics, "srg_usage_sample_duration_seconds_sum");
            double count = value(metrics, "srg_usage_sample_duration_seconds_count");
            double max = value(metrics, "srg_usage_sample_duration_seconds_max");
            System.out.printf("usage sampling, %d groups: mean %.2f ms per sample (in memory, %d samples), max %.2f ms;"
                            + " one run of all jobs %.2f ms; the minute's write of %d points with all jobs %.1f ms%n",
                    GROUPS, sum / count * 1000, (long) count, max * 1000, perRunMillis, GROUPS, flushMillis);
            assertThat(sum / count * 1000).isLessThan(20);
        }
    }

    private static double value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(m.find()).as(name).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
