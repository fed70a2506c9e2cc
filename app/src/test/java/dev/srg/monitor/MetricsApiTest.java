package dev.srg.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code GET /metrics}: the Prometheus text format, its names, and who may scrape it. */
@Tag("database")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MetricsApiTest {
    static final String SCRAPE_TOKEN = "scrape-token-for-tests-0123456789";
    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static Path tokenFile;

    @BeforeAll
    static void start() throws IOException {
        tokenFile = Files.createTempFile("srg-scrape", ".token");
        Files.writeString(tokenFile, SCRAPE_TOKEN + "\n");
        server = TestServer.start(cfg -> cfg.withMonitor(m -> m.withMetricsAccess(MonitorConfig.MetricsAccess.TOKEN, tokenFile)));
        fx = new Fixtures(server);
        admin = server.admin();
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        Files.deleteIfExists(tokenFile);
    }

    static String scrape(TestHttp as) {
        var r = as.get("/metrics");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("text/plain");
        return r.text();
    }

    @Test
    @DisplayName("SPEC MON-1 MON-2: /metrics shows per group capacity, used CU, utilization, running and queued by usage type, admission waits and outcomes")
    void groupMetrics() {
        String rg = fx.subscriptionGroup(2).get("id").asString();
        String ws = fx.workspace(rg).get("id").asString();
        Map<String, Object> body = new HashMap<>(Map.of("workspaceId", ws, "type", "SHELL", "script", "sleep 30", "cu", 2));
        String busy = admin.post("instances", body).id();
        body.put("script", "true");
        body.put("cu", 1);
        String waiting = admin.post("instances", body).id();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(admin.get("instances/" + busy).json().path("status").asString()));
        String text = scrape(admin);
        assertThat(text).contains("srg_group_capacity_cu{group=\"" + rg + "\"} 2.0");
        assertThat(text).contains("srg_group_used_cu{group=\"" + rg + "\",usage_type=\"SCHEDULING\"} 2.0");
        assertThat(text).contains("srg_group_utilization{group=\"" + rg + "\"} 1.0");
        assertThat(text).contains("srg_group_running_instances{group=\"" + rg + "\",usage_type=\"SCHEDULING\"} 1.0");
        assertThat(text).contains("srg_group_queued_instances{group=\"" + rg + "\",usage_type=\"SCHEDULING\"} 1.0");
        admin.post("instances/" + busy + "/cancel", null);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "SUCCEEDED".equals(admin.get("instances/" + waiting).json().path("status").asString()));
        String after = scrape(admin);
        assertThat(after).contains("srg_instances_finished_total{status=\"CANCELLED\"}");
        assertThat(after).contains("srg_instances_finished_total{status=\"SUCCEEDED\"}");
        assertThat(after).containsPattern("srg_admission_wait_seconds_bucket\\{usage_type=\"SCHEDULING\",le=\"[0-9.]+\"\\}");
        assertThat(after).containsPattern("srg_admission_wait_seconds_count\\{usage_type=\"SCHEDULING\"\\} [1-9]");
        assertThat(after).contains("srg_group_running_instances{group=\"" + rg + "\",usage_type=\"SCHEDULING\"} 0.0");
        assertThat(after).contains("jvm_memory_used_bytes").contains("process_uptime_seconds")
                .containsPattern("srg_http_server_requests_seconds_count\\{method=\"POST\",route=\"/api/v1/instances\",status=\"201\"\\}")
                .contains("srg_alert_rules{state=\"FIRING\"}");
    }

    @Test
    @DisplayName("SPEC MON-1: a scrape of /metrics parses with a real Prometheus parser (Debian's python3-prometheus-client)")
    void parsesWithPrometheusParser() throws Exception {
        fx.subscriptionGroup(2);
        String python = List.of("/usr/bin/python3", "python3").stream().filter(MetricsApiTest::hasPrometheusClient).findFirst().orElse(null);
        Assumptions.assumeTrue(python != null,
                "skipped: no python3 with prometheus_client; install it with apt-get install python3-prometheus-client (.ci/run does)");
        Path scrape = Files.createTempFile("srg-metrics", ".txt");
        Files.writeString(scrape, scrape(admin));
        Process p = new ProcessBuilder(python, "-c", """
                import sys
                from prometheus_client.parser import text_string_to_metric_families
                names = set()
                for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                    for sample in family.samples:
                        names.add(sample.name)
                print("\\n".join(sorted(names)))
                """, scrape.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out.lines()).contains("srg_group_capacity_cu", "srg_group_used_cu", "srg_group_utilization",
                "srg_group_running_instances", "srg_group_queued_instances", "srg_admission_wait_seconds_bucket",
                "srg_admission_wait_seconds_count", "srg_admission_wait_seconds_sum", "srg_alert_rules",
                "srg_http_server_requests_seconds_count", "jvm_memory_used_bytes");
        Files.delete(scrape);
    }

    private static boolean hasPrometheusClient(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import prometheus_client.parser").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    @DisplayName("SPEC ACC-5: /metrics needs the scrape token or a user holding ResourceGroupFullAccess")
    void access() {
        var anonymous = server.anonymous().get("/metrics");
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.contentType()).startsWith("application/problem+json");
        assertThat(server.as("wrong").get("/metrics").status()).isEqualTo(401);
        assertThat(fx.user().http().get("/metrics").status()).isEqualTo(403);
        assertThat(server.as(SCRAPE_TOKEN).get("/metrics").status()).isEqualTo(200);
        assertThat(fx.user("ResourceGroupFullAccess").http().get("/metrics").status()).isEqualTo(200);
        try (TestServer open = TestServer.start(cfg -> cfg.withMonitor(m -> m.withMetricsAccess(MonitorConfig.MetricsAccess.OPEN, null)))) {
            assertThat(open.anonymous().get("/metrics").status()).isEqualTo(200);
        }
    }
}
