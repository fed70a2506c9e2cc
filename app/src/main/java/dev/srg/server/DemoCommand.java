package dev.srg.server;

import dev.srg.cli.ApiClient;
import dev.srg.cli.ApiClient.ApiException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code srg demo}: starts the server (embedded PostgreSQL in the data directory) and fills it,
 * through the public API, with demo users, a VPC, a resource group and a workspace. Running it
 * again reuses what the first run created.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the server with demo data (users, a VPC, a resource group, a workspace).")
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    ServerOptions options;

    @Option(names = "--exit", description = "Create the demo data, print how to use it, then stop (for scripts).")
    boolean exit;

    @Override
    public Integer call() throws Exception {
        // a published password for a user who can buy: reachable from this machine only unless asked
        SrgServer server = ServerCommand.start(options, "127.0.0.1");
        if (server == null) {
            return 2;
        }
        ServerConfig cfg = server.config();
        try {
            String token = Files.readString(cfg.dataDir().resolve("admin.token")).strip();
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port(), token);
            String workspace = seed(api);
            System.out.println("""

                    Demo data is ready: user 'alice' (buyer, workspace admin), VPC 'demo-vpc', subscription group
                    'demo-group' (4 CU) and workspace 'demo' (%s) that uses it by default.
                    Console: http://localhost:%d/ — sign in as alice / alice-demo-password, or paste the admin token.
                    CLI:
                      export SRG_URL=http://localhost:%d SRG_TOKEN=$(cat %s)
                      ./srg rg list
                      ./srg run -w demo --cu 0.5 --follow 'echo hello from srg; nproc'
                      ./srg instance list
                    %s""".formatted(workspace, server.port(), server.port(), cfg.dataDir().resolve("admin.token"),
                    exit ? "(--exit: stopping now; the data stays in " + cfg.dataDir() + ")" : "Stop with Ctrl-C."));
        } catch (ApiException e) {
            System.err.println("srg demo: " + e.code() + ": " + e.getMessage());
            server.close();
            return 1;
        }
        if (exit) {
            server.close();
            return 0;
        }
        ServerCommand.runUntilStopped(server);
        return 0;
    }

    /** Creates what is missing; returns the demo workspace's id. */
    private static String seed(ApiClient api) {
        if (find(api, "/users", "name", "alice") == null) {
            api.post("/api/v1/users", Map.of("name", "alice", "password", "alice-demo-password",
                    "policies", List.of("OrderAccess", "ResourceGroupFullAccess", "VpcReadOnlyAccess")));
        }
        JsonNode vpc = find(api, "/vpcs", "name", "demo-vpc");
        if (vpc == null) {
            vpc = api.post("/api/v1/vpcs", Map.of("name", "demo-vpc", "regionId", "local", "cidr", "10.0.0.0/16"));
            api.post("/api/v1/vpcs/" + vpc.get("id").asString() + "/vswitches",
                    Map.of("name", "demo-vsw-a", "zoneId", "local-a", "cidr", "10.0.1.0/24"));
            vpc = api.get("/api/v1/vpcs/" + vpc.get("id").asString());
        }
        JsonNode group = find(api, "/resource-groups", "name", "demo-group");
        if (group == null) {
            group = api.post("/api/v1/resource-groups", Map.of("name", "demo-group", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 4, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "autoRenew", true, "vpcId", vpc.get("id").asString(),
                    "vswitchId", vpc.get("vswitches").get(0).get("id").asString()));
        }
        JsonNode existing = find(api, "/workspaces", "name", "demo");
        if (existing != null) {
            return existing.get("id").asString();
        }
        JsonNode ws = api.post("/api/v1/workspaces", Map.of("name", "demo", "regionId", "local",
                "defaultResourceGroupId", group.get("id").asString()));
        String alice = find(api, "/users", "name", "alice").get("id").asString();
        api.put("/api/v1/workspaces/" + ws.get("id").asString() + "/members/" + alice, Map.of("role", "ADMIN"));
        return ws.get("id").asString();
    }

    private static JsonNode find(ApiClient api, String path, String field, String value) {
        String pageToken = null;
        do {
            JsonNode page = api.get("/api/v1" + path, java.util.Collections.singletonMap("pageToken", pageToken));
            for (JsonNode item : page.get("items")) {
                if (value.equals(item.path(field).asString())) {
                    return item;
                }
            }
            pageToken = page.hasNonNull("nextPageToken") ? page.get("nextPageToken").asString() : null;
        } while (pageToken != null);
        return null;
    }
}
