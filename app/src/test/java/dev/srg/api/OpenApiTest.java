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
}
