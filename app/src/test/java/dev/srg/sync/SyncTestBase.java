package dev.srg.sync;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.local.LocalBackendConfig;
import dev.srg.server.ServerConfig;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import tools.jackson.databind.JsonNode;

/**
 * A real server for sync tests, a group and a workspace, and real databases to copy between. As
 * root (SPEC DI-8): the group is bound to a VPC, networks are enforced, and the databases live on
 * a test host inside that VPC ({@link SyncTestHosts}), as a user's would. Elsewhere the databases
 * are on the host's loopback, which an enforced network never lets a task reach, so the server
 * runs with {@code --network-enforcement off} and the instances say so (SPEC RT-3).
 */
abstract class SyncTestBase {
    protected static TestServer server;
    protected static Fixtures fx;
    protected static TestHttp admin;
    protected static String groupId;
    protected static String workspaceId;
    /** Whether the databases are on the test host in the group's VPC and the network is enforced. */
    protected static boolean inVpc;

    /** The one place the sync tests configure their server. */
    static UnaryOperator<ServerConfig> serverConfig() {
        return SyncTestHosts.available() ? UnaryOperator.identity()
                : cfg -> cfg.withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement.OFF);
    }

    @BeforeAll
    static void startServer() throws Exception {
        inVpc = SyncTestHosts.available();
        server = TestServer.start(serverConfig());
        fx = new Fixtures(server);
        admin = server.admin();
        if (inVpc) {
            SyncTestHosts.postgres();
            var vpc = admin.post("vpcs", Map.of("name", "sync", "regionId", "local", "cidr", SyncTestHosts.VPC_CIDR));
            var vsw = admin.post("vpcs/" + vpc.id() + "/vswitches", Map.of("name", "sync", "zoneId", "local-a",
                    "cidr", SyncTestHosts.VSWITCH_CIDR));
            var created = admin.post("resource-groups", fx.subscriptionBody(new Fixtures.Network(vpc.id(), vsw.id(),
                    SyncTestHosts.VPC_CIDR), 8));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            groupId = created.id();
        } else {
            groupId = fx.subscriptionGroup(8).get("id").asString();
        }
        fx.awaitRunning(groupId);
        workspaceId = fx.workspace(groupId).get("id").asString();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** A fresh PostgreSQL database with a data source of the workspace named {@code name}. */
    static TestDatabases.Fresh postgresSource(String name) {
        TestDatabases.Fresh db;
        try {
            db = inVpc ? SyncTestHosts.postgres().fresh() : TestDatabases.fresh();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return dataSource(name, db);
    }

    /** A data source of the workspace named {@code name} for database {@code db}. */
    static TestDatabases.Fresh dataSource(String name, TestDatabases.Fresh db) {
        fx.postgresDataSource(workspaceId, name, db);
        return db;
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

    static Map<String, Object> task(Map<String, Object> sync, double cu) {
        Map<String, Object> body = new HashMap<>();
        body.put("workspaceId", workspaceId);
        body.put("type", "DATA_INTEGRATION");
        body.put("cu", cu);
        body.put("sync", sync);
        body.put("timeoutSeconds", 300);
        return body;
    }

    static JsonNode awaitFinished(String instanceId) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = admin.get("instances/" + instanceId).json();
            String s = last[0].path("status").asString();
            return s.equals("SUCCEEDED") || s.equals("FAILED") || s.equals("TIMED_OUT") || s.equals("CANCELLED");
        });
        return last[0];
    }

    static String log(String instanceId) {
        return admin.get("instances/" + instanceId + "/log").text();
    }

    /** The worker's pid: the java process whose working directory is the instance's home. */
    static long workerPid(String instanceId) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                    String cwd = Files.readSymbolicLink(p.resolve("cwd")).toString();
                    if (cmdline.contains(SyncMain.class.getName()) && cwd.contains(instanceId)) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        throw new IllegalStateException("no worker of " + instanceId);
    }
}
