package dev.srg.cli;

import static dev.srg.cli.Column.field;
import static dev.srg.cli.Column.joined;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

@Command(name = "user", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, description = "Users, their policies and tokens.")
final class UserCommands extends ClientCommand {
    private static final String POLICIES = "AdministratorAccess, OrderAccess, ResourceGroupFullAccess, VpcReadOnlyAccess, "
            + "VpcFullAccess, ServiceLinkedRoleAccess";
    /** TOKEN is a detail: the server sends it only right after creating one, and then it must be shown. */
    static final View USER = new View(List.of(field("ID", "id"), field("NAME", "name"), joined("POLICIES", "policies"),
            Column.time("CREATED", "createdAt")), List.of(field("TOKEN", "token")));

    static final View TOKEN = new View(List.of(field("ID", "id"), Column.time("CREATED", "createdAt"),
            Column.time("REVOKED", "revokedAt")), List.of());

    @Command(name = "create", description = "Create a user; its token is printed once.")
    void create(@Option(names = "--name", required = true, paramLabel = "NAME") String name,
                @Option(names = "--policy", required = true, paramLabel = "POLICY", description = POLICIES) List<String> policies,
                @Option(names = "--password-stdin", description = "read a console password from standard input") boolean passwordStdin,
                @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken) {
        String password = passwordStdin ? readStdinLine("password") : null;
        out().one(api().post(API + "/users", body("name", name, "policies", policies, "password", password,
                "clientToken", clientToken)), USER);
    }

    @Command(name = "list", description = "List users.")
    void list(@Mixin ListOptions page) {
        printList(API + "/users", Map.of(), page, USER);
    }

    @Command(name = "get", description = "Show a user.")
    void get(@Parameters(paramLabel = "USER") String id) {
        out().one(api().get(path("/users/%s", id)), USER);
    }

    @Command(name = "policies", description = "Replace a user's policies.")
    void policies(@Parameters(paramLabel = "USER") String id,
                  @Option(names = "--policy", required = true, paramLabel = "POLICY", description = POLICIES) List<String> policies) {
        out().one(api().put(path("/users/%s/policies", id), body("policies", policies)), USER);
    }

    @Command(name = "token", description = "Issue a new token for a user; it is printed once.")
    void token(@Parameters(paramLabel = "USER") String id) {
        out().one(api().post(path("/users/%s/tokens", id), null), USER);
    }

    @Command(name = "tokens", description = "List a user's tokens (their ids and times; never the tokens).")
    void tokens(@Parameters(paramLabel = "USER") String id, @Mixin ListOptions page) {
        printList(path("/users/%s/tokens", id), Map.of(), page, TOKEN);
    }

    @Command(name = "revoke-token", description = "Revoke a user's token: it authenticates nothing from now on.")
    void revokeToken(@Parameters(index = "0", paramLabel = "USER") String id,
                     @Parameters(index = "1", paramLabel = "TOKEN_ID") String tokenId) {
        api().delete(path("/users/%s/tokens/%s", id, tokenId));
        out().done("Revoked token " + tokenId + " of " + id);
    }

    @Command(name = "password", description = "Set a user's console password, read from standard input.")
    void password(@Parameters(paramLabel = "USER") String id) {
        String password = readStdinLine("password");
        api().put(path("/users/%s/password", id), body("password", password));
        out().done("Set the console password of " + id);
    }
}
