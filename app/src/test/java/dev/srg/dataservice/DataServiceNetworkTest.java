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
import tools.jackson.databind.JsonNode;

/**
 * DataService with networks enforced (SPEC NET-6, DS-5): the worker runs in the group's network
 * namespace, and its queries reach only what the group's first VPC binding reaches. The database is
 * on a test host inside that VPC; the same server also answers at an address of a VPC bound to the
 * group later, and at one outside every VPC.
 */
@DataServiceTestBase.ServedInVpc
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DataServiceNetworkTest extends DataServiceTestBase {

    @Test
    @DisplayName("SPEC NET-6 DS-5: with networks enforced, an API's queries leave through the group's first VPC binding; a source in a VPC bound later or outside every VPC fails with a clear code, no host or SQL")
    void queriesLeaveThroughTheFirstVpcBinding() throws Exception {
        String path = uniquePath("net");
        String id = publish(script(path, "SELECT id, name FROM items WHERE id = ${id}", List.of(param("id", "LONG", true))),
                Map.of("id", 1));
        String code = (String) newApp("net", id).get("appCode");
        Call ok = callWhenServed(code, path, Map.of("id", "3"));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(ok.json().path("data").get(0).path("name").asString()).isEqualTo("item 3");
        // SPEC DS-5, RT-3: the worker serving it runs inside the group's enforced network
        String instanceId = admin.get("dataservice/services/" + groupId + "?workspaceId=" + workspaceId).json()
                .path("instanceId").asString();
        JsonNode network = admin.get("instances/" + instanceId).json().path("enforcement").path("network");
        assertThat(network.path("enforced").asBoolean()).as(network.toString()).isTrue();
        // the second VPC is bound to the group and its address answers: tasks of the group reach it ...
        var probe = admin.post("resource-groups/" + groupId + "/connectivity-tests", Map.of("host", IN_SECOND, "port", 5432));
        assertThat(probe.status()).as(probe.toString()).isEqualTo(200);
        assertThat(probe.json().path("reachable").asBoolean()).as(probe.toString()).isTrue();
        assertThat(probe.json().path("path").asString()).isEqualTo("VPC");

        // ... but DataService uses the first binding only (NET-6): the data source moved there stops serving
        for (String elsewhere : List.of(IN_SECOND, OUTSIDE)) {
            moveSource(elsewhere);
            Call refused = awaitCall(code, path, c -> c.status() != 200);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(502);
            assertThat(refused.code()).isEqualTo("DataService.DataSourceOutsideNetwork");
            assertThat(refused.text()).doesNotContain(elsewhere).doesNotContain("SELECT").doesNotContain("items")
                    .doesNotContain("5432");
            // the API's developer, testing it, sees why
            var test = admin.post("dataservice/apis/" + id + "/test", Map.of("params", Map.of("id", 1)));
            assertThat(test.status()).as(test.toString()).isEqualTo(400);
            assertThat(test.json().path("detail").asString()).contains(elsewhere).contains("first VPC binding");
        }
        // back inside the first VPC: served again
        moveSource(DB);
        Call again = awaitCall(code, path, c -> c.status() == 200);
        assertThat(again.json().path("data").get(0).path("name").asString()).isEqualTo("item 3");
    }

    private static void moveSource(String host) {
        var r = admin.patch("data-sources/" + dataSourceId, Map.of("host", host));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    private static Call awaitCall(String code, String path, java.util.function.Predicate<Call> done) {
        Call[] last = new Call[1];
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250)).until(() -> {
            last[0] = callWithCode(code, path, Map.of("id", "3"));
            return done.test(last[0]);
        });
        return last[0];
    }
}
