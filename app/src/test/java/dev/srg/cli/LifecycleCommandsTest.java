package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import dev.srg.testing.SimulatedClock;
import dev.srg.testing.TestCli;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code srg rg scale|convert|renew|enable|auto-renew|delete}, {@code srg order}, {@code srg bill}, {@code srg clock}. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SimulatedClock
class LifecycleCommandsTest extends ServerTestBase {
    static TestCli.Run srg(String... args) {
        return TestCli.asAdmin(server, args);
    }

    static TestCli.Run ok(String... args) {
        var r = srg(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    static String status(String id) {
        return ok("rg", "get", id, "-o", "json").json().get("status").asString();
    }

    @Test
    @DisplayName("SPEC RG-5 RG-8 RG-9: scale, renew, auto-renew, orders and the clock from the CLI")
    void subscriptionLifecycle() {
        String id = fx.subscriptionGroup(2).get("id").asString();
        var scaled = ok("rg", "scale", id, "--spec-cu", "4");
        assertThat(scaled.out()).contains("SCALING").contains("2 -> 4").contains("SCALE_OUT").contains("USD");
        var clock = ok("clock", "advance", "1m");
        assertThat(clock.out()).contains("NOW").contains("OFFSET-SECONDS");
        assertThat(ok("rg", "get", id).out()).contains("RUNNING");
        assertThat(ok("rg", "auto-renew", id, "on", "-o", "json").json().get("autoRenew").asBoolean()).isTrue();
        assertThat(ok("rg", "auto-renew", id, "off", "-o", "json").json().get("autoRenew").asBoolean()).isFalse();

        Instant expires = Instant.parse(ok("rg", "get", id, "-o", "json").json().get("expiresAt").asString());
        Instant now = Instant.parse(ok("clock", "now", "-o", "json").json().get("now").asString());
        ok("clock", "advance", (Duration.between(now, expires).toSeconds() + 60) + "s");
        assertThat(status(id)).isEqualTo("EXPIRED");
        // ages are the server's: on its simulated clock the group expired a minute ago, though on this machine's it is a month off
        assertThat(ok("rg", "get", id).out()).containsPattern("EXPIRES\\s+\\S+ \\((\\d+s|1m) ago\\)");
        var renewed = ok("rg", "renew", id, "--cycle", "1month");
        assertThat(renewed.out()).contains("RUNNING").contains("RENEW").contains("200.00 USD");

        var orders = ok("order", "list", "--rg", id);
        assertThat(orders.out()).contains("CREATE").contains("SCALE_OUT").contains("RENEW").contains("2 -> 4");
        // a scale-out's prorated amount has six decimals: the table shows it in cents, as it is paid, the JSON exactly
        var exact = ok("order", "list", "--rg", id, "--type", "scale_out", "-o", "json").json().get(0).get("amount").decimalValue();
        assertThat(orders.out()).contains(exact.setScale(2, java.math.RoundingMode.HALF_UP).toPlainString() + " USD");
        assertThat(orders.out()).doesNotContainPattern("\\d\\.\\d{3,} USD");
        String orderId = ok("order", "list", "--rg", id, "--type", "renew", "-o", "json").json().get(0).get("id").asString();
        assertThat(ok("order", "get", orderId).out()).contains("PERIOD-END").contains("admin");

        var refused = srg("rg", "scale", id, "--spec-cu", "2.5");
        assertThat(refused.exit()).isEqualTo(3);
        assertThat(refused.err()).contains("InvalidParameter.Spec");
        assertThat(ok("rg", "delete", id, "--yes").out()).contains("Releasing");
        assertThat(status(id)).isEqualTo("RELEASED");
    }

    @Test
    @DisplayName("SPEC RG-6 RG-7 RG-9: convert, freeze and enable, bills from the CLI")
    void payAsYouGoLifecycle() {
        var group = fx.payAsYouGoGroup(4);
        String id = group.get("id").asString();
        String ws = fx.workspace(id).get("id").asString();
        var run = ok("run", "-w", ws, "--cu", "2", "--follow", "sleep 0.5");
        assertThat(run.exit()).isZero();
        ok("clock", "advance", "7d");
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(id).equals("FROZEN"));
        assertThat(ok("rg", "list", "--status", "frozen").out()).contains(id);
        var frozen = srg("run", "-w", ws, "true");
        assertThat(frozen.exit()).isEqualTo(3);
        assertThat(frozen.err()).contains("enable it first: srg rg enable " + id).contains("(ResourceGroup.Frozen, --rg)");
        assertThat(ok("rg", "enable", id).out()).contains("RUNNING");

        var bills = ok("bill", "list", "--rg", id);
        assertThat(bills.out()).contains("CU-SECONDS").contains(group.get("name").asString()); // the group by its name
        var summary = ok("bill", "summary", "--rg", id, "-o", "json").json();
        assertThat(summary.get("cuSeconds").decimalValue()).isGreaterThanOrEqualTo(java.math.BigDecimal.ONE);

        var converted = ok("rg", "convert", id, "--cycle", "1month", "--spec-cu", "2");
        assertThat(converted.out()).contains("CONVERTING").contains("CONVERT").contains("100.00 USD");
        ok("clock", "advance", "61s");
        assertThat(status(id)).isEqualTo("RUNNING");
        var again = srg("rg", "convert", id, "--cycle", "1month");
        assertThat(again.exit()).isEqualTo(3);
        assertThat(again.err()).contains("ResourceGroup.Convert.ToPayAsYouGoNotSupported");
    }
}
