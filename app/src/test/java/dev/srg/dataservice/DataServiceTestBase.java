package dev.srg.dataservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.local.LocalBackendConfig;
import dev.srg.json.Json;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestNetworkHosts;
import dev.srg.testing.TestPostgresServer;
import dev.srg.testing.TestServer;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;
import tools.jackson.databind.JsonNode;

/**
 * A real server (simulated clock, for the freeze), a group and a workspace, a real PostgreSQL
 * database as the data source (on the host's loopback: the server runs with network enforcement
 * off, and the instances say so, RT-3), and an HTTP client for {@code /data/...} calls. A class
 * marked {@link ServedInVpc} gets a server that enforces networks instead, and its database on a
 * test host inside the group's first VPC.
 */
abstract class DataServiceTestBase {
    /**
     * SPEC NET-6: the server enforces networks; the group is bound to {@link #VPC_CIDR} first and
     * {@link #SECOND_VPC_CIDR} second; the database is on a test host (a network namespace, never a
     * real network) answering at {@link #DB} (first VPC), {@link #IN_SECOND} (second VPC) and
     * {@link #OUTSIDE} (no VPC). Needs root, ip, nft and Debian's PostgreSQL; skipped otherwise.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface ServedInVpc {}

    static final String VPC_CIDR = "10.96.0.0/16";
    static final String DB = "10.96.0.5";
    static final String SECOND_VPC_CIDR = "10.95.0.0/16";
    static final String IN_SECOND = "10.95.0.5";
    static final String OUTSIDE = "192.168.96.5";
    private static TestNetworkHosts hosts;
    private static TestPostgresServer vpcPostgres;

    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static TestServer server;
    static Fixtures fx;
    static TestHttp admin;
    static String groupId;
    static String workspaceId;
    static TestDatabases.Fresh source;
    static String dataSourceId;
    static String apiGroupId;
    static String basePath;
    private static int seq;

    @BeforeAll
    static void startServer(TestInfo info) throws Exception {
        boolean inVpc = info.getTestClass().map(c -> c.isAnnotationPresent(ServedInVpc.class)).orElse(false);
        if (inVpc) {
            assumeThat("root".equals(System.getProperty("user.name"))
                    && TestNetworkHosts.run("sh", "-c", "command -v ip && command -v nft") == null && TestPostgresServer.available())
                    .as("needs root, ip, nft and Debian's PostgreSQL (network namespaces)").isTrue();
            hosts = new TestNetworkHosts();
            hosts.host("dsdb", DB, IN_SECOND, OUTSIDE);
            vpcPostgres = TestPostgresServer.startIn("srgx-dsdb", DB, IN_SECOND, OUTSIDE);
        }
        server = TestServer.start(inVpc ? cfg -> cfg.withSimulatedClock(true)
                : cfg -> cfg.withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement.OFF).withSimulatedClock(true));
        fx = new Fixtures(server);
        admin = server.admin();
        if (inVpc) {
            var created = admin.post("resource-groups", fx.subscriptionBody(vpc("ds-first", VPC_CIDR), 8));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            groupId = created.id();
            fx.awaitRunning(groupId);
            Fixtures.Network second = vpc("ds-second", SECOND_VPC_CIDR);
            var bound = admin.post("resource-groups/" + groupId + "/networks", Map.of("vpcId", second.vpcId(),
                    "vswitchId", second.vswitchId()));
            assertThat(bound.status()).as(bound.toString()).isIn(200, 201);
            fx.awaitRunning(groupId);
        } else {
            groupId = fx.subscriptionGroup(8).get("id").asString();
        }
        workspaceId = fx.workspace(groupId).get("id").asString();
        source = inVpc ? vpcPostgres.fresh() : TestDatabases.fresh();
        sql(source, "CREATE TABLE items (id bigint PRIMARY KEY, name text, price double precision, qty integer, active boolean,"
                        + " day date, at timestamp)",
                "INSERT INTO items SELECT g, 'item ' || g, g * 1.5, g % 10, g % 2 = 0, date '2024-01-01' + g,"
                        + " timestamp '2024-01-01 00:00' + g * interval '1 hour' FROM generate_series(1, 1200) g");
        dataSourceId = postgresSource("items-db", workspaceId, source);
        basePath = "shop" + System.nanoTime() % 100000;
        var g = admin.post("dataservice/api-groups", Map.of("name", "shop", "workspaceId", workspaceId, "basePath", basePath));
        assertThat(g.status()).as(g.toString()).isEqualTo(201);
        apiGroupId = g.id();
    }

    /** A VPC of {@code cidr} with a vSwitch in its first /24. */
    private static Fixtures.Network vpc(String name, String cidr) {
        var vpc = admin.post("vpcs", Map.of("name", name, "regionId", "local", "cidr", cidr));
        assertThat(vpc.status()).as(vpc.toString()).isEqualTo(201);
        var vsw = admin.post("vpcs/" + vpc.id() + "/vswitches", Map.of("name", name, "zoneId", "local-a",
                "cidr", cidr.replace(".0.0/16", ".1.0/24")));
        assertThat(vsw.status()).as(vsw.toString()).isEqualTo(201);
        return new Fixtures.Network(vpc.id(), vsw.id(), cidr);
    }

    /** Services outlive a server (work-preserving restart): stop them, or their processes outlive the test. */
    @AfterAll
    static void stopServer() throws Exception {
        if (server == null) {
            closeHosts();
            return;
        }
        try {
            for (String status : List.of("QUEUED", "STARTING", "RUNNING")) {
                for (JsonNode i : admin.get("instances?usageType=DATA_SERVICE&status=" + status + "&pageSize=1000").json().path("items")) {
                    admin.post("instances/" + i.path("id").asString() + "/cancel", null);
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                int active = 0;
                for (String status : List.of("QUEUED", "STARTING", "RUNNING")) {
                    active += admin.get("instances?usageType=DATA_SERVICE&status=" + status).json().path("items").size();
                }
                return active == 0;
            });
        } finally {
            server.close();
            server = null;
            closeHosts();
        }
    }

    private static void closeHosts() throws Exception {
        if (vpcPostgres != null) {
            vpcPostgres.close();
            vpcPostgres = null;
        }
        if (hosts != null) {
            hosts.close();
            hosts = null;
        }
    }

    static String postgresSource(String name, String ws, TestDatabases.Fresh db) {
        return fx.postgresDataSource(ws, name, db);
    }

    static Connection connect(TestDatabases.Fresh db) throws SQLException {
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    static void sql(TestDatabases.Fresh db, String... statements) throws SQLException {
        try (Connection c = connect(db); var st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    static long count(TestDatabases.Fresh db, String query) throws SQLException {
        try (Connection c = connect(db); var st = c.createStatement(); var rs = st.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A SCRIPT API body on the shared data source and group. */
    static Map<String, Object> script(String path, String sql, List<Map<String, Object>> parameters) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("apiGroupId", apiGroupId);
        body.put("name", path);
        body.put("path", path);
        body.put("method", "GET");
        body.put("mode", "SCRIPT");
        body.put("dataSourceId", dataSourceId);
        body.put("resourceGroupId", groupId);
        body.put("sql", sql);
        body.put("parameters", parameters);
        return body;
    }

    static Map<String, Object> param(String name, String type, boolean required) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("type", type);
        p.put("required", required);
        return p;
    }

    static String uniquePath(String prefix) {
        return prefix + "-" + (++seq);
    }

    /** Creates the API, tests it (waiting for the group's service to come up), publishes it; its id. */
    static String publish(Map<String, Object> body, Map<String, Object> testParams) {
        var created = admin.post("dataservice/apis", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        testUntilServed(id, testParams);
        var published = admin.post("dataservice/apis/" + id + "/publish", null);
        assertThat(published.status()).as(published.toString()).isEqualTo(200);
        return id;
    }

    /** Tests the API until its service answers (a first start takes a JVM's start). */
    static JsonNode testUntilServed(String id, Map<String, Object> params) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250)).until(() -> {
            var r = admin.post("dataservice/apis/" + id + "/test", Map.of("params", params));
            if (r.status() == 503) {
                return false;
            }
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            last[0] = r.json();
            return true;
        });
        return last[0];
    }

    static Map<String, Object> newApp(String name, String... apiIds) {
        var r = admin.post("dataservice/apps", Map.of("name", name));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        for (String api : apiIds) {
            var g = admin.put("dataservice/apps/" + r.id() + "/grants/" + api, null);
            assertThat(g.status()).as(g.toString()).isEqualTo(200);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> app = Json.MAPPER.convertValue(r.json(), Map.class);
        return app;
    }

    /** An answer of {@code /data/...}. */
    record Call(int status, JsonNode json, String retryAfter, String text) {
        String code() {
            return json.path("code").asString(null);
        }

        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    static String query(Map<String, String> params) {
        List<String> pairs = new ArrayList<>();
        params.forEach((k, v) -> pairs.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
    }

    static Call callWithCode(String appCode, String path, Map<String, String> params) {
        return send(HttpRequest.newBuilder(URI.create(server.url() + "/data/" + basePath + "/" + path + query(params)))
                .header("Authorization", "APPCODE " + appCode).GET());
    }

    /** Calls until the service answers something other than 503 (starting). */
    static Call callWhenServed(String appCode, String path, Map<String, String> params) {
        Call[] last = new Call[1];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250)).until(() -> {
            last[0] = callWithCode(appCode, path, params);
            return last[0].status() != 503;
        });
        return last[0];
    }

    /** The signature headers of a GET (or a POST with a body) as an app computes them. */
    static HttpRequest.Builder signed(String appKey, String appSecret, String method, String path, Map<String, String> params,
                                      byte[] body, long timestamp, String nonce) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        params.forEach((k, v) -> q.put(k, List.of(v)));
        String full = "/data/" + basePath + "/" + path;
        String toSign = DataServiceGateway.stringToSign(method, full, q, body, Long.toString(timestamp), nonce);
        String signature = Base64.getEncoder().encodeToString(DataServiceGateway.sign(appSecret, toSign));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + full + query(params)))
                .header("X-Srg-AppKey", appKey).header("X-Srg-Timestamp", Long.toString(timestamp))
                .header("X-Srg-Nonce", nonce).header("X-Srg-Signature", signature);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b;
    }

    static String nonce() {
        return UUID.randomUUID().toString();
    }

    static Call send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = CLIENT.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json;
            try {
                json = r.body().isEmpty() ? Json.MAPPER.missingNode() : Json.MAPPER.readTree(r.body());
            } catch (RuntimeException e) {
                json = Json.MAPPER.missingNode();
            }
            return new Call(r.statusCode(), json, r.headers().firstValue("Retry-After").orElse(null), r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
