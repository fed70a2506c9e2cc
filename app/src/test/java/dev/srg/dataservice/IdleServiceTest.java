package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A service with nothing published does not hold its group's DATA_SERVICE CU for good (chaos20's
 * "found and left"): one started by a test of a draft never published, and one a server killed
 * between an unpublish's commit and the stop left running, are stopped once unused for
 * {@link ServiceInstances#IDLE_GRACE}; a published API's service is kept.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class IdleServiceTest extends DataServiceTestBase {

    @Test
    @DisplayName("SPEC DS-5: a service with nothing published is stopped after the grace from its last test; a published one is kept")
    void idleServicesStop() {
        var created = admin.post("dataservice/apis", script(uniquePath("idle"), "SELECT 1 AS one", List.of()));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        testUntilServed(id, Map.of());
        String tested = activeService();
        assertThat(tested).as("the service the test started").isNotNull();

        // within the grace, and a test again (its last use) at 4 minutes: kept at 6 minutes from the first
        server.advanceClock(Duration.ofMinutes(4));
        assertThat(activeService()).isEqualTo(tested);
        testUntilServed(id, Map.of());
        server.advanceClock(Duration.ofMinutes(2));
        assertThat(activeService()).isEqualTo(tested);
        // nothing published, unused for longer than the grace: stopped, its CU back to the group
        server.advanceClock(Duration.ofMinutes(4));
        awaitEnded(tested);
        assertThat(activeService()).isNull();

        // published: kept whatever the time
        testUntilServed(id, Map.of());
        var published = admin.post("dataservice/apis/" + id + "/publish", null);
        assertThat(published.status()).as(published.toString()).isEqualTo(200);
        String serving = activeService();
        assertThat(serving).isNotNull();
        server.advanceClock(Duration.ofMinutes(10));
        assertThat(activeService()).isEqualTo(serving);

        // a server killed between an unpublish's commit and its stop leaves this: nothing published, the service running
        server.sql("UPDATE ds_apis SET published_version = NULL WHERE id = ?", id);
        server.advanceClock(Duration.ofMinutes(1));
        awaitEnded(serving);
        assertThat(activeService()).isNull();
        assertThat(server.sqlLong("SELECT count(*) FROM instances WHERE usage_type = 'DATA_SERVICE'"
                + " AND status IN ('QUEUED', 'STARTING', 'RUNNING')")).isZero();
    }

    private static String activeService() {
        var s = admin.get("dataservice/services/" + groupId + "?workspaceId=" + workspaceId).json();
        String status = s.path("status").asString(null);
        return status != null && List.of("QUEUED", "STARTING", "RUNNING").contains(status) ? s.path("instanceId").asString() : null;
    }

    private static void awaitEnded(String instanceId) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT")
                .contains(admin.get("instances/" + instanceId).json().path("status").asString()));
    }
}
