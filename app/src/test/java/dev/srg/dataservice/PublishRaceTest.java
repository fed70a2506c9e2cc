package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.local.LocalBackendConfig;
import dev.srg.testing.HeldTransaction;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A publish and an unpublish of one API at once (race20's "found and left"): whichever commits last
 * decides whether the group's service runs. One side is held by {@link ServiceInstances#decided}
 * between the read its decision comes from and its start or stop, until the other side's commit is in
 * the store; nothing here waits for a time.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PublishRaceTest extends DataServiceTestBase {

    @AfterEach
    void noHold() {
        ServiceInstances.decided = (key, published) -> { };
    }

    @Test
    @DisplayName("SPEC DS-2 DS-5: a publish and an unpublish at once end as the last commit says: published with its service, or unpublished with none")
    void publishAndUnpublishAtOnce() throws Exception {
        String id = publish(script(uniquePath("race"), "SELECT 1 AS one", List.of()), Map.of());
        String key = workspaceId + "/" + groupId;
        String first = activeService();
        assertThat(first).isNotNull();

        // the unpublish has read "nothing published" and is held; the publish commits meanwhile
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        hold(key, false, reached, release);
        var unpublish = CompletableFuture.supplyAsync(() -> admin.post("dataservice/apis/" + id + "/unpublish", null));
        assertThat(reached.await(120, TimeUnit.SECONDS)).isTrue();
        ServiceInstances.decided = (k, p) -> { };
        var publish = CompletableFuture.supplyAsync(() -> admin.post("dataservice/apis/" + id + "/publish", null));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> published(id));
        release.countDown();
        assertOk(unpublish.get(120, TimeUnit.SECONDS));
        assertOk(publish.get(120, TimeUnit.SECONDS));
        // the publish committed last: published, and once the service the unpublish stopped has ended, one serves it
        assertThat(admin.get("dataservice/apis/" + id).json().path("status").asString()).isEqualTo("PUBLISHED");
        awaitEnded(first);
        String second = activeService();
        assertThat(second).as("the group's service after the publish that committed last").isNotNull().isNotEqualTo(first);
        assertThat(server.sqlLong("SELECT count(*) FROM instances WHERE usage_type = 'DATA_SERVICE' AND status IN"
                + " ('QUEUED', 'STARTING', 'RUNNING') AND payload ->> 'dataService' = '" + key + "'")).isEqualTo(1);

        // the reverse: unpublished first, then the publish has read "published" and is held while the unpublish commits
        assertOk(admin.post("dataservice/apis/" + id + "/unpublish", null));
        awaitEnded(second);
        CountDownLatch reached2 = new CountDownLatch(1);
        CountDownLatch release2 = new CountDownLatch(1);
        hold(key, true, reached2, release2);
        var publish2 = CompletableFuture.supplyAsync(() -> admin.post("dataservice/apis/" + id + "/publish", null));
        assertThat(reached2.await(120, TimeUnit.SECONDS)).isTrue();
        ServiceInstances.decided = (k, p) -> { };
        var unpublish2 = CompletableFuture.supplyAsync(() -> admin.post("dataservice/apis/" + id + "/unpublish", null));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !published(id));
        release2.countDown();
        assertOk(publish2.get(120, TimeUnit.SECONDS));
        assertOk(unpublish2.get(120, TimeUnit.SECONDS));
        // the unpublish committed last: nothing published, and no service of the pair holds the group's CU
        assertThat(admin.get("dataservice/apis/" + id).json().path("status").asString()).isNotEqualTo("PUBLISHED");
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> server.sqlLong("SELECT count(*) FROM instances"
                + " WHERE usage_type = 'DATA_SERVICE' AND status IN ('QUEUED', 'STARTING', 'RUNNING')"
                + " AND payload ->> 'dataService' = '" + key + "'") == 0);
    }

    @Test
    @DisplayName("SPEC DS-2 DS-5 HA-1: a publish on one server of a cluster and an unpublish on another at once end as the last commit says, both orders")
    void publishAndUnpublishOnTwoServers() throws Exception {
        try (TestServer other = server.second(cfg -> cfg.withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement.OFF));
             HeldTransaction watch = new HeldTransaction(server.database())) {
            TestHttp second = other.admin();
            String id = publish(script(uniquePath("cluster"), "SELECT 1 AS one", List.of()), Map.of());
            String key = workspaceId + "/" + groupId;
            String first = activeService();
            assertThat(first).isNotNull();

            // the unpublish on the first server has read "nothing published" and is held; the publish on the second commits
            // meanwhile, and its start decision comes after the unpublish's stop (it waits for the pair's row), not before
            CountDownLatch reached = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            hold(key, false, reached, release);
            var unpublish = HeldTransaction.send(() -> admin.post("dataservice/apis/" + id + "/unpublish", null));
            assertThat(reached.await(120, TimeUnit.SECONDS)).isTrue();
            ServiceInstances.decided = (k, p) -> { };
            var publish = HeldTransaction.send(() -> second.post("dataservice/apis/" + id + "/publish", null));
            watch.awaitAWaiter(publish);
            assertThat(published(id)).isTrue();
            release.countDown();
            assertOk(unpublish.get(120, TimeUnit.SECONDS));
            assertOk(publish.get(120, TimeUnit.SECONDS));
            assertThat(admin.get("dataservice/apis/" + id).json().path("status").asString()).isEqualTo("PUBLISHED");
            awaitEnded(first);
            String next = activeService();
            assertThat(next).as("the group's service after the publish that committed last (on the other server)").isNotNull()
                    .isNotEqualTo(first);
            assertThat(activeOf(key)).isEqualTo(1);

            // the reverse: the publish on the first server has read "published" and is held while the unpublish on the
            // second commits; the unpublish's stop comes after the publish's start
            assertOk(admin.post("dataservice/apis/" + id + "/unpublish", null));
            awaitEnded(next);
            CountDownLatch reached2 = new CountDownLatch(1);
            CountDownLatch release2 = new CountDownLatch(1);
            hold(key, true, reached2, release2);
            var publish2 = HeldTransaction.send(() -> admin.post("dataservice/apis/" + id + "/publish", null));
            assertThat(reached2.await(120, TimeUnit.SECONDS)).isTrue();
            ServiceInstances.decided = (k, p) -> { };
            var unpublish2 = HeldTransaction.send(() -> second.post("dataservice/apis/" + id + "/unpublish", null));
            watch.awaitAWaiter(unpublish2);
            assertThat(published(id)).isFalse();
            release2.countDown();
            assertOk(publish2.get(120, TimeUnit.SECONDS));
            assertOk(unpublish2.get(120, TimeUnit.SECONDS));
            assertThat(admin.get("dataservice/apis/" + id).json().path("status").asString()).isNotEqualTo("PUBLISHED");
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> activeOf(key) == 0);
        }
    }

    private static long activeOf(String key) {
        return server.sqlLong("SELECT count(*) FROM instances WHERE usage_type = 'DATA_SERVICE' AND status IN"
                + " ('QUEUED', 'STARTING', 'RUNNING') AND payload ->> 'dataService' = '" + key + "'");
    }

    /** Holds the first decision {@code published} for {@code key} until {@code release}. */
    private static void hold(String key, boolean published, CountDownLatch reached, CountDownLatch release) {
        ServiceInstances.decided = (k, p) -> {
            if (k.equals(key) && p == published && reached.getCount() > 0) {
                reached.countDown();
                try {
                    release.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private static boolean published(String apiId) {
        return server.sqlLong("SELECT count(*) FROM ds_apis WHERE id = '" + apiId + "' AND published_version IS NOT NULL") == 1;
    }

    private static void assertOk(TestHttp.Response r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    /** The pair's service as GET /dataservice/services shows it, if it is active (not being stopped). */
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
