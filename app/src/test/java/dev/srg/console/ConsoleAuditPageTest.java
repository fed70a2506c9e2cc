package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The audit page reads its default window on the server's clock, the one its entries are stamped with. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConsoleAuditPageTest {
    @Test
    @DisplayName("SPEC ACC-5: on a simulated clock moved two days, the audit page's last day leaves out the older change")
    void lastDayOnTheServerClock() {
        try (TestServer server = TestServer.start(cfg -> cfg.withSimulatedClock(true))) {
            var user = server.admin().post("users", Map.of("name", "auditor", "policies", List.of("AdministratorAccess"),
                    "password", "correct horse battery"));
            assertThat(user.status()).as(user.toString()).isEqualTo(201);
            String before = server.admin().post("vpcs", Map.of("name", "before", "regionId", "local", "cidr", "10.210.0.0/16")).id();
            server.advanceClock(Duration.ofDays(2));
            String after = server.admin().post("vpcs", Map.of("name", "after", "regionId", "local", "cidr", "10.211.0.0/16")).id();
            var refused = server.admin().post("vpcs", Map.of("name", "bad", "regionId", "local", "cidr", "not-a-cidr"));
            assertThat(refused.status()).isEqualTo(400);

            ConsoleHttpTest.Browser b = new ConsoleHttpTest.Browser(server.url());
            assertThat(b.signIn("auditor", "correct horse battery").statusCode()).isEqualTo(303);
            var page = b.get("/console/audit");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains(after).doesNotContain(before)
                    .contains("class=\"badge ok\">201<").contains("class=\"badge bad\">400 " + refused.code() + "<");
            // the older entry is still there for a window that asks for it
            assertThat(b.get("/console/audit?from=2000-01-01T00:00:00Z").body()).contains(before).contains(after);
        }
    }
}
