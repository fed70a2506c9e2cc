package dev.srg.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code srg server --simulated-clock --prices FILE --convert-seconds N} as an operator starts it. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SimulatedClockServerTest {
    @Test
    @DisplayName("an operator rehearses 40 days: one advance freezes and expires; prices come from the file; a restart keeps the time")
    void rehearseAMonth() throws Exception {
        Path dir = TestDatabases.dataDirectory("srg-clock");
        Path prices = Files.writeString(dir.resolve("prices.properties"), "currency=EUR\nsubscription-cu-month=10\n");
        Instant moved;
        String payg;
        String sub;
        try (ServerProcess server = ServerProcess.start(dir, "--simulated-clock", "--provisioning-delay-ms", "0",
                "--prices", prices.toString(), "--convert-seconds", "5")) {
            TestHttp http = server.http(dir);
            String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.0.0.0/16")).id();
            String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.0.1.0/24")).id();
            sub = http.post("resource-groups", Map.of("name", "s", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 2, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "vpcId", vpc, "vswitchId", vsw)).id();
            payg = http.post("resource-groups", Map.of("name", "p", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "PAY_AS_YOU_GO", "maxCu", 4, "vpcId", vpc, "vswitchId", vsw)).id();
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                    http.get("resource-groups/" + payg).json().get("status").asString().equals("RUNNING")
                            && http.get("resource-groups/" + sub).json().get("status").asString().equals("RUNNING"));
            var order = http.get("orders?resourceGroupId=" + sub).json().get("items").get(0);
            assertThat(order.get("amount").decimalValue()).isEqualByComparingTo("20");
            assertThat(order.get("currency").asString()).isEqualTo("EUR");

            var r = http.post("clock/advance", Map.of("seconds", 40L * 24 * 3600));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            moved = Instant.parse(r.json().get("now").asString());
            assertThat(http.get("resource-groups/" + payg).json().get("status").asString()).isEqualTo("FROZEN");
            assertThat(http.get("resource-groups/" + sub).json().get("status").asString()).isEqualTo("EXPIRED");
            // the configured conversion time
            assertThat(http.post("resource-groups/" + payg + "/enable", null).status()).isEqualTo(200);
            var c = http.post("resource-groups/" + payg + "/convert", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1)));
            assertThat(c.json().get("resourceGroup").get("status").asString()).isEqualTo("CONVERTING");
            http.post("clock/advance", Map.of("seconds", 5));
            assertThat(http.get("resource-groups/" + payg).json().get("status").asString()).isEqualTo("RUNNING");
        }
        try (ServerProcess again = ServerProcess.start(dir, "--simulated-clock")) {
            TestHttp http = again.http(dir);
            Instant now = Instant.parse(http.get("clock").json().get("now").asString());
            assertThat(now).isAfter(moved);
            assertThat(Duration.between(Instant.now(), now).toDays()).isEqualTo(40);
            assertThat(http.get("resource-groups/" + sub).json().get("status").asString()).isEqualTo("EXPIRED");
        }
    }

    @Test
    @DisplayName("a bad prices file and bad durations are all reported at start-up")
    void badConfiguration() throws Exception {
        Path dir = Files.createTempDirectory("srg-clock-bad");
        Path prices = Files.writeString(dir.resolve("prices.properties"), "pay-as-you-go-cu-hour=cheap\n");
        var r = ServerProcess.runExpectingFailure(dir, "--prices", prices.toString(), "--convert-seconds", "soon",
                "--retention-days", "-1");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("pay-as-you-go-cu-hour").contains("convert-seconds").contains("retention-days");
    }
}
