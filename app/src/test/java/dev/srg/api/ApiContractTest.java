package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * API.md, row by row, as an outside test would check it: every path and verb of its table served
 * and documented (and nothing routed under /api/v1 left out of the document), creates 201 with the
 * fields it names, reads 200, deletes 204, its request field names and enum values exactly as
 * written, every list {@code {items, nextPageToken}} paging for real, every create taking
 * {@code clientToken}, and errors as problem+json (401 without a token, 403 without the policy,
 * never a 500). What API.md leaves open is not asserted here.
 */
@Tag("database")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ApiContractTest {
    /** The table of API.md: every verb and path it names (under /api/v1). */
    static final List<String> CONTRACT = List.of(
            "GET /regions",
            "POST /users", "GET /users", "PUT /users/{id}/policies", "POST /users/{id}/tokens",
            "POST /vpcs", "GET /vpcs", "GET /vpcs/{id}", "DELETE /vpcs/{id}", "POST /vpcs/{id}/vswitches",
            "PUT /vpcs/{id}/nat-gateway", "DELETE /vpcs/{id}/nat-gateway", "POST /vpcs/{id}/routes",
            "POST /private-zones", "POST /private-zones/{id}/records", "GET /private-zones", "GET /private-zones/{id}",
            "DELETE /private-zones/{id}",
            "POST /workspaces", "GET /workspaces", "PUT /workspaces/{id}/members/{userId}", "POST /workspaces/{id}/resource-groups",
            "DELETE /workspaces/{id}/resource-groups/{rgId}", "PATCH /workspaces/{id}",
            "POST /resource-groups", "GET /resource-groups", "GET /resource-groups/{id}", "PATCH /resource-groups/{id}",
            "DELETE /resource-groups/{id}",
            "POST /resource-groups/{id}/scale", "POST /resource-groups/{id}/convert", "POST /resource-groups/{id}/renew",
            "POST /resource-groups/{id}/enable",
            "GET /resource-groups/{id}/networks", "POST /resource-groups/{id}/networks", "DELETE /resource-groups/{id}/networks/{networkId}",
            "GET /resource-groups/{id}/quotas", "PUT /resource-groups/{id}/quotas",
            "GET /resource-groups/{id}/concurrency", "PUT /resource-groups/{id}/concurrency",
            "GET /resource-groups/{id}/usage", "GET /resource-groups/{id}/usage/history",
            "POST /instances", "GET /instances", "GET /instances/{id}", "GET /instances/{id}/log", "POST /instances/{id}/cancel",
            "GET /orders", "GET /bills",
            "POST /alert-rules", "GET /alert-rules", "GET /alert-rules/{id}", "DELETE /alert-rules/{id}", "GET /alert-rules/{id}/events",
            "POST /images", "GET /images/{id}",
            "GET /audit-events",
            "POST /resource-groups/{id}/connectivity-tests",
            "POST /data-sources", "GET /data-sources", "GET /data-sources/{id}", "PATCH /data-sources/{id}", "DELETE /data-sources/{id}",
            "GET /instances/{id}/dirty-records",
            "POST /dataservice/api-groups", "POST /dataservice/apis", "POST /dataservice/apis/{id}/test",
            "POST /dataservice/apis/{id}/publish", "POST /dataservice/apis/{id}/unpublish", "GET /dataservice/apis/{id}/calls",
            "POST /dataservice/apps", "PUT /dataservice/apps/{id}/grants/{apiId}", "DELETE /dataservice/apps/{id}/grants/{apiId}",
            "GET /cluster");

    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static JsonNode doc;
    /** A RUNNING subscription group of 4 CU, with a workspace whose default it is. */
    static String group;
    static String workspace;
    static Fixtures.Network net;
    /** The rows of the table a valid request reached (neither 404 nor 405). */
    static final Set<String> served = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() {
        server = TestServer.start();
        fx = new Fixtures(server);
        admin = server.admin();
        doc = admin.get("openapi.json").json();
        net = fx.network();
        var created = admin.post("resource-groups", fx.subscriptionBody(net, 4));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        group = fx.awaitRunning(created.id()).get("id").asString();
        workspace = fx.workspace(group).get("id").asString();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    // ---- the table: served and documented ----

    @Test
    @DisplayName("every verb and path of API.md is in openapi.json, and every route under /api/v1 is too (and the other way round)")
    void tableRoutesAndDocumentAgree() {
        Set<String> documented = new TreeSet<>();
        doc.get("paths").properties().forEach(p -> p.getValue().propertyNames().forEach(m -> documented.add(
                m.toUpperCase(Locale.ROOT) + " " + p.getKey())));
        for (String row : CONTRACT) {
            assertThat(documented).as("API.md's " + row + " in openapi.json").contains(verb(row) + " /api/v1" + template(row));
        }
        Set<String> routed = new TreeSet<>();
        for (String route : server.routes()) {
            String method = verb(route);
            if (template(route).startsWith("/api/v1/") && Set.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)
                    && !template(route).equals("/api/v1/openapi.json")) {
                routed.add(route);
            }
        }
        assertThat(routed).as("routes under /api/v1").hasSizeGreaterThan(CONTRACT.size());
        assertThat(documented).as("every route under /api/v1 is documented").containsAll(routed);
        assertThat(routed).as("every documented operation is routed").containsAll(documented);
    }

    // ---- the walk: every row with a valid request ----

    @Test
    @DisplayName("each row of API.md answers a valid request: creates 201 with the named fields, reads 200, deletes 204, enums as written")
    void walkTheTable() {
        // regions: the one bare array
        JsonNode regions = ok("GET /regions", null).json();
        assertThat(regions.isArray()).isTrue();
        assertFields(regions.get(0), "id", "name", "purchasable", "zones");
        assertFields(regions.get(0).get("zones").get(0), "id", "name");

        // users
        var user = created("POST /users", Map.of("name", "walker", "policies", List.of("VpcReadOnlyAccess")), "id", "name", "policies", "token");
        String userId = user.get("id").asString();
        list("GET /users");
        assertThat(ok("PUT /users/{id}/policies", Map.of("policies", List.of("VpcFullAccess")), userId).json().get("policies").toString())
                .contains("VpcFullAccess");
        assertThat(send("POST /users/{id}/tokens", null, userId).json().get("token").asString()).isNotBlank();

        // VPCs
        var vpc = created("POST /vpcs", Map.of("name", "walk", "regionId", "local", "cidr", "10.231.0.0/16"), "id", "name", "regionId", "cidr");
        String vpcId = vpc.get("id").asString();
        list("GET /vpcs");
        ok("GET /vpcs/{id}", null, vpcId);
        created("POST /vpcs/{id}/vswitches", Map.of("name", "walk", "zoneId", "local-a", "cidr", "10.231.1.0/24"), "id", "name", "zoneId", "cidr",
                vpcId);
        ok("PUT /vpcs/{id}/nat-gateway", Map.of("eip", "203.0.113.7"), vpcId);
        deleted("DELETE /vpcs/{id}/nat-gateway", vpcId);
        for (String via : List.of("VPC_PEERING", "VPN_GATEWAY", "EXPRESS_CONNECT", "CEN")) {
            created("POST /vpcs/{id}/routes", Map.of("destinationCidr", "192.168." + (10 + via.length()) + ".0/24", "via", via),
                    "id", "destinationCidr", "via", vpcId);
        }
        String spare = created("POST /vpcs", Map.of("name", "spare", "regionId", "local", "cidr", "10.232.0.0/16")).get("id").asString();
        deleted("DELETE /vpcs/{id}", spare);

        // private DNS
        String zone = created("POST /private-zones", Map.of("name", "walk.internal", "vpcIds", List.of(vpcId)), "id", "name", "vpcIds")
                .get("id").asString();
        created("POST /private-zones/{id}/records", Map.of("name", "db", "type", "A", "value", "10.231.1.5"), zone);
        list("GET /private-zones");
        ok("GET /private-zones/{id}", null, zone);
        deleted("DELETE /private-zones/{id}", zone);

        // workspaces and members: every role as written
        String ws = created("POST /workspaces", Map.of("name", "walk-ws", "regionId", "local", "defaultResourceGroupId", group),
                "id", "name", "regionId", "defaultResourceGroupId").get("id").asString();
        list("GET /workspaces");
        for (String role : List.of("ADMIN", "DEVELOPER", "OPERATOR", "VISITOR")) {
            JsonNode w = ok("PUT /workspaces/{id}/members/{userId}", Map.of("role", role), ws, userId).json();
            assertThat(w.toString()).as(role).contains(userId).contains(role);
        }
        // pay-as-you-go has no cycle, so neither expiresAt nor autoRenew (ResourceGroupApiTest); a subscription has both (below)
        String payg = created("POST /resource-groups", fx.payAsYouGoBody(net, 8), "id", "status", "billingMode", "maxCu", "regionId",
                "zoneId", "networks", "createdAt", "workspaceIds").get("id").asString();
        fx.awaitRunning(payg);
        created("POST /workspaces/{id}/resource-groups", Map.of("resourceGroupId", payg), ws);
        deleted("DELETE /workspaces/{id}/resource-groups/{rgId}", ws, payg);
        ok("PATCH /workspaces/{id}", Map.of("defaultResourceGroupId", group), ws);

        // resource groups
        var bought = created("POST /resource-groups", fx.subscriptionBody(net, 2), "id", "status", "billingMode", "specCu", "regionId",
                "zoneId", "networks", "expiresAt", "autoRenew", "createdAt", "workspaceIds");
        assertThat(bought.get("billingMode").asString()).isEqualTo("SUBSCRIPTION");
        String sub = fx.awaitRunning(bought.get("id").asString()).get("id").asString();
        list("GET /resource-groups?regionId=local&status=RUNNING");
        ok("GET /resource-groups/{id}", null, sub);
        JsonNode renamed = ok("PATCH /resource-groups/{id}", Map.of("name", "walk-renamed", "remark", "a remark"), sub).json();
        assertThat(renamed.get("name").asString()).isEqualTo("walk-renamed");
        assertThat(renamed.get("remark").asString()).isEqualTo("a remark");
        ok("POST /resource-groups/{id}/scale", Map.of("specCu", 3), sub);
        ok("POST /resource-groups/{id}/renew", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1)), sub);
        ok("POST /resource-groups/{id}/convert", Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1), "autoRenew", false,
                "specCu", 2), payg);
        // a RUNNING group is not FROZEN: refused, but served
        var enable = send("POST /resource-groups/{id}/enable", null, sub);
        assertThat(enable.status()).as(enable.toString()).isBetween(200, 499);

        // group networks
        Fixtures.Network other = fx.network();
        list("GET /resource-groups/{id}/networks", sub);
        String binding = created("POST /resource-groups/{id}/networks", Map.of("vpcId", other.vpcId(), "vswitchId", other.vswitchId()),
                "id", "vpcId", "vswitchId", sub).get("id").asString();
        deleted("DELETE /resource-groups/{id}/networks/{networkId}?force=true", sub, binding);

        // quotas, concurrency, usage
        JsonNode quotas = ok("PUT /resource-groups/{id}/quotas", Map.of("quotas", Map.of("DATA_INTEGRATION", Map.of("minCu", 1, "maxCu", 2))),
                group).json();
        assertThat(quotas.get("quotas").get("DATA_INTEGRATION").get("minCu").asDouble()).isEqualTo(1);
        assertThat(ok("GET /resource-groups/{id}/quotas", null, group).json().get("quotas").get("DATA_INTEGRATION").get("maxCu").asDouble())
                .isEqualTo(2);
        assertThat(ok("GET /resource-groups/{id}/concurrency", null, sub).json().get("schedulingMaxRunning").asInt()).isEqualTo(50);
        ok("PUT /resource-groups/{id}/concurrency", Map.of("schedulingMaxRunning", 200), sub);
        var tooMany = admin.put("resource-groups/" + sub + "/concurrency", Map.of("schedulingMaxRunning", 201));
        assertProblem(tooMany, 400);
        assertThat(tooMany.field()).isEqualTo("schedulingMaxRunning");

        // instances
        var submitted = created("POST /instances", Map.of("workspaceId", workspace, "resourceGroupId", group, "type", "SHELL",
                "script", "echo hello", "cu", 0.5, "priority", 5, "timeoutSeconds", 60, "name", "walk"), "id", "status", "usageType", "cu");
        String task = submitted.get("id").asString();
        assertThat(submitted.get("status").asString()).isIn("QUEUED", "STARTING", "RUNNING", "SUCCEEDED");
        assertThat(ok("GET /instances/{id}", null, task).json().get("id").asString()).isEqualTo(task);
        JsonNode done = finished(task);
        assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
        assertFields(done, "exitCode", "queuedAt", "startedAt", "finishedAt", "waitMillis", "runMillis", "consumption");
        assertFields(done.get("consumption"), "cuSeconds", "cpuSeconds", "peakMemoryBytes");
        Instant.parse(done.get("finishedAt").asString()); // RFC 3339
        list("GET /instances?resourceGroupId=" + group + "&status=SUCCEEDED&usageType=" + submitted.get("usageType").asString());
        assertThat(send("GET /instances/{id}/log?offset=0", null, task).text()).contains("hello");
        String sleeper = created("POST /instances", Map.of("workspaceId", workspace, "type", "SHELL", "script", "sleep 60", "cu", 0.25))
                .get("id").asString();
        ok("POST /instances/{id}/cancel", null, sleeper);
        assertThat(finished(sleeper).get("status").asString()).isEqualTo("CANCELLED");
        var dryRun = admin.post("instances?dryRun=true", Map.of("workspaceId", workspace, "type", "PYTHON", "script", "print(1)", "cu", 0.25));
        assertThat(dryRun.status()).as(dryRun.toString()).isEqualTo(200);
        // a SHELL task has no dirty records: refused, but served
        var dirty = send("GET /instances/{id}/dirty-records", null, task);
        assertProblem(dirty, 400);

        // orders, bills, audit, cluster
        list("GET /orders");
        list("GET /bills?from=2026-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&resourceGroupId=" + payg);
        list("GET /audit-events?from=2026-01-01T00:00:00Z&to=2099-01-01T00:00:00Z&actor=admin");
        JsonNode cluster = ok("GET /cluster", null).json();
        assertFields(cluster, "leader", "epoch", "servers");
        assertFields(cluster.get("servers").get(0), "id", "address", "role", "lastSeenAt");

        // monitoring rules: every metric and comparator as written
        String rule = null;
        List<String> comparators = List.of("GT", "GE", "LT", "LE");
        for (int i = 0; i < comparators.size(); i++) {
            String metric = i % 2 == 0 ? "CU_UTILIZATION" : "PENDING_INSTANCES";
            JsonNode r = created("POST /alert-rules", Map.of("resourceGroupId", group, "metric", metric, "comparator", comparators.get(i),
                    "threshold", 5, "forSeconds", 60, "webhookUrl", "http://192.0.2.1:9/hook"), "id", "resourceGroupId", "metric",
                    "comparator", "threshold", "forSeconds", "webhookUrl");
            assertThat(r.get("metric").asString()).isEqualTo(metric);
            assertThat(r.get("comparator").asString()).isEqualTo(comparators.get(i));
            rule = r.get("id").asString();
        }
        list("GET /alert-rules");
        ok("GET /alert-rules/{id}", null, rule);
        list("GET /alert-rules/{id}/events", rule);
        deleted("DELETE /alert-rules/{id}", rule);

        // usage
        JsonNode usage = ok("GET /resource-groups/{id}/usage", null, group).json();
        assertFields(usage, "capacityCu", "usedCu", "utilization", "byUsageType");
        JsonNode history = ok("GET /resource-groups/{id}/usage/history?from=" + Instant.now().minusSeconds(3600) + "&to=" + Instant.now()
                + "&step=60", null, group).json();
        assertThat(history.get("points").isArray()).isTrue();

        // images: the status as written
        var image = send("POST /images", Map.of("name", "walk-image", "base", dev.srg.image.ImageConfig.defaults().debianBase(),
                "buildScript", "true", "resourceGroupId", group));
        assertThat(image.status()).as(image.toString()).isEqualTo(201);
        assertThat(image.json().get("status").asString()).isIn("BUILDING", "AVAILABLE", "FAILED");
        assertThat(ok("GET /images/{id}", null, image.id()).json().get("status").asString()).isIn("BUILDING", "AVAILABLE", "FAILED");

        // connectivity tests: the path as written
        JsonNode reach = ok("POST /resource-groups/{id}/connectivity-tests", Map.of("host", "198.51.100.1", "port", 5432), group).json();
        assertFields(reach, "reachable", "path");
        assertThat(reach.get("path").asString()).isIn("VPC", "ROUTE", "INTERNET", "NONE");
        assertThat(reach.get("reachable").asBoolean()).isFalse();

        // data sources: the password never returned
        String source = created("POST /data-sources", Map.of("name", "walk-csv", "workspaceId", workspace, "type", "CSV", "path", "/srv/walk.csv"),
                "id", "name", "workspaceId", "type").get("id").asString();
        var pg = created("POST /data-sources", Map.of("name", "walk-pg", "workspaceId", workspace, "type", "POSTGRESQL", "host", "127.0.0.1",
                "port", 5432, "database", "walk", "user", "walker", "password", "a-secret-1"), "id", "host", "port", "database", "user");
        assertThat(pg.toString()).doesNotContain("a-secret-1");
        list("GET /data-sources?workspaceId=" + workspace);
        assertThat(ok("GET /data-sources/{id}", null, pg.get("id").asString()).text()).doesNotContain("a-secret-1");
        ok("PATCH /data-sources/{id}", Map.of("name", "walk-csv-2"), source);

        // DataService (the definitions; calling a published API is DataServiceApiTest's)
        String apiGroup = created("POST /dataservice/api-groups", Map.of("name", "walk", "workspaceId", workspace, "basePath", "walk"), "id")
                .get("id").asString();
        var api = created("POST /dataservice/apis", dataServiceApi(apiGroup, pg.get("id").asString(), "one"), "id");
        assertThat(api.get("mode").asString()).isEqualTo("SCRIPT");
        String apiId = api.get("id").asString();
        var wizard = new HashMap<>(dataServiceApi(apiGroup, pg.get("id").asString(), "two"));
        wizard.remove("sql");
        wizard.put("mode", "WIZARD");
        wizard.put("wizard", Map.of("table", "items", "responseFields", List.of("id")));
        wizard.put("parameters", List.of(Map.of("name", "minId", "type", "LONG", "required", false, "operator", ">=", "column", "id")));
        var wizardApi = send("POST /dataservice/apis", wizard);
        assertThat(wizardApi.status()).as(wizardApi.toString()).isEqualTo(201);
        assertThat(wizardApi.json().get("mode").asString()).isEqualTo("WIZARD");
        // not tested yet: publish is refused; unpublish of what is not published; a test reaches the group's service
        assertProblem(send("POST /dataservice/apis/{id}/publish", null, apiId), 409);
        assertThat(send("POST /dataservice/apis/{id}/unpublish", null, apiId).status()).isBetween(200, 499);
        // (its data source is no database this class runs, so the answer is the service starting or the source unreachable:
        // DataServiceApiTest runs it through to rows)
        var tested = admin.post("dataservice/apis/" + apiId + "/test", Map.of("params", Map.of()));
        assertThat(tested.status()).as(tested.toString()).isIn(200, 502, 503, 504);
        if (tested.status() != 200) {
            assertProblem(tested, tested.status());
        }
        served.add("POST /dataservice/apis/{id}/test");
        list("GET /dataservice/apis/{id}/calls", apiId);
        JsonNode app = created("POST /dataservice/apps", Map.of("name", "walk-app"), "id", "appCode", "appKey", "appSecret");
        ok("PUT /dataservice/apps/{id}/grants/{apiId}", null, app.get("id").asString(), apiId);
        deleted("DELETE /dataservice/apps/{id}/grants/{apiId}", app.get("id").asString(), apiId);

        deleted("DELETE /data-sources/{id}", source);
        deleted("DELETE /resource-groups/{id}", sub);

        assertThat(CONTRACT.stream().filter(row -> !served.contains(row)).toList()).as("rows of API.md no valid request reached").isEmpty();
    }

    // ---- lists ----

    @Test
    @DisplayName("every list answers {items, nextPageToken} and pages: pageSize=1 gives a token, the pages hold every item once; bad paging is a 400 naming the field")
    void everyListPages() {
        // two of everything a list holds
        for (int i = 0; i < 2; i++) {
            fx.user();
            fx.network();
            admin.post("private-zones", Map.of("name", "pages" + i + ".internal", "vpcIds", List.of(net.vpcId())));
            fx.workspace(group);
            admin.post("data-sources", Map.of("name", "pages-" + i, "workspaceId", workspace, "type", "CSV", "path", "/srv/p" + i + ".csv"));
            admin.post("alert-rules", Map.of("resourceGroupId", group, "metric", "CU_UTILIZATION", "comparator", "GT", "threshold", 2,
                    "forSeconds", 60, "webhookUrl", "http://192.0.2.1:9/hook"));
            admin.post("budgets", Map.of("name", "pages-" + i, "workspaceId", workspace, "unit", "CU_HOURS", "amount", 100));
            admin.post("dataservice/apps", Map.of("name", "pages-" + i));
            admin.post("instances", Map.of("workspaceId", workspace, "type", "SHELL", "script", "true", "cu", 0.25));
        }
        Fixtures.User holder = fx.user();
        assertThat(admin.post("users/" + holder.id() + "/tokens", null).status()).isEqualTo(201);
        fx.payAsYouGoGroup(2);
        Fixtures.Network second = fx.network();
        assertThat(admin.post("resource-groups/" + group + "/networks", Map.of("vpcId", second.vpcId(), "vswitchId", second.vswitchId()))
                .status()).isEqualTo(201);
        String apiGroup = admin.post("dataservice/api-groups", Map.of("name", "pages", "workspaceId", workspace, "basePath", "pages")).id();
        admin.post("dataservice/api-groups", Map.of("name", "pages2", "workspaceId", workspace, "basePath", "pages2"));
        String source = admin.post("data-sources", Map.of("name", "pages-pg", "workspaceId", workspace, "type", "POSTGRESQL",
                "host", "127.0.0.1", "port", 5432, "database", "d", "user", "u", "password", "p")).id();
        String api = null;
        for (String name : List.of("a", "b")) {
            api = admin.post("dataservice/apis", dataServiceApi(apiGroup, source, name)).id();
        }
        // the call log is written by the /data path: three lines, as it would write them
        for (int i = 0; i < 3; i++) {
            server.sql("INSERT INTO ds_calls (api_id, version, app_id, status, error_code, latency_millis, row_count, called_at)"
                    + " VALUES (?, 1, NULL, 200, NULL, 1.5, 1, ?)", api, Instant.now().minusSeconds(i));
        }
        Map<String, String> lists = new LinkedHashMap<>();
        lists.put("/api/v1/users", "users");
        lists.put("/api/v1/users/{id}/tokens", "users/" + holder.id() + "/tokens");
        lists.put("/api/v1/vpcs", "vpcs");
        lists.put("/api/v1/private-zones", "private-zones");
        lists.put("/api/v1/workspaces", "workspaces");
        lists.put("/api/v1/resource-groups", "resource-groups");
        lists.put("/api/v1/resource-groups/{id}/networks", "resource-groups/" + group + "/networks");
        lists.put("/api/v1/instances", "instances");
        lists.put("/api/v1/orders", "orders");
        lists.put("/api/v1/alert-rules", "alert-rules");
        // a closed window: refusals and background work add events, none may land in it while it is paged. It ends
        // when the creates above have been answered and is paged a second later (an event written late is stamped
        // when it happened); "now minus a second" held nothing on a machine quick enough to make all this within it
        Instant cut = Instant.now();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(cut.plusSeconds(1)));
        lists.put("/api/v1/audit-events", "audit-events?to=" + cut);
        lists.put("/api/v1/data-sources", "data-sources?workspaceId=" + workspace);
        lists.put("/api/v1/budgets", "budgets");
        lists.put("/api/v1/dataservice/api-groups", "dataservice/api-groups?workspaceId=" + workspace);
        lists.put("/api/v1/dataservice/apis", "dataservice/apis?apiGroupId=" + apiGroup);
        lists.put("/api/v1/dataservice/apis/{id}/calls", "dataservice/apis/" + api + "/calls");
        lists.put("/api/v1/dataservice/apps", "dataservice/apps");
        for (var e : lists.entrySet()) {
            pagesThrough(e.getValue());
        }
        // every documented list is either paged above or holds what this class does not make two of
        Set<String> notPopulatedHere = Set.of("/api/v1/bills", "/api/v1/images", "/api/v1/alert-rules/{id}/events",
                "/api/v1/budgets/{id}/events", "/api/v1/dataservice/apis/{id}/versions", "/api/v1/workspaces/{id}/advice",
                "/api/v1/instances/{id}/dirty-records");
        Set<String> documentedLists = new TreeSet<>();
        doc.get("paths").properties().forEach(p -> {
            JsonNode get = p.getValue().get("get");
            if (get != null) {
                JsonNode schema = resolve(get.path("responses").path("200").path("content").path("application/json").path("schema"));
                if (schema.path("type").asString("").equals("array")) {
                    assertThat(p.getKey()).as("a bare array: only GET /regions (API.md fixes it)").isEqualTo("/api/v1/regions");
                }
                if (schema.path("properties").has("items")) {
                    documentedLists.add(p.getKey());
                    assertThat(schema.get("properties").has("nextPageToken")).as(p.getKey()).isTrue();
                    List<String> query = new ArrayList<>();
                    get.path("parameters").forEach(q -> query.add(q.get("name").asString()));
                    assertThat(query).as(p.getKey() + " takes the paging parameters").contains("pageSize", "pageToken");
                }
            }
        });
        Set<String> covered = new TreeSet<>(lists.keySet());
        covered.addAll(notPopulatedHere);
        assertThat(covered).as("every list of the document").isEqualTo(documentedLists);
        // a series is no list: points, like usage/history
        JsonNode series = admin.get("dataservice/apis/" + api + "/calls/series?minutes=5").json();
        assertThat(series.get("points").size()).isEqualTo(5);
        assertThat(series.get("points").get(4).get("calls").asLong() + series.get("points").get(3).get("calls").asLong()).isPositive();
    }

    /** Pages {@code path} one item at a time: a token while more follow, every item once, in the order of the whole list. */
    private static void pagesThrough(String path) {
        String sep = path.contains("?") ? "&" : "?";
        var whole = admin.get(path + sep + "pageSize=1000");
        assertThat(whole.status()).as(whole.toString()).isEqualTo(200);
        List<String> all = new ArrayList<>();
        whole.json().get("items").forEach(i -> all.add(key(i)));
        assertThat(all).as(path + " holds two items or more").hasSizeGreaterThanOrEqualTo(2);
        assertThat(new LinkedHashSet<>(all)).as(path + " items are distinct").hasSameSizeAs(all);
        List<String> paged = new ArrayList<>();
        String token = null;
        for (int page = 0; page <= all.size() + 20; page++) {
            var r = admin.get(path + sep + "pageSize=1" + (token == null ? "" : "&pageToken=" + token));
            assertThat(r.status()).as(path + " page " + page + ": " + r).isEqualTo(200);
            assertThat(r.json().get("items").size()).as(path).isLessThanOrEqualTo(1);
            r.json().get("items").forEach(i -> paged.add(key(i)));
            token = r.json().path("nextPageToken").asString(null);
            if (page == 0) {
                assertThat(token).as(path + ": pageSize=1 over " + all.size() + " items gives a token").isNotBlank();
            }
            if (token == null) {
                break;
            }
        }
        assertThat(token).as(path + " ends").isNull();
        // items added meanwhile (instances' sampling, the audit log) may follow; none is lost or repeated
        assertThat(new LinkedHashSet<>(paged)).as(path + " no item twice").hasSameSizeAs(paged);
        assertThat(paged).as(path + " every item").containsAll(all);
        for (String bad : List.of("pageToken=AAAA", "pageToken=" + "x".repeat(300), "pageSize=0", "pageSize=1001", "pageSize=two")) {
            var r = admin.get(path + sep + bad);
            assertProblem(r, 400);
            assertThat(r.field()).as(path + "&" + bad).isEqualTo(bad.substring(0, bad.indexOf('=')));
            assertThat(r.code()).as(path + "&" + bad).startsWith("InvalidParameter.Page");
        }
    }

    /** The ids a list or a resource holds (a list's items', or every "id" in a resource: its vSwitches, records, ...). */
    private static String ids(String path) {
        boolean resource = path.replaceAll("\\?.*", "").matches(".*/[a-z]+-[0-9a-z]*[0-9][0-9a-z]*"); // ends with an id
        JsonNode body = admin.get(resource ? path : path + (path.contains("?") ? "&" : "?") + "pageSize=1000").json();
        return new TreeSet<>(body.findValuesAsString("id")).toString();
    }

    private static String key(JsonNode item) {
        return item.has("id") ? item.get("id").asString() : item.toString();
    }

    // ---- idempotent creates ----

    @Test
    @DisplayName("every create takes clientToken: the same token and body answer the first result (no second resource), another body 409 IdempotentParameterMismatch")
    void everyCreateTakesClientToken() {
        // the document: every 201 with a body declares clientToken
        doc.get("paths").properties().forEach(p -> {
            JsonNode post = p.getValue().get("post");
            if (post != null && post.path("responses").has("201") && post.has("requestBody")) {
                JsonNode schema = resolve(post.get("requestBody").get("content").get("application/json").get("schema"));
                assertThat(schema.get("properties").has("clientToken")).as("POST " + p.getKey() + " takes clientToken").isTrue();
            }
        });
        Fixtures.Network other = fx.network();
        String vpc = admin.post("vpcs", Map.of("name", "idem", "regionId", "local", "cidr", "10.233.0.0/16")).id();
        String zone = admin.post("private-zones", Map.of("name", "idem.internal", "vpcIds", List.of(vpc))).id();
        String ws = fx.workspace(group).get("id").asString();
        String payg = fx.payAsYouGoGroup(4).get("id").asString();
        String apiGroup = admin.post("dataservice/api-groups", Map.of("name", "idem", "workspaceId", workspace, "basePath", "idem")).id();
        String source = admin.post("data-sources", Map.of("name", "idem-pg", "workspaceId", workspace, "type", "POSTGRESQL",
                "host", "127.0.0.1", "port", 5432, "database", "d", "user", "u", "password", "p")).id();
        record Create(String path, Map<String, Object> body, String field, Object other, String list) {}
        List<Create> creates = List.of(
                new Create("users", Map.of("name", "idem-user", "policies", List.of()), "name", "idem-user-2", "users"),
                new Create("vpcs", Map.of("name", "i", "regionId", "local", "cidr", "10.234.0.0/16"), "name", "j", "vpcs"),
                new Create("vpcs/" + vpc + "/vswitches", Map.of("name", "i", "zoneId", "local-a", "cidr", "10.233.1.0/24"), "name", "j",
                        "vpcs/" + vpc),
                new Create("vpcs/" + vpc + "/routes", Map.of("destinationCidr", "192.168.90.0/24", "via", "CEN"), "via", "VPN_GATEWAY",
                        "vpcs/" + vpc),
                new Create("private-zones", Map.of("name", "idem2.internal", "vpcIds", List.of(vpc)), "name", "idem3.internal",
                        "private-zones"),
                new Create("private-zones/" + zone + "/records", Map.of("name", "db", "type", "A", "value", "10.233.1.9"), "value",
                        "10.233.1.10", "private-zones/" + zone),
                new Create("workspaces", Map.of("name", "idem-ws", "regionId", "local"), "name", "idem-ws-2", "workspaces"),
                new Create("workspaces/" + ws + "/resource-groups", Map.of("resourceGroupId", payg), "resourceGroupId", group,
                        "workspaces/" + ws),
                new Create("resource-groups", fx.payAsYouGoBody(net, 4), "maxCu", 5, "resource-groups"),
                new Create("resource-groups/" + payg + "/networks", Map.of("vpcId", other.vpcId(), "vswitchId", other.vswitchId()),
                        "vswitchId", net.vswitchId(), "resource-groups/" + payg + "/networks"),
                new Create("instances", Map.of("workspaceId", workspace, "type", "SHELL", "script", "true", "cu", 0.25), "script", "false",
                        "instances"),
                new Create("alert-rules", Map.of("resourceGroupId", group, "metric", "PENDING_INSTANCES", "comparator", "GE", "threshold", 3,
                        "forSeconds", 0, "webhookUrl", "http://192.0.2.1:9/idem"), "threshold", 4, "alert-rules"),
                new Create("data-sources", Map.of("name", "idem-csv", "workspaceId", workspace, "type", "CSV", "path", "/srv/i.csv"),
                        "path", "/srv/j.csv", "data-sources?workspaceId=" + workspace),
                new Create("budgets", Map.of("name", "idem", "resourceGroupId", group, "unit", "CU_HOURS", "amount", 10), "amount", 11,
                        "budgets"),
                new Create("dataservice/api-groups", Map.of("name", "idem2", "workspaceId", workspace, "basePath", "idem2"), "basePath",
                        "idem3", "dataservice/api-groups?workspaceId=" + workspace),
                new Create("dataservice/apis", dataServiceApi(apiGroup, source, "idem"), "name", "idem-2",
                        "dataservice/apis?apiGroupId=" + apiGroup),
                new Create("dataservice/apps", Map.of("name", "idem-app"), "name", "idem-app-2", "dataservice/apps"));
        Set<String> tried = new TreeSet<>();
        for (Create c : creates) {
            String token = "tok-" + c.path().replaceAll("[^a-z]", "").substring(0, Math.min(20, c.path().replaceAll("[^a-z]", "").length()))
                    + "-" + System.nanoTime() % 100000;
            Map<String, Object> body = new HashMap<>(c.body());
            body.put("clientToken", token);
            var first = admin.post(c.path(), body);
            assertThat(first.status()).as(c.path() + ": " + first).isEqualTo(201);
            String listed = ids(c.list());
            var again = admin.post(c.path(), body);
            assertThat(again.status()).as(c.path() + " again: " + again).isEqualTo(201);
            assertThat(again.id()).as(c.path() + " answers the first result").isEqualTo(first.id());
            if (!c.path().equals("instances")) {
                assertThat(ids(c.list())).as(c.path() + ": no second resource").isEqualTo(listed);
            }
            body.put(c.field(), c.other());
            var mismatch = admin.post(c.path(), body);
            assertProblem(mismatch, 409);
            assertThat(mismatch.code()).as(c.path()).isEqualTo("IdempotentParameterMismatch");
            assertThat(mismatch.field()).as(c.path()).isEqualTo("clientToken");
            tried.add("POST /api/v1/" + c.path().replace(vpc, "{id}").replace(zone, "{id}").replace(ws, "{id}").replace(payg, "{id}"));
        }
        // the token of one caller is not another's
        Fixtures.User stranger = fx.user("VpcFullAccess");
        var theirs = stranger.http().post("vpcs", Map.of("name", "i", "regionId", "local", "cidr", "10.235.0.0/16", "clientToken", "shared"));
        var mine = admin.post("vpcs", Map.of("name", "i", "regionId", "local", "cidr", "10.235.0.0/16", "clientToken", "shared"));
        assertThat(mine.id()).isNotEqualTo(theirs.id());
        // every create of API.md's table (the tokens of a user are issued, not created from a body)
        for (String row : CONTRACT) {
            if (verb(row).equals("POST") && doc.get("paths").get("/api/v1" + template(row)).get("post").path("responses").has("201")
                    && !row.equals("POST /users/{id}/tokens") && !row.equals("POST /images")) {
                assertThat(tried).as("clientToken tried on " + row).contains("POST /api/v1" + template(row));
            }
        }
    }

    // ---- errors ----

    @Test
    @DisplayName("errors are problem+json with status, title, detail, code (and field): no token 401 on every operation, a bad token 401, no policy 403, bad input 400, unknown ids 404")
    void errorsFollowTheConvention() {
        List<String> failures = new ArrayList<>();
        TestHttp anonymous = server.anonymous();
        TestHttp forged = server.as("not-a-token");
        doc.get("paths").properties().forEach(p -> p.getValue().propertyNames().forEach(m -> {
            if (p.getKey().endsWith("/openapi.json")) {
                return;
            }
            String path = p.getKey().replaceAll("\\{[^}]+}", "x-1");
            for (TestHttp who : List.of(anonymous, forged)) {
                var r = who.send(m.toUpperCase(Locale.ROOT), path, m.equals("get") || m.equals("delete") ? null : Map.of());
                if (r.status() != 401 || !r.contentType().startsWith("application/problem+json") || r.code() == null) {
                    failures.add(m + " " + p.getKey() + " -> " + r);
                }
            }
        }));
        assertThat(failures).as("every operation without a (valid) token").isEmpty();
        // 403: a user without the policy
        Fixtures.User reader = fx.user("VpcReadOnlyAccess");
        var forbidden = reader.http().post("vpcs", Map.of("name", "no", "regionId", "local", "cidr", "10.236.0.0/16"));
        assertProblem(forbidden, 403);
        assertThat(reader.http().get("users").status()).isEqualTo(403);
        assertThat(reader.http().get("audit-events").status()).isEqualTo(403);
        // 400 with the field at fault
        var bad = admin.post("vpcs", Map.of("name", "bad", "regionId", "local", "cidr", "300.0.0.0/16"));
        assertProblem(bad, 400);
        assertThat(bad.field()).isEqualTo("cidr");
        var badEnum = admin.post("alert-rules", Map.of("resourceGroupId", group, "metric", "CU_UTILIZATION", "comparator", "GREATER_THAN",
                "threshold", 1, "forSeconds", 0, "webhookUrl", "http://192.0.2.1:9/x"));
        assertProblem(badEnum, 400);
        assertThat(badEnum.field()).isEqualTo("comparator");
        var badRole = admin.put("workspaces/" + workspace + "/members/" + reader.id(), Map.of("role", "developer"));
        assertProblem(badRole, 400);
        assertThat(badRole.field()).isEqualTo("role");
        // 404 for an id that is not there, on reads and deletes alike
        for (String path : List.of("vpcs/vpc-nope", "resource-groups/rg-nope", "instances/i-nope", "alert-rules/ar-nope", "images/img-nope",
                "data-sources/ds-nope", "private-zones/pz-nope")) {
            assertProblem(admin.get(path), 404);
            if (!path.startsWith("instances")) {
                assertProblem(admin.delete(path), 404);
            }
        }
    }

    // ---- helpers ----

    private static Map<String, Object> dataServiceApi(String apiGroup, String dataSource, String name) {
        Map<String, Object> body = new HashMap<>();
        body.put("apiGroupId", apiGroup);
        body.put("name", name);
        body.put("path", name);
        body.put("method", "GET");
        body.put("mode", "SCRIPT");
        body.put("dataSourceId", dataSource);
        body.put("resourceGroupId", group);
        body.put("sql", "SELECT 1 AS one");
        body.put("parameters", List.of());
        body.put("paging", false);
        body.put("timeoutMillis", 5000);
        body.put("qps", 10);
        return body;
    }

    private static JsonNode finished(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = admin.get("instances/" + id).json();
            return Set.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(last[0].path("status").asString());
        });
        return last[0];
    }

    private static JsonNode resolve(JsonNode schema) {
        if (schema.has("$ref")) {
            return doc.at(schema.get("$ref").asString().substring(1));
        }
        return schema;
    }

    private static String verb(String row) {
        return row.substring(0, row.indexOf(' '));
    }

    private static String template(String row) {
        String t = row.substring(row.indexOf(' ') + 1);
        return t.contains("?") ? t.substring(0, t.indexOf('?')) : t;
    }

    /**
     * Sends the row {@code row} (its {@code {…}} filled with {@code ids} in order) as the
     * administrator; the row counts as served unless the answer is 404 or 405. Never a 500.
     */
    private static TestHttp.Response send(String row, Object body, String... ids) {
        String path = row.substring(row.indexOf(' ') + 1);
        for (String id : ids) {
            path = path.replaceFirst("\\{[^}]+}", id);
        }
        var r = admin.send(verb(row), path.substring(1), body);
        assertThat(r.status()).as(row + ": " + r).isNotIn(404, 405).isLessThan(500);
        if (r.status() >= 400) {
            assertProblem(r, r.status());
        }
        String key = verb(row) + " " + template(row);
        if (CONTRACT.contains(key)) {
            served.add(key);
        }
        return r;
    }

    private static TestHttp.Response ok(String row, Object body, String... ids) {
        var r = send(row, body, ids);
        assertThat(r.status()).as(row + ": " + r).isEqualTo(200);
        return r;
    }

    private static JsonNode created(String row, Object body, String... fieldsThenIds) {
        // the fields the contract names come first, then the ids for the path's {…}
        int params = (int) row.chars().filter(c -> c == '{').count();
        String[] ids = java.util.Arrays.copyOfRange(fieldsThenIds, fieldsThenIds.length - params, fieldsThenIds.length);
        String[] fields = java.util.Arrays.copyOfRange(fieldsThenIds, 0, fieldsThenIds.length - params);
        var r = send(row, body, ids);
        assertThat(r.status()).as(row + ": " + r).isEqualTo(201);
        assertFields(r.json(), fields);
        return r.json();
    }

    private static void deleted(String row, String... ids) {
        var r = send(row, null, ids);
        assertThat(r.status()).as(row + ": " + r).isEqualTo(204);
        assertThat(r.text()).isEmpty();
    }

    private static JsonNode list(String row, String... ids) {
        JsonNode page = ok(row, null, ids).json();
        assertThat(page.isObject()).as(row + " answers an object").isTrue();
        assertThat(page.get("items").isArray()).as(row + " answers items").isTrue();
        // the last page has no token (README: "the last page has none"); a token is a string
        assertThat(page.path("nextPageToken").isMissingNode() || page.get("nextPageToken").isString()).as(row + " nextPageToken").isTrue();
        return page;
    }

    private static void assertFields(JsonNode node, String... fields) {
        for (String f : fields) {
            assertThat(node.has(f)).as("field " + f + " in " + node).isTrue();
        }
    }

    private static void assertProblem(TestHttp.Response r, int status) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.contentType()).as(r.toString()).startsWith("application/problem+json");
        assertThat(r.json().get("status").asInt()).isEqualTo(status);
        for (String f : List.of("title", "detail", "code")) {
            assertThat(r.json().path(f).asString("")).as(f + " of " + r).isNotBlank();
        }
        assertThat(r.text()).doesNotContain("Exception").doesNotContain("at dev.srg");
    }
}
