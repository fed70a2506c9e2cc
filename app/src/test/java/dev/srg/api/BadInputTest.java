package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input of every kind answers 4xx with a stable code (and the field where one is at fault),
 * as problem+json, and changes nothing in the store.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class BadInputTest {
    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static Fixtures.Network net;
    static Fixtures.Network otherNet;
    static String zoneBSwitch;
    static String groupId;
    static String workspaceId;
    static Fixtures.User buyerWithoutOrder;
    static Fixtures.User developer;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        fx = new Fixtures(server);
        admin = server.admin();
        net = fx.network();
        otherNet = fx.network();
        zoneBSwitch = admin.post("vpcs/" + net.vpcId() + "/vswitches",
                Map.of("name", "b", "zoneId", "local-b", "cidr", net.cidr().replace("0.0/16", "9.0/24"))).id();
        groupId = fx.subscriptionGroup(4).get("id").asString();
        buyerWithoutOrder = fx.user("ResourceGroupFullAccess", "VpcReadOnlyAccess", "ServiceLinkedRoleAccess");
        developer = fx.user();
        workspaceId = fx.workspace(groupId).get("id").asString();
        admin.put("workspaces/" + workspaceId + "/members/" + developer.id(), Map.of("role", "DEVELOPER"));
        var forbidden = admin.post("vpcs", Map.of("name", "reserved", "regionId", "local", "cidr", "21.0.0.0/16"));
        reservedVpc = forbidden.id();
        reservedSwitch = admin.post("vpcs/" + reservedVpc + "/vswitches", Map.of("name", "r", "zoneId", "local-a", "cidr", "21.0.1.0/24")).id();
    }

    static String reservedVpc;
    static String reservedSwitch;

    @AfterAll
    static void stop() {
        server.close();
    }

    record Case(String name, Function<TestServer, TestHttp.Response> request, int status, String code, String field) {}

    static Map<String, Object> group(Map<String, Object> changes) {
        Map<String, Object> body = new HashMap<>(fx.subscriptionBody(net, 2));
        changes.forEach((k, v) -> {
            if (v == null) {
                body.remove(k);
            } else {
                body.put(k, v);
            }
        });
        return body;
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("malformed JSON", s -> s.admin().post("resource-groups", "{\"name\": "), 400, "InvalidParameter.Json", null));
        c.add(new Case("trailing garbage", s -> s.admin().post("vpcs", "{\"name\":\"a\",\"regionId\":\"local\",\"cidr\":\"10.9.0.0/16\"} x"), 400, "InvalidParameter.Json", null));
        c.add(new Case("JSON array instead of object", s -> s.admin().post("vpcs", "[]"), 400, "InvalidParameter.Type", null));
        c.add(new Case("JSON null body", s -> s.admin().post("vpcs", "null"), 400, "InvalidParameter.Json", null));
        c.add(new Case("empty body", s -> s.admin().post("vpcs", ""), 400, "MissingParameter", null));
        c.add(new Case("string for a number", s -> s.admin().post("resource-groups", group(Map.of("specCu", "8"))), 400, "InvalidParameter.ComputeUnits", "specCu"));
        c.add(new Case("boolean for a number", s -> s.admin().post("resource-groups", group(Map.of("specCu", true))), 400, "InvalidParameter.ComputeUnits", "specCu"));
        c.add(new Case("number for a string", s -> s.admin().post("vpcs", Map.of("name", 7, "regionId", "local", "cidr", "10.9.0.0/16")), 400, "InvalidParameter.Type", "name"));
        c.add(new Case("string for a boolean", s -> s.admin().post("resource-groups", group(Map.of("autoRenew", "yes"))), 400, "InvalidParameter.Type", "autoRenew"));
        c.add(new Case("object for a string", s -> s.admin().post("resource-groups", group(Map.of("regionId", Map.of("id", "local")))), 400, "InvalidParameter.Type", "regionId"));
        c.add(new Case("fraction for a cycle count", s -> s.admin().post("resource-groups", group(Map.of("billingCycle", Map.of("unit", "MONTH", "count", 1.5)))), 400, "InvalidParameter.Type", "billingCycle.count"));
        c.add(new Case("unknown field", s -> s.admin().post("resource-groups", group(Map.of("colour", "blue"))), 400, "InvalidParameter.UnknownField", "colour"));
        c.add(new Case("unknown enum value", s -> s.admin().post("resource-groups", group(Map.of("billingMode", "FREE"))), 400, "InvalidParameter.Enum", "billingMode"));
        c.add(new Case("enum in lowercase", s -> s.admin().post("resource-groups", group(Map.of("billingMode", "subscription"))), 400, "InvalidParameter.Enum", "billingMode"));
        c.add(new Case("missing required field", s -> s.admin().post("resource-groups", group(HashMapOf("name", null))), 400, "MissingParameter", "name"));
        c.add(new Case("SPEC NET-4 VPC in 21.0.0.0/8", s -> s.admin().post("resource-groups", group(Map.of("vpcId", reservedVpc, "vswitchId", reservedSwitch))), 400, "InvalidParameter.Vpc.ForbiddenCidr", "vpcId"));
        c.add(new Case("SPEC RG-2 specCu 1", s -> s.admin().post("resource-groups", group(Map.of("specCu", 1))), 400, "InvalidParameter.Spec", "specCu"));
        c.add(new Case("SPEC RG-2 specCu 2.5", s -> s.admin().post("resource-groups", group(Map.of("specCu", 2.5))), 400, "InvalidParameter.Spec", "specCu"));
        c.add(new Case("specCu 2.1 (not a multiple of 0.25)", s -> s.admin().post("resource-groups", group(Map.of("specCu", 2.1))), 400, "InvalidParameter.ComputeUnits", "specCu"));
        c.add(new Case("specCu 1e400", s -> s.admin().post("resource-groups", "{\"specCu\": 1e400}"), 400, "InvalidParameter.ComputeUnits", "specCu"));
        // a number whose exponent is extreme: no range check is reached before its arithmetic overflows or its plain
        // text (quoted in a refusal) needs gigabytes; these answered 500 (OutOfMemoryError, ArithmeticException)
        c.add(new Case("specCu 1e2147483647", s -> s.admin().post("resource-groups", "{\"specCu\": 1e2147483647}"), 400, "InvalidParameter.ComputeUnits", "specCu"));
        c.add(new Case("a task's cu 1e-2147483647", s -> s.admin().post("instances", "{\"workspaceId\": \"" + workspaceId
                + "\", \"type\": \"SHELL\", \"script\": \"true\", \"cu\": 1e-2147483647}"), 400, "InvalidParameter.ComputeUnits", "cu"));
        c.add(new Case("a task's cu 1e999999999", s -> s.admin().post("instances", "{\"workspaceId\": \"" + workspaceId
                + "\", \"type\": \"SHELL\", \"script\": \"true\", \"cu\": 1e999999999}"), 400, "InvalidParameter.ComputeUnits", "cu"));
        c.add(new Case("a budget's amount 1e2147483647", s -> s.admin().post("budgets", "{\"name\": \"b\", \"resourceGroupId\": \""
                + groupId + "\", \"unit\": \"CU_HOURS\", \"amount\": 1e2147483647}"), 400, "InvalidParameter.Number", "amount"));
        c.add(new Case("a budget's amount 1e-2147483647", s -> s.admin().post("budgets", "{\"name\": \"b\", \"resourceGroupId\": \""
                + groupId + "\", \"unit\": \"CU_HOURS\", \"amount\": 1e-2147483647}"), 400, "InvalidParameter.Number", "amount"));
        c.add(new Case("an alert rule's threshold 1e999999999", s -> s.admin().post("alert-rules", "{\"resourceGroupId\": \"" + groupId
                + "\", \"metric\": \"CU_UTILIZATION\", \"comparator\": \"GT\", \"threshold\": 1e999999999,"
                + " \"webhookUrl\": \"http://192.0.2.1:9/x\"}"), 400, "InvalidParameter.Number", "threshold"));
        // a number that is not 0 but becomes 0 (or infinite) as the double it is kept as: 1e-999 was stored as 0.0
        c.add(new Case("an alert rule's threshold 1e-999", s -> s.admin().post("alert-rules", "{\"resourceGroupId\": \"" + groupId
                + "\", \"metric\": \"CU_UTILIZATION\", \"comparator\": \"GT\", \"threshold\": 1e-999,"
                + " \"webhookUrl\": \"http://192.0.2.1:9/x\"}"), 400, "InvalidParameter.Number", "threshold"));
        c.add(new Case("a sync's errorLimit.percentage 1e-999", s -> s.admin().post("instances", "{\"workspaceId\": \"" + workspaceId
                + "\", \"type\": \"DATA_INTEGRATION\", \"cu\": 1, \"sync\": {\"setting\": {\"errorLimit\": {\"percentage\": 1e-999}}}}"),
                400, "InvalidParameter.Number", "sync.setting.errorLimit.percentage"));
        c.add(new Case("a sync's speed.record 1e999", s -> s.admin().post("instances", "{\"workspaceId\": \"" + workspaceId
                + "\", \"type\": \"DATA_INTEGRATION\", \"cu\": 1, \"sync\": {\"setting\": {\"speed\": {\"record\": 1e999}}}}"),
                400, "InvalidParameter.Number", "sync.setting.speed.record"));
        // a null where a list names things: List.copyOf's NullPointerException answered 500, or 400 naming no field
        c.add(new Case("a null VPC id in a private zone", s -> s.admin().post("private-zones", "{\"name\": \"n.internal\", \"vpcIds\": [\""
                + net.vpcId() + "\", null]}"), 400, "MissingParameter", "vpcIds[1]"));
        c.add(new Case("a null quota profile", s -> s.admin().put("resource-groups/" + groupId + "/quota-schedule",
                "{\"profiles\": [null]}"), 400, "MissingParameter", "profiles[0]"));
        c.add(new Case("SPEC RG-2 maxCu 501", s -> s.admin().post("resource-groups", fx.payAsYouGoBody(net, 501)), 400, "InvalidParameter.MaxCu", "maxCu"));
        c.add(new Case("SPEC NET-3 vSwitch of another VPC", s -> s.admin().post("resource-groups", group(Map.of("vswitchId", otherNet.vswitchId()))), 400, "InvalidParameter.VSwitch.NotInVpc", "vswitchId"));
        c.add(new Case("SPEC NET-3 vSwitch in another zone", s -> s.admin().post("resource-groups", group(Map.of("vswitchId", zoneBSwitch))), 400, "InvalidParameter.VSwitch.Zone", "vswitchId"));
        c.add(new Case("SPEC NET-2 workspace in another region", s -> s.admin().post("workspaces", Map.of("name", "w", "regionId", "th-bangkok", "defaultResourceGroupId", groupId)), 400, "InvalidParameter.Workspace.RegionMismatch", "defaultResourceGroupId"));
        c.add(new Case("SPEC ACC-3 a non-admin associating", s -> developer.http().post("workspaces/" + workspaceId + "/resource-groups", Map.of("resourceGroupId", groupId)), 403, "Forbidden.WorkspaceAdmin", null));
        c.add(new Case("SPEC ACC-1 a buyer without OrderAccess", s -> buyerWithoutOrder.http().post("resource-groups", group(Map.of())), 403, "Forbidden.MissingPolicy", null));
        c.add(new Case("unknown resource group id", s -> s.admin().get("resource-groups/rg-doesnotexist"), 404, "ResourceGroup.NotFound", null));
        c.add(new Case("unknown VPC id in a body", s -> s.admin().post("resource-groups", group(Map.of("vpcId", "vpc-nope"))), 404, "Vpc.NotFound", "vpcId"));
        c.add(new Case("unknown workspace", s -> s.admin().post("workspaces/ws-nope/resource-groups", Map.of("resourceGroupId", groupId)), 404, "Workspace.NotFound", null));
        c.add(new Case("unknown endpoint", s -> s.admin().get("teapots"), 404, "NotFound.Endpoint", null));
        c.add(new Case("a 10 MB body", s -> s.admin().post("resource-groups", tenMegabytes()), 413, "RequestEntityTooLarge", null));
        c.add(new Case("negative page size", s -> s.admin().get("vpcs?pageSize=-1"), 400, "InvalidParameter.PageSize", "pageSize"));
        c.add(new Case("client token too long", s -> s.admin().post("vpcs", Map.of("name", "a", "regionId", "local", "cidr", "10.9.0.0/16", "clientToken", "x".repeat(65))), 400, "InvalidParameter.ClientToken", "clientToken"));
        c.add(new Case("control characters in a name", s -> s.admin().post("vpcs", Map.of("name", "a\tb", "regionId", "local", "cidr", "10.9.0.0/16")), 400, "InvalidParameter.Name", "name"));
        // issue 11: page tokens are checked before use
        c.add(new Case("page token of NUL bytes (vpcs)", s -> s.admin().get("vpcs?pageToken=AAAA"), 400, "InvalidParameter.PageToken", "pageToken"));
        c.add(new Case("page token of NUL bytes (instances)", s -> s.admin().get("instances?pageToken=AAAA"), 400, "InvalidParameter.PageToken", "pageToken"));
        c.add(new Case("page token not base64", s -> s.admin().get("users?pageToken=%25%25"), 400, "InvalidParameter.PageToken", "pageToken"));
        c.add(new Case("page token of a quote", s -> s.admin().get("workspaces?pageToken=Jw"), 400, "InvalidParameter.PageToken", "pageToken"));
        c.add(new Case("empty page token", s -> s.admin().get("resource-groups?pageToken=%20"), 400, "InvalidParameter.PageToken", "pageToken"));
        // issue 11: text PostgreSQL cannot keep as sent is refused, naming the field
        c.add(new Case("NUL in a script", s -> s.admin().post("instances", submit("script", "echo a\u0000b")), 400, "InvalidParameter.Characters", "script"));
        c.add(new Case("NUL in workspaceId", s -> s.admin().post("instances", submit("workspaceId", workspaceId + "\u0000")), 400, "InvalidParameter.Characters", "workspaceId"));
        c.add(new Case("NUL in a name", s -> s.admin().post("vpcs", Map.of("name", "a\u0000b", "regionId", "local", "cidr", "10.9.0.0/16")), 400, "InvalidParameter.Characters", "name"));
        c.add(new Case("lone surrogate in a name", s -> s.admin().post("vpcs", "{\"name\":\"\\ud800x\",\"regionId\":\"local\",\"cidr\":\"10.9.0.0/16\"}"), 400, "InvalidParameter.Characters", "name"));
        c.add(new Case("lone low surrogate in a nested field", s -> s.admin().post("resource-groups", "{\"billingCycle\":{\"unit\":\"\\udc00\"}}"), 400, "InvalidParameter.Characters", "billingCycle.unit"));
        c.add(new Case("NUL in an array element", s -> s.admin().put("users/" + developer.id() + "/policies", "{\"policies\":[\"VpcFullAccess\",\"a\\u0000\"]}"), 400, "InvalidParameter.Characters", "policies[1]"));
        c.add(new Case("NUL in a query parameter", s -> s.admin().get("audit-events?actor=a%00b"), 400, "InvalidParameter.Characters", "actor"));
        // issue 11: times out of range
        c.add(new Case("a time in year -999999999", s -> s.admin().get("resource-groups/" + groupId + "/usage/history?from=-999999999-01-01T00:00:00Z"), 400, "InvalidParameter.Time", "from"));
        c.add(new Case("a time in year +999999999", s -> s.admin().get("audit-events?to=%2B999999999-12-31T23:59:59Z"), 400, "InvalidParameter.Time", "to"));
        // a range or step the database's timestamps and intervals cannot hold answered 500
        c.add(new Case("usage history since 999999999d", s -> s.admin().get("resource-groups/" + groupId + "/usage/history?since=999999999d"), 400, "InvalidParameter.TimeRange", "since"));
        c.add(new Case("usage history step 999999999d", s -> s.admin().get("resource-groups/" + groupId + "/usage/history?step=999999999d"), 400, "InvalidParameter.Step", "step"));
        // issue 11: a body that is not JSON by its Content-Type
        for (String type : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded", "*/*", "multipart/form-data; boundary=x")) {
            c.add(new Case("JSON sent as " + type, s -> s.admin().sendAs("POST", "vpcs", type, "{\"name\":\"t\",\"regionId\":\"local\",\"cidr\":\"10.9.0.0/16\"}"), 415, "UnsupportedMediaType", null));
        }
        c.add(new Case("JSON sent without a Content-Type", s -> s.admin().sendAs("POST", "vpcs", null, "{\"name\":\"t\",\"regionId\":\"local\",\"cidr\":\"10.9.0.0/16\"}"), 415, "UnsupportedMediaType", null));
        // issue 11: what the HTTP container refuses itself is problem+json too
        c.add(new Case("a URI of 100 000 characters", s -> s.admin().get("vpcs?name=" + "x".repeat(100_000)), 414, "UriTooLong", null));
        c.add(new Case("%00 in the path", s -> s.admin().get("vpcs/a%00b"), 400, "InvalidRequest", null));
        c.add(new Case("invalid UTF-8 in the path", s -> s.admin().get("vpcs/%C3%28"), 400, "InvalidRequest", null));
        c.add(new Case("PATCH with nothing", s -> s.admin().patch("resource-groups/" + groupId, Map.of()), 400, "MissingParameter", null));
        return c;
    }

    private static Map<String, Object> submit(String field, Object value) {
        Map<String, Object> body = new HashMap<>(Map.of("workspaceId", workspaceId, "type", "SHELL", "script", "true", "cu", 0.25));
        body.put(field, value);
        return body;
    }

    private static Map<String, Object> HashMapOf(String key, Object value) {
        Map<String, Object> m = new HashMap<>();
        m.put(key, value);
        return m;
    }

    private static byte[] tenMegabytes() {
        byte[] body = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) ' ');
        body[0] = '{';
        body[body.length - 1] = '}';
        return body;
    }

    /**
     * A body over the limit is refused with the server reading at most little of it; the connection is
     * closed after the answer, and a close with the body's rest unread would be a reset that can
     * overtake the 413 on its way to the client. The server drops the rest first (a lingering close).
     */
    @org.junit.jupiter.api.Test
    void aBodyOverTheLimitIsAnsweredEveryTimeNotReset() {
        byte[] body = tenMegabytes();
        for (int i = 0; i < 30; i++) {
            // the API (Javalin's limit) and a DataService call (the call handler's own)
            TestHttp.Response r = i % 2 == 0 ? admin.post("resource-groups", body) : admin.post("/data/no-such-group/api", body);
            assertThat(r.status()).as("try %d: %s", i, r).isEqualTo(413);
            assertThat(r.code()).isEqualTo("RequestEntityTooLarge");
        }
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // last: its task's usage roll-up would change the store under the cases above
    @org.junit.jupiter.api.DisplayName("A number beyond a double's range is refused on input only: a payload stored with one (before the check) is read back as it is")
    void storedPayloadWithAnUnkeepableNumberIsReadable() {
        var r = admin.post("instances", Map.of("workspaceId", workspaceId, "type", "SHELL", "script", "true", "cu", 0.25));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        // ended first: the other cases compare the whole store before and after themselves
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(1))
                .until(() -> admin.get("instances/" + r.id()).json().path("status").asString().equals("SUCCEEDED"));
        // as a server before fix20 could store it: jsonb keeps 1e400 and 1e-400 exactly
        server.sql("UPDATE instances SET payload = payload || '{\"note\": {\"big\": 1e400, \"tiny\": 1e-400, \"half\": 0.5}}'::jsonb"
                + " WHERE id = ?", r.id());
        var read = admin.get("instances/" + r.id());
        assertThat(read.status()).as(read.toString()).isEqualTo(200);
        // exactly as stored (the test's own JSON reader would make doubles of them: the answer's text is compared)
        // (PostgreSQL's jsonb keeps 1e400 as its plain digits)
        assertThat(read.text()).contains("\"big\":1" + "0".repeat(400) + ",").contains("\"tiny\":1E-400")
                .contains("\"half\":0.5");
        var listed = admin.get("instances?resourceGroupId=" + groupId + "&pageSize=100");
        assertThat(listed.status()).as(listed.toString()).isEqualTo(200);
        // and the same number sent in is still refused, naming the field
        var sent = admin.post("instances", "{\"workspaceId\": \"" + workspaceId + "\", \"type\": \"DATA_INTEGRATION\", \"cu\": 1,"
                + " \"sync\": {\"setting\": {\"speed\": {\"record\": 1e400}}}}");
        assertThat(sent.status()).as(sent.toString()).isEqualTo(400);
        assertThat(sent.json().path("code").asString()).isEqualTo("InvalidParameter.Number");
        assertThat(sent.json().path("field").asString()).isEqualTo("sync.setting.speed.record");
    }

    @TestFactory
    Stream<DynamicTest> badInputIsRefusedAndChangesNothing() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Map<String, String> before = server.snapshot();
            TestHttp.Response r = c.request().apply(server);
            assertThat(r.status()).as(r.toString()).isEqualTo(c.status());
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.code()).as(r.toString()).isEqualTo(c.code());
            assertThat(r.field()).as(r.toString()).isEqualTo(c.field());
            assertThat(r.json().get("detail").asString()).isNotBlank().doesNotContain("Exception").doesNotContain("at dev.srg");
            assertThat(r.json().get("title").asString()).isNotBlank();
            assertThat(server.snapshot()).isEqualTo(before);
        }));
    }
}
