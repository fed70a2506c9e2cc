package dev.srg.connectivity;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.datasource.DataSourceInfo;
import dev.srg.datasource.DataSourceType;
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
import java.util.function.BiFunction;
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
    /** A data source the caller may use (404 where not a member of its workspace); null: tests of host and port only. */
    private final BiFunction<Principal, String, DataSourceInfo> dataSources;

    public ConnectivityTests(Jdbi jdbi, InstanceManager instances, Function<String, NetworkContext> networks) {
        this(jdbi, instances, networks, null);
    }

    public ConnectivityTests(Jdbi jdbi, InstanceManager instances, Function<String, NetworkContext> networks,
                             BiFunction<Principal, String, DataSourceInfo> dataSources) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.instances = requireNonNull(instances, "instances is null");
        this.networks = requireNonNull(networks, "networks is null");
        this.dataSources = dataSources;
    }

    /** The request body: a host and a port (or, with data sources, a dataSourceId), in a workspace. */
    public record Request(String host, Integer port, String dataSourceId, String workspaceId) {}

    /** The answer; {@code reason} is null when reachable. */
    public record Result(boolean reachable, NetworkPolicy.Path path, String reason, String resolvedAddress,
                         Long latencyMillis, String instanceId, boolean networkEnforced) {}

    public Result test(Principal caller, String groupId, Request request) {
        requireNonNull(request, "request is null");
        if (request.dataSourceId() != null) {
            return testDataSource(caller, groupId, request);
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

    /**
     * SPEC DI-1: a data source's test, for a caller who may use it (a member of its workspace, or a
     * platform administrator; anyone else gets 404 as if it did not exist), run in its workspace:
     * a database's host and port from inside the group's network; a CSV directory's existence and
     * rights as the task's own user sees them on the group's machines.
     */
    private Result testDataSource(Principal caller, String groupId, Request request) {
        if (dataSources == null) {
            throw SrgException.invalid("dataSourceId", "InvalidParameter.DataSourceId",
                    "this server has no data sources; give host and port");
        }
        if (request.host() != null || request.port() != null) {
            throw SrgException.invalid(request.host() != null ? "host" : "port", "InvalidParameter.ConnectivityTest.Target",
                    "give a dataSourceId, or a host and a port, not both");
        }
        DataSourceInfo ds = dataSources.apply(caller, request.dataSourceId());
        if (request.workspaceId() != null && !request.workspaceId().equals(ds.workspaceId())) {
            throw SrgException.invalid("workspaceId", "InvalidParameter.ConnectivityTest.Workspace", "data source '" + ds.id()
                    + "' belongs to workspace '" + ds.workspaceId() + "': its test runs there");
        }
        if (ds.type() != DataSourceType.CSV) {
            return test(caller, groupId, Optional.of(ds.workspaceId()), ds.host(), ds.port());
        }
        String dir = "'" + ds.path().replace("'", "'\\''") + "'";
        String script = "d=" + dir + "\n"
                + "if [ ! -d \"$d\" ]; then echo result=missing; elif [ -r \"$d\" ] && [ -x \"$d\" ]; then\n"
                + "  if [ -w \"$d\" ]; then echo result=writable; else echo result=readable; fi\n"
                + "else echo result=denied; fi\n"
                // whether it is its workspace's alone: of the workspace's group, nothing for others (docs/data-integration.md)
                + "if [ -d \"$d\" ] && [ -n \"${SRG_WORKSPACE_GID:-}\" ]; then\n"
                + "  m=$(stat -c '%g %A' \"$d\"); case \"$m\" in \"$SRG_WORKSPACE_GID \"???????---) echo closed=yes;;"
                + " *) echo closed=\"no $SRG_WORKSPACE_GID\";; esac\n"
                + "fi\n";
        SubmitRequest submit = new SubmitRequest(ds.workspaceId(), groupId, "SHELL", script, null, ConnectivityTestKind.CU, 10,
                30, null, "connectivity test of data source " + ds.name(), null);
        InstanceInfo instance = instances.submit(caller, submit, Map.of("script", script));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!instance.status().isFinal() && System.nanoTime() < deadline) {
            sleep();
            instance = instances.get(caller, instance.id());
        }
        boolean enforced = instance.enforcement() != null && instance.enforcement().network().enforced();
        String log = new String(instances.log(caller, instance.id(), 0, 64 * 1024).bytes(), StandardCharsets.UTF_8);
        String result = log.lines().filter(l -> l.startsWith("result=")).map(l -> l.substring(7).strip()).findFirst().orElse("");
        String where = "directory " + ds.path() + " on the group's machines (no network path)";
        // reachable, but open to other workspaces' tasks too: say how to make it this workspace's alone
        String open = log.lines().filter(l -> l.startsWith("closed=no ")).map(l -> where + " is open to other workspaces' tasks"
                + " too; to make it this workspace's alone: chgrp " + l.substring(10).strip() + " " + ds.path() + " && chmod 2770 "
                + ds.path()).findFirst().orElse(null);
        return switch (result) {
            case "writable" -> new Result(true, NetworkPolicy.Path.NONE, open, null, null, instance.id(), enforced);
            case "readable" -> new Result(true, NetworkPolicy.Path.NONE, where + ": readable by the task's user but not writable, so"
                    + " a txtfile writer cannot write there" + (open == null ? "" : "; it" + open.substring(where.length())),
                    null, null, instance.id(), enforced);
            case "missing" -> new Result(false, NetworkPolicy.Path.NONE, where + " does not exist", null, null, instance.id(), enforced);
            case "denied" -> new Result(false, NetworkPolicy.Path.NONE, where + " exists, but the task's user may not read it"
                    + " (tasks run as unprivileged users of their own, in their workspace's group: make the directory that group's,"
                    + " chgrp <the workspace's taskGid> and chmod 2770, or readable and searchable by others)",
                    null, null, instance.id(), enforced);
            default -> new Result(false, NetworkPolicy.Path.NONE, "the test could not run: " + instance.status()
                    + (instance.failureReason() == null ? "" : " (" + instance.failureReason() + ")"), null, null, instance.id(), enforced);
        };
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
