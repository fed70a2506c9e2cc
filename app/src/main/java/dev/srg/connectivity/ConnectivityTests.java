package dev.srg.connectivity;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.execution.NetworkContext;
import dev.srg.network.Cidr;
import dev.srg.network.NetworkPolicy;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager;
import dev.srg.task.SubmitRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code POST /resource-groups/{id}/connectivity-tests} (SPEC NET-8, DI-1): runs a
 * {@link ConnectivityTestKind} instance on the group, in a workspace the group is associated
 * with, waits for it, and answers whether the connection was made, by which path (from the same
 * {@link NetworkPolicy} that writes the task's firewall rules) and, when not, why in words a user
 * can act on. A data source's test (issue 13) resolves the data source to a host and port in its
 * workspace and calls {@link #test(Principal, String, Optional, String, int)}.
 */
public final class ConnectivityTests {
    /** How long a test may wait for its turn and run before the answer says it is still going. */
    static final Duration WAIT = Duration.ofSeconds(60);

    private final Jdbi jdbi;
    private final InstanceManager instances;
    private final Function<String, NetworkContext> networks;

    public ConnectivityTests(Jdbi jdbi, InstanceManager instances, Function<String, NetworkContext> networks) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.instances = requireNonNull(instances, "instances is null");
        this.networks = requireNonNull(networks, "networks is null");
    }

    /** The request body: a host and a port (or, with data sources, a dataSourceId), in a workspace. */
    public record Request(String host, Integer port, String dataSourceId, String workspaceId) {}

    /** The answer; {@code reason} is null when reachable. */
    public record Result(boolean reachable, NetworkPolicy.Path path, String reason, String resolvedAddress,
                         Long latencyMillis, String instanceId, boolean networkEnforced) {}

    public Result test(Principal caller, String groupId, Request request) {
        requireNonNull(request, "request is null");
        if (request.dataSourceId() != null) {
            throw SrgException.invalid("dataSourceId", "InvalidParameter.DataSourceId",
                    "testing a data source needs data sources, which this server does not have yet; give host and port");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        if (request.host() != null) {
            fields.put("host", request.host());
        }
        if (request.port() != null) {
            fields.put("port", request.port());
        }
        new ConnectivityTestKind().payload(fields); // the field errors before anything else
        return test(caller, groupId, Optional.ofNullable(request.workspaceId()), request.host(), request.port());
    }

    /** A test of {@code host:port} from group {@code groupId}, run in {@code workspaceId} or one the caller belongs to. */
    public Result test(Principal caller, String groupId, Optional<String> workspaceId, String host, int port) {
        String workspace = workspaceId.orElseGet(() -> workspaceFor(caller, groupId));
        SubmitRequest submit = new SubmitRequest(workspace, groupId, ConnectivityTestKind.NAME, null, null, ConnectivityTestKind.CU,
                10, ConnectivityTestKind.CONNECT_TIMEOUT_SECONDS + 25, null, "connectivity test " + host + ":" + port, null);
        InstanceInfo instance = instances.submit(caller, submit, Map.of("host", host, "port", port));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!instance.status().isFinal() && System.nanoTime() < deadline) {
            sleep();
            instance = instances.get(caller, instance.id());
        }
        NetworkPolicy policy = NetworkPolicy.of(networks.apply(groupId));
        boolean enforced = instance.enforcement() != null && instance.enforcement().network().enforced();
        if (!instance.status().isFinal()) {
            return new Result(false, NetworkPolicy.Path.NONE, "the test has not finished within " + WAIT.toSeconds()
                    + " s (status " + instance.status() + "); see instance " + instance.id(), null, null, instance.id(), enforced);
        }
        Map<String, String> out = parse(new String(instances.log(caller, instance.id(), 0, 64 * 1024).bytes(), StandardCharsets.UTF_8));
        if (!out.containsKey("result")) {
            return new Result(false, NetworkPolicy.Path.NONE, "the test could not run: " + instance.status()
                    + (instance.failureReason() == null ? "" : " (" + instance.failureReason() + ")"), null, null, instance.id(), enforced);
        }
        return answer(policy, host, port, out, instance.id(), enforced);
    }

    static Result answer(NetworkPolicy policy, String host, int port, Map<String, String> out, String instanceId, boolean enforced) {
        String address = out.getOrDefault("resolved", "");
        if (address.isEmpty() || out.get("result").equals("unresolved")) {
            String why = "'" + host + "' does not resolve: no A record for it in a private zone attached to the group's VPCs"
                    + (policy.internetVia().isPresent() ? ", and the upstream resolver does not know it"
                    : ", and names outside the private zones resolve only with internet access (a NAT gateway with an EIP)");
            return new Result(false, NetworkPolicy.Path.NONE, why, null, null, instanceId, enforced);
        }
        NetworkPolicy.Verdict verdict;
        try {
            verdict = policy.verdict(Cidr.parseAddress("host", address));
        } catch (SrgException e) {
            return new Result(false, NetworkPolicy.Path.NONE, "'" + host + "' resolved to '" + address + "', not an IPv4 address",
                    address, null, instanceId, enforced);
        }
        Long latency = out.containsKey("latency_us") ? Math.max(0, Long.parseLong(out.get("latency_us"))) / 1000 : null;
        String target = address + ":" + port;
        switch (out.get("result")) {
            case "open" -> {
                if (!verdict.allowed()) {
                    return new Result(true, NetworkPolicy.Path.NONE, "connected only because this backend does not enforce "
                            + "networks; with enforcement: " + verdict.reason(), address, latency, instanceId, enforced);
                }
                return new Result(true, verdict.path(), null, address, latency, instanceId, enforced);
            }
            case "timeout" -> {
                return new Result(false, verdict.allowed() ? verdict.path() : NetworkPolicy.Path.NONE,
                        verdict.allowed() ? "timed out after " + ConnectivityTestKind.CONNECT_TIMEOUT_SECONDS + " s connecting to "
                                + target + " (" + verdict.reason() + "; is the host up, and does its firewall let the group in?)"
                                : verdict.reason(), address, null, instanceId, enforced);
            }
            default -> {
                String error = out.getOrDefault("error", "failed");
                if (!verdict.allowed()) {
                    return new Result(false, NetworkPolicy.Path.NONE, verdict.reason(), address, null, instanceId, enforced);
                }
                String reason = error.toLowerCase(java.util.Locale.ROOT).contains("refused")
                        ? "connection refused by " + target + ": nothing listens on that port"
                        : error + " connecting to " + target;
                return new Result(false, verdict.path(), reason, address, null, instanceId, enforced);
            }
        }
    }

    static Map<String, String> parse(String log) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : log.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && List.of("resolved", "result", "latency_us", "error").contains(line.substring(0, eq))) {
                out.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return out;
    }

    /** A workspace the group is associated with where the caller may run tasks (a member's first, then any for an administrator). */
    private String workspaceFor(Principal caller, String groupId) {
        boolean exists = jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM resource_groups WHERE id = :g")
                .bind("g", groupId).mapTo(Long.class).one()) > 0;
        if (!exists) {
            throw SrgException.notFound("ResourceGroup", groupId);
        }
        Optional<String> workspace = jdbi.withHandle(h -> h.createQuery("""
                SELECT a.workspace_id FROM workspace_resource_groups a
                  LEFT JOIN workspace_members m ON m.workspace_id = a.workspace_id AND m.user_id = :user
                 WHERE a.resource_group_id = :g AND (m.user_id IS NOT NULL OR :admin)
                 ORDER BY (m.user_id IS NULL), a.associated_at, a.workspace_id LIMIT 1""")
                .bind("g", groupId).bind("user", caller.userId()).bind("admin", caller.isAdministrator())
                .mapTo(String.class).findOne());
        return workspace.orElseThrow(() -> SrgException.invalid("workspaceId", "InvalidParameter.ResourceGroup.NoWorkspace",
                "a connectivity test runs as a task in a workspace: associate group '" + groupId
                        + "' with a workspace you are a member of, or name one in workspaceId"));
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
