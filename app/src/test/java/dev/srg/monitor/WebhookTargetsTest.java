package dev.srg.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Webhooks cannot reach the server's own side (SSRF; docs/monitoring.md, "Where webhooks may go"):
 * refused at create with the field and the rule, and at every delivery, on real sockets.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WebhookTargetsTest {
    private static TestServer server;
    private static String group;

    @BeforeAll
    static void start() {
        server = TestServer.start(); // the defaults: no allow-list, no allowed ranges
        group = new Fixtures(server).payAsYouGoGroup(2).get("id").asString();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @DisplayName("SPEC MON-4: a rule's webhook naming loopback, link-local (metadata), private, the embedded PostgreSQL or srg's own API"
            + " is refused with 400, the field and the rule, and nothing is made; a public address is accepted")
    void refusedAtCreate() {
        String port = server.url().substring(server.url().lastIndexOf(':') + 1);
        int before = server.admin().get("alert-rules").json().get("items").size();
        for (String url : List.of(
                "http://127.0.0.1:" + port + "/api/v1/users",              // srg's own admin API
                "http://localhost:5432/",                                    // a name for loopback: the database's port
                "http://169.254.169.254/latest/meta-data/iam/",              // the cloud metadata service
                "http://[fd00:ec2::254]/latest/meta-data/",                  // its IPv6 address
                "http://[::1]:" + port + "/",
                "http://[::ffff:127.0.0.1]:" + port + "/",                   // IPv4-mapped loopback
                "http://0.0.0.0:" + port + "/",
                "http://10.1.2.3/internal",
                "https://192.168.1.1/")) {
            var r = server.admin().post("alert-rules", AlertRuleApiTest.rule(group, "CU_UTILIZATION", "GT", 0.5, 0, url));
            assertThat(r.status()).as(url + ": " + r).isEqualTo(400);
            assertThat(r.field()).as(url).isEqualTo("webhookUrl");
            assertThat(r.code()).as(url + ": " + r).isEqualTo("InvalidParameter.WebhookUrl.PrivateAddress");
            assertThat(r.json().get("detail").asString()).contains("webhook-allowed-cidrs");
        }
        assertThat(server.admin().get("alert-rules").json().get("items").size()).isEqualTo(before);
        var ok = server.admin().post("alert-rules", AlertRuleApiTest.rule(group, "CU_UTILIZATION", "GT", 0.5, 0, "http://192.0.2.1:9/hook"));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        // the refusal is a change refused: audited with its code
        var audit = server.admin().get("audit-events").json().toString();
        assertThat(audit).contains("InvalidParameter.WebhookUrl.PrivateAddress");
    }

    @Test
    @DisplayName("at delivery: a refused address is not connected to (a rule stored before, or a name that now resolves there);"
            + " an operator's allowed range is; a redirect to the metadata service is not followed")
    void refusedAtDelivery() throws Exception {
        List<String> hits = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            hits.add(exchange.getRequestURI().getPath() + " " + exchange.getRequestHeaders().getFirst("Host"));
            exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestURI().getPath().equals("/moved")) {
                exchange.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
                exchange.sendResponseHeaders(302, -1);
            } else {
                exchange.sendResponseHeaders(204, -1);
            }
            exchange.close();
        });
        receiver.start();
        try {
            int port = receiver.getAddress().getPort();
            WebhookSender strict = new WebhookSender(Duration.ofSeconds(5), "test", h -> true, new WebhookTargets(List.of()));
            String error = strict.send("http://127.0.0.1:" + port + "/hook", "e-1", 1, "{}");
            assertThat(error).contains("not sent").contains("127.0.0.1 is a loopback address (127.0.0.0/8)");
            // a name is resolved and checked as it is sent (what a rebinding name resolves to then is what counts)
            assertThat(strict.send("http://localhost:" + port + "/hook", "e-2", 1, "{}"))
                    .contains("not sent").contains("localhost resolves to");
            assertThat(hits).isEmpty();

            WebhookSender allowing = new WebhookSender(Duration.ofSeconds(5), "test", h -> true,
                    new WebhookTargets(List.of("127.0.0.0/8", "::1/128")));
            assertThat(allowing.send("http://127.0.0.1:" + port + "/hook?x=1", "e-3", 1, "{\"a\":1}")).isNull();
            assertThat(hits).containsExactly("/hook 127.0.0.1:" + port);
            String moved = allowing.send("http://127.0.0.1:" + port + "/moved", "e-4", 1, "{}");
            assertThat(moved).isEqualTo("the receiver answered HTTP 302 (2xx expected; redirects are not followed)");
            assertThat(hits).hasSize(2);
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    @DisplayName("the refused ranges, IPv4 inside IPv6 included; an allowed range lets its addresses through")
    void ranges() throws Exception {
        WebhookTargets strict = new WebhookTargets(List.of());
        for (String a : List.of("127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
                "fd00:ec2::254", "fc00::1", "ff02::1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::")) {
            assertThat(strict.refusal(InetAddress.getByName(a))).as(a).isNotNull();
        }
        for (String a : List.of("8.8.8.8", "192.0.2.1", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "2002:808:808::")) {
            assertThat(strict.refusal(InetAddress.getByName(a))).as(a).isNull();
        }
        WebhookTargets lan = new WebhookTargets(List.of("10.20.0.0/16", "fd12::/16"));
        assertThat(lan.refusal(InetAddress.getByName("10.20.3.4"))).isNull();
        assertThat(lan.refusal(InetAddress.getByName("10.21.3.4"))).isNotNull();
        assertThat(lan.refusal(InetAddress.getByName("fd12::9"))).isNull();
        assertThat(WebhookTargets.problem("10.0.0.0/33")).isNotNull();
        assertThat(WebhookTargets.problem("example.com/8")).isNotNull();
        assertThat(WebhookTargets.problem("fd00::/8")).isNull();
    }
}
