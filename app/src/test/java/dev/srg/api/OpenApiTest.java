package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

@Tag("database")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class OpenApiTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @DisplayName("the OpenAPI 3.1 document lists the contract's paths with their schemas")
    void documentMatchesContract() {
        JsonNode doc = server.admin().get("openapi.json").json();
        assertThat(doc.get("openapi").asString()).isEqualTo("3.1.0");
        JsonNode paths = doc.get("paths");
        for (String p : List.of("/api/v1/regions", "/api/v1/users", "/api/v1/users/{id}/policies", "/api/v1/users/{id}/tokens",
                "/api/v1/vpcs", "/api/v1/vpcs/{id}", "/api/v1/vpcs/{id}/vswitches", "/api/v1/vpcs/{id}/nat-gateway",
                "/api/v1/vpcs/{id}/routes", "/api/v1/workspaces", "/api/v1/workspaces/{id}/members/{userId}",
                "/api/v1/workspaces/{id}/resource-groups", "/api/v1/workspaces/{id}/resource-groups/{rgId}",
                "/api/v1/workspaces/{id}", "/api/v1/resource-groups", "/api/v1/resource-groups/{id}",
                "/api/v1/resource-groups/{id}/networks", "/api/v1/resource-groups/{id}/networks/{networkId}",
                "/api/v1/audit-events")) {
            assertThat(paths.has(p)).as(p).isTrue();
        }
        JsonNode create = paths.get("/api/v1/resource-groups").get("post");
        assertThat(create.get("responses").has("201")).isTrue();
        String ref = create.get("requestBody").get("content").get("application/json").get("schema").get("$ref").asString();
        JsonNode schema = doc.get("components").get("schemas").get(ref.substring(ref.lastIndexOf('/') + 1));
        List<String> fields = new ArrayList<>();
        schema.get("properties").propertyNames().forEach(fields::add);
        assertThat(fields).contains("name", "regionId", "zoneId", "billingMode", "specCu", "maxCu", "billingCycle",
                "autoRenew", "vpcId", "vswitchId", "clientToken");
        assertThat(schema.get("properties").get("billingMode").get("enum").toString()).contains("SUBSCRIPTION", "PAY_AS_YOU_GO");
    }

    @Test
    @DisplayName("every listed GET path without parameters answers 200")
    void listedPathsServe() {
        JsonNode paths = server.admin().get("openapi.json").json().get("paths");
        paths.propertyNames().forEach(p -> {
            if (!p.contains("{") && paths.get(p).has("get")) {
                assertThat(server.admin().get(p).status()).as(p).isEqualTo(200);
            }
        });
    }

    @Test
    @DisplayName("issue 11: the document is exact — Cidr is a string, no-content PUTs are 204, request schemas declare required fields")
    void documentIsExact() {
        JsonNode doc = server.admin().get("openapi.json").json();
        JsonNode schemas = doc.get("components").get("schemas");
        for (String type : List.of("Vpc", "VSwitch", "Route")) {
            String field = type.equals("Route") ? "destinationCidr" : "cidr";
            assertThat(schemas.get(type).get("properties").get(field).get("type").asString()).as(type + "." + field).isEqualTo("string");
        }
        assertThat(requestSchema(doc, "/api/v1/vpcs/{id}/routes", "post").get("properties").get("destinationCidr").get("type").asString())
                .isEqualTo("string");
        JsonNode password = doc.get("paths").get("/api/v1/users/{id}/password").get("put").get("responses");
        assertThat(password.has("204")).isTrue();
        assertThat(password.has("200")).isFalse();
        assertThat(strings(requestSchema(doc, "/api/v1/vpcs", "post").get("required"))).containsExactly("name", "regionId", "cidr");
        assertThat(strings(requestSchema(doc, "/api/v1/instances", "post").get("required"))).contains("workspaceId", "cu");
        assertThat(strings(requestSchema(doc, "/api/v1/resource-groups", "post").get("required")))
                .contains("name", "regionId", "zoneId", "billingMode", "vpcId", "vswitchId").doesNotContain("specCu", "maxCu");
        // every required name is a property of its schema (a renamed field cannot leave a stale contract)
        schemas.properties().forEach(e -> {
            if (e.getValue().has("required")) {
                for (String name : strings(e.getValue().get("required"))) {
                    assertThat(e.getValue().get("properties").has(name)).as(e.getKey() + " requires " + name).isTrue();
                }
            }
        });
        // the log is text, and documented so
        assertThat(doc.get("paths").get("/api/v1/instances/{id}/log").get("get").get("responses").get("200").get("content")
                .has("text/plain")).isTrue();
        // what is served is documented (images: SPEC RT-1, with their build log as text)
        assertThat(doc.get("paths").has("/api/v1/private-zones")).isTrue();
        assertThat(doc.get("paths").has("/api/v1/images")).isTrue();
        assertThat(doc.get("paths").get("/api/v1/images/{id}/log").get("get").get("responses").get("200").get("content")
                .has("text/plain")).isTrue();
        assertThat(strings(requestSchema(doc, "/api/v1/images", "post").get("required"))).contains("name", "base", "resourceGroupId");
    }

    @Test
    @DisplayName("issue 11: the contract check of the test suite finds answers the document does not allow")
    void contractCheckerFindsViolations() {
        var contract = new dev.srg.testing.OpenApiContract(server.admin().get("openapi.json").json());
        String vpc = "{\"id\":\"vpc-1\",\"name\":\"a\",\"regionId\":\"local\",\"cidr\":\"10.0.0.0/16\",\"vswitches\":[],"
                + "\"createdAt\":\"2026-01-01T00:00:00Z\"}";
        assertThat(contract.violations("GET", "/api/v1/vpcs/vpc-1", 200, "application/json", vpc)).isEmpty();
        // Cidr as the object it once was documented as
        assertThat(contract.violations("GET", "/api/v1/vpcs/vpc-1", 200, "application/json",
                vpc.replace("\"10.0.0.0/16\"", "{\"network\":1,\"prefix\":16}"))).isNotEmpty();
        assertThat(contract.violations("GET", "/api/v1/vpcs/vpc-1", 200, "application/json", vpc.replace("\"name\"", "\"nom\"")))
                .isNotEmpty();
        assertThat(contract.violations("POST", "/api/v1/vpcs", 200, "application/json", vpc)).isNotEmpty();
        assertThat(contract.violations("GET", "/api/v1/vpcs", 500, "application/problem+json",
                "{\"status\":500,\"title\":\"x\",\"detail\":\"x\",\"code\":\"InternalError\"}")).isNotEmpty();
        assertThat(contract.violations("PUT", "/api/v1/users/u-1/password", 200, "application/json", "{}")).isNotEmpty();
        assertThat(contract.violations("GET", "/api/v1/vpcs/vpc-1", 404, "text/html", "<html>")).isNotEmpty();
        assertThat(contract.violations("GET", "/api/v1/nothing-here", 404, "application/problem+json",
                "{\"status\":404,\"title\":\"Not Found\",\"detail\":\"x\",\"code\":\"NotFound.Endpoint\"}")).isEmpty();
        assertThat(dev.srg.testing.OpenApiContract.checked()).as("answers checked so far").isPositive();
    }

    private static JsonNode requestSchema(JsonNode doc, String path, String method) {
        JsonNode schema = doc.get("paths").get(path).get(method).get("requestBody").get("content").get("application/json").get("schema");
        String ref = schema.get("$ref").asString();
        return doc.get("components").get("schemas").get(ref.substring(ref.lastIndexOf('/') + 1));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }
}
