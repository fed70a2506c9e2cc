package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import dev.srg.testing.Fixtures;
import dev.srg.testing.OpenApiContract;
import dev.srg.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A bounded fuzz pass over every operation of the served OpenAPI document (issue 11): for each,
 * requests built from its declared path, query and body schema, then damaged (fields missing,
 * of the wrong type, out of range, NUL and unpaired surrogates, unknown fields, wrong content
 * types, ids of other things). Every answer must be below 500 and must be one the document
 * allows. Seeded ({@code -Dsrg.fuzz.seed=N} replays a run), bounded by
 * {@code -Dsrg.fuzz.perOperation} (default 24) and a time budget. Generic: it knows only what the
 * document declares, so routes added later are fuzzed too.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ApiFuzzTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration BUDGET = Duration.ofSeconds(150);
    static TestServer server;
    static Fixtures fx;
    static OpenApiContract contract;
    static final List<String> ids = new ArrayList<>();
    static String userToken;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        fx = new Fixtures(server);
        var admin = server.admin();
        // real ids of every kind, so that fuzzed requests reach past "not found" too (never the administrator's own)
        Fixtures.Network net = fx.network();
        ids.add(net.vpcId());
        ids.add(net.vswitchId());
        String rg = fx.subscriptionGroup(2).get("id").asString();
        ids.add(rg);
        String ws = fx.workspace(rg).get("id").asString();
        ids.add(ws);
        Fixtures.User user = fx.user("VpcReadOnlyAccess");
        ids.add(user.id());
        userToken = user.token();
        var task = admin.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "script", "echo fuzz", "cu", 0.25));
        ids.add(task.id());
        var rule = admin.post("alert-rules", Map.of("name", "r", "resourceGroupId", rg, "metric", "CU_UTILIZATION",
                "comparator", "GREATER_THAN", "threshold", 0.9, "webhookUrl", "http://192.0.2.1:9/hook"));
        if (rule.id() != null) {
            ids.add(rule.id());
        }
        contract = new OpenApiContract(admin.get("openapi.json").json());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    @DisplayName("issue 11: fuzzing every documented operation gives 0 answers of 5xx and 0 that break the document")
    void fuzzEveryOperation() throws Exception {
        long seed = Long.getLong("srg.fuzz.seed", System.nanoTime());
        int perOperation = Integer.getInteger("srg.fuzz.perOperation", 24);
        Random random = new Random(seed);
        List<OpenApiContract.Operation> operations = contract.operations();
        long deadline = System.nanoTime() + BUDGET.toNanos();
        List<String> failures = new ArrayList<>();
        Map<Integer, Integer> statuses = new TreeMap<>();
        int sent = 0;
        for (int round = 0; round < perOperation && System.nanoTime() < deadline; round++) {
            for (OpenApiContract.Operation op : operations) {
                if (op.template().endsWith("/openapi.json")) {
                    continue;
                }
                Fuzzed f = fuzz(random, op);
                HttpResponse<String> r = send(f);
                sent++;
                statuses.merge(r.statusCode(), 1, Integer::sum);
                String contentType = r.headers().firstValue("Content-Type").orElse(null);
                List<String> violations = contract.violations(f.method(), f.path(), r.statusCode(), contentType, r.body());
                if (r.statusCode() >= 500) {
                    failures.add(f + " -> " + r.statusCode() + " " + r.body());
                } else if (!violations.isEmpty()) {
                    failures.add(String.join("; ", violations) + (f.body() == null ? "" : " (sent " + abbreviate(f.body()) + ")"));
                }
            }
        }
        System.out.printf("fuzz: seed %d, %d requests over %d operations, statuses %s, %d failures%n", seed, sent,
                operations.size(), statuses, failures.size());
        assertThat(failures).as("seed " + seed + " (replay with -Dsrg.fuzz.seed=" + seed + ")").isEmpty();
        assertThat(sent).isGreaterThan(operations.size());
    }

    record Fuzzed(String method, String path, String contentType, String body, String token) {
        @Override
        public String toString() {
            return method + " " + path + (body == null ? "" : " [" + contentType + "] " + abbreviate(body));
        }
    }

    private static HttpResponse<String> send(Fuzzed f) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + f.path())).timeout(Duration.ofSeconds(30));
        if (f.token() != null) {
            b.header("Authorization", "Bearer " + f.token());
        }
        if (f.body() == null) {
            b.method(f.method(), HttpRequest.BodyPublishers.noBody());
        } else {
            if (f.contentType() != null) {
                b.header("Content-Type", f.contentType());
            }
            b.method(f.method(), HttpRequest.BodyPublishers.ofString(f.body()));
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Fuzzed fuzz(Random random, OpenApiContract.Operation op) {
        StringBuilder path = new StringBuilder();
        for (String segment : op.template().substring(1).split("/")) {
            path.append('/').append(segment.startsWith("{") ? pathValue(random) : segment);
        }
        List<String> query = new ArrayList<>();
        for (JsonNode p : op.node().path("parameters")) {
            if ("query".equals(p.path("in").asString()) && random.nextInt(3) > 0) {
                query.add(p.get("name").asString() + "=" + queryValue(random, p.path("schema")));
            }
        }
        if (random.nextInt(10) == 0) {
            query.add(word(random) + "=" + word(random));
        }
        String fullPath = path + (query.isEmpty() ? "" : "?" + String.join("&", query));
        String token = switch (random.nextInt(12)) {
            case 0 -> null;
            case 1 -> "not-a-token";
            case 2, 3 -> userToken;
            default -> server.adminToken();
        };
        JsonNode requestSchema = op.node().path("requestBody").path("content").path("application/json").path("schema");
        String body = null;
        String contentType = "application/json";
        if (!requestSchema.isMissingNode()) {
            JsonNode value = damage(random, instance(random, resolve(requestSchema), 0));
            body = Json.write(value);
            switch (random.nextInt(14)) {
                case 0 -> contentType = "text/plain";
                case 1 -> contentType = null;
                case 2 -> body = body.substring(0, random.nextInt(body.length() + 1));
                case 3 -> body = "";
                case 4 -> body = body.replaceFirst("\"([^\"]*)\"", "\"$1\\\\ud800\"");
                case 5 -> body = body.replaceFirst(":\"([^\"]*)\"", ":\"$1\\\\u0000\"");
                default -> { }
            }
        } else if (random.nextInt(8) == 0) {
            body = "{\"unexpected\": true}";
        }
        return new Fuzzed(op.method(), fullPath, contentType, body, token);
    }

    private static String pathValue(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> word(random);
            case 1 -> "x".repeat(1 + random.nextInt(300));
            case 2 -> "%E2%82%AC%20%22'";
            case 3 -> "-1";
            default -> ids.get(random.nextInt(ids.size()));
        };
    }

    private static String queryValue(Random random, JsonNode schema) {
        String value = switch (random.nextInt(12)) {
            case 0 -> "";
            case 1 -> "-1";
            case 2 -> "99999999999999999999";
            case 3 -> "true";
            case 4 -> "2026-01-31T12:00:00Z";
            case 5 -> "-999999999-01-01T00:00:00Z";
            case 6 -> "a\u0000b";
            case 7 -> ids.get(random.nextInt(ids.size()));
            case 8 -> "1";
            case 9 -> "P1D";
            case 10 -> "\u20ac'\"<>";
            default -> schema.has("enum") ? schema.get("enum").get(random.nextInt(schema.get("enum").size())).asString() : word(random);
        };
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static JsonNode resolve(JsonNode schema) {
        if (schema.has("$ref")) {
            return contract.document().at(schema.get("$ref").asString().substring(1));
        }
        return schema;
    }

    /** A value of {@code schema}, mostly valid, with real ids in id fields. */
    private static JsonNode instance(Random random, JsonNode schema, int depth) {
        schema = resolve(schema);
        if (schema.has("enum")) {
            return schema.get("enum").get(random.nextInt(schema.get("enum").size()));
        }
        String type = schema.path("type").asString("object");
        return switch (type) {
            case "string" -> Json.MAPPER.getNodeFactory().stringNode(random.nextInt(3) == 0 ? ids.get(random.nextInt(ids.size()))
                    : random.nextInt(3) == 0 ? "10." + random.nextInt(256) + ".0.0/16" : word(random));
            case "integer" -> Json.MAPPER.getNodeFactory().numberNode(random.nextInt(20) - 2);
            case "number" -> Json.MAPPER.getNodeFactory().numberNode(random.nextInt(40) * 0.25);
            case "boolean" -> Json.MAPPER.getNodeFactory().booleanNode(random.nextBoolean());
            case "array" -> {
                ArrayNode a = Json.MAPPER.createArrayNode();
                for (int i = random.nextInt(3); i > 0 && depth < 4; i--) {
                    a.add(instance(random, schema.path("items"), depth + 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = Json.MAPPER.createObjectNode();
                if (depth < 4) {
                    schema.path("properties").properties().forEach(e -> {
                        if (random.nextInt(4) > 0) {
                            o.set(e.getKey(), instance(random, e.getValue(), depth + 1));
                        }
                    });
                    if (schema.path("additionalProperties").isObject() && random.nextBoolean()) {
                        o.set(word(random), instance(random, schema.get("additionalProperties"), depth + 1));
                    }
                }
                yield o;
            }
        };
    }

    /** Breaks a value now and then: a wrong type, an extreme number, an unknown field, a huge string. */
    private static JsonNode damage(Random random, JsonNode value) {
        if (!(value instanceof ObjectNode o) || o.isEmpty() || random.nextInt(3) == 0) {
            return value;
        }
        List<String> names = new ArrayList<>(o.propertyNames());
        String name = names.get(random.nextInt(names.size()));
        var nodes = Json.MAPPER.getNodeFactory();
        switch (random.nextInt(9)) {
            case 0 -> o.set(name, nodes.numberNode(new java.math.BigDecimal("1e400")));
            case 1 -> o.set(name, nodes.numberNode(-1));
            case 2 -> o.set(name, nodes.stringNode("x".repeat(5000)));
            case 3 -> o.set(name, nodes.booleanNode(true));
            case 4 -> o.set(name, Json.MAPPER.createArrayNode().add(1));
            case 5 -> o.set(name, Json.MAPPER.createObjectNode().put("a", 1));
            case 6 -> o.putNull(name);
            case 7 -> o.put(word(random), 1);
            default -> o.set(name, nodes.numberNode(Long.MAX_VALUE));
        }
        return o;
    }

    private static String word(Random random) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_";
        StringBuilder sb = new StringBuilder("fz");
        for (int i = random.nextInt(8); i >= 0; i--) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
