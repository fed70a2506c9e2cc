package dev.srg.cli;

import static dev.srg.cli.Column.count;
import static dev.srg.cli.Column.field;
import static dev.srg.cli.Column.joined;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import tools.jackson.databind.JsonNode;

@Command(name = "ws", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "Workspaces: members and the resource groups their tasks use.")
final class WorkspaceCommands extends ClientCommand {
    static final View WORKSPACE = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("REGION", "regionId"), field("DEFAULT-RG", "defaultResourceGroupId"),
                    count("RESOURCE-GROUPS", "resourceGroupIds"), count("MEMBERS", "members")),
            List.of(joined("GROUPS", "resourceGroupIds"),
                    new Column("MEMBER-ROLES", w -> members(w, false), w -> members(w, true)),
                    field("TASK-GID", "taskGid"), Column.time("CREATED", "createdAt")));

    /**
     * {@code alice DEVELOPER, bob VISITOR}: each user by the name the answer carries (no request more), and on one workspace's
     * page the id beside it; the id alone when the answer has no name. {@code -o json} keeps the ids.
     */
    private static String members(JsonNode workspace, boolean withId) {
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode m : workspace.path("members")) {
            String id = m.path("userId").asString();
            String name = m.path("userName").asString(null);
            out.add((name == null ? id : withId ? name + " (" + id + ")" : name) + " " + m.path("role").asString());
        }
        return out.isEmpty() ? null : String.join(", ", out);
    }

    @Command(name = "create", description = "Create a workspace (you become its ADMIN).")
    void create(@Option(names = "--name", required = true, paramLabel = "NAME") String name,
                @Option(names = "--region", required = true, paramLabel = "REGION_ID") String region,
                @Option(names = "--default-rg", paramLabel = "RG", description = "associate this group and make it the default")
                String defaultRg,
                @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken) {
        out().one(api().post(API + "/workspaces", body("name", name, "regionId", region, "defaultResourceGroupId", defaultRg,
                "clientToken", clientToken)), WORKSPACE);
    }

    @Command(name = "list", description = "List the workspaces you can see.")
    void list(@Mixin ListOptions page) {
        printList(API + "/workspaces", Map.of(), page, WORKSPACE);
    }

    @Command(name = "get", description = "Show a workspace with its members and resource groups.")
    void get(@Parameters(paramLabel = "WS") String id) {
        out().one(api().get(path("/workspaces/%s", id)), WORKSPACE);
    }

    @Command(name = "use", description = "Make a workspace the default of later commands (srg run ...): saved in the login profile.")
    void use(@Parameters(paramLabel = "WS") String id) {
        ApiClient api = api();
        Profile profile = Profile.load(env).filter(p -> p.url().equals(api.baseUrl()))
                .orElseThrow(() -> new CliException(ClientCommands.USAGE, "no login profile for " + api.baseUrl()
                        + ": run 'srg login' first (or set SRG_WORKSPACE)"));
        JsonNode ws = api.get(path("/workspaces/%s", id));
        profile.withWorkspace(ws.path("id").asString()).save(env);
        out().done("Commands now use workspace " + ws.path("name").asString() + " (" + ws.path("id").asString() + ") by default");
    }

    @Command(name = "rename", description = "Rename a workspace (workspace ADMIN only).")
    void rename(@Parameters(paramLabel = "WS") String id, @Option(names = "--name", required = true, paramLabel = "NAME") String name) {
        out().one(api().patch(path("/workspaces/%s", id), body("name", name)), WORKSPACE);
    }

    @Command(name = "member-set", description = "Add a member or change their role (workspace ADMIN only).")
    void memberSet(@Parameters(paramLabel = "WS") String id, @Parameters(paramLabel = "USER") String userId,
                   @Option(names = "--role", required = true, paramLabel = "ADMIN|DEVELOPER|OPERATOR|VISITOR") String role) {
        out().one(api().put(path("/workspaces/%s/members/%s", id, userId), body("role", role.toUpperCase(Locale.ROOT))), WORKSPACE);
    }

    @Command(name = "member-remove", description = "Remove a member (workspace ADMIN only).")
    void memberRemove(@Parameters(paramLabel = "WS") String id, @Parameters(paramLabel = "USER") String userId) {
        api().delete(path("/workspaces/%s/members/%s", id, userId));
        out().done("Removed " + userId + " from workspace " + id);
    }

    @Command(name = "associate", description = "Let the workspace's tasks use a resource group (workspace ADMIN only).")
    void associate(@Parameters(paramLabel = "WS") String id, @Parameters(paramLabel = "RG") String groupId) {
        out().one(api().post(path("/workspaces/%s/resource-groups", id), body("resourceGroupId", groupId)), WORKSPACE);
    }

    @Command(name = "dissociate", description = "Stop the workspace from using a resource group (workspace ADMIN only).")
    void dissociate(@Parameters(paramLabel = "WS") String id, @Parameters(paramLabel = "RG") String groupId) {
        api().delete(path("/workspaces/%s/resource-groups/%s", id, groupId));
        out().done("Dissociated resource group " + groupId + " from workspace " + id);
    }

    @Command(name = "set-default", description = "Choose the resource group tasks use when they name none (workspace ADMIN only).")
    void setDefault(@Parameters(paramLabel = "WS") String id, @Parameters(paramLabel = "RG") String groupId) {
        out().one(api().patch(path("/workspaces/%s", id), body("defaultResourceGroupId", groupId)), WORKSPACE);
    }
}
