package dev.srg.execution;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to run for one launch of an instance, with the context it runs in.
 *
 * @param instanceId the launch's id: unique, also a directory name (letters, digits, {@code . _ -},
 *     not starting with {@code .}); the instance id, or {@code <instanceId>.r<n>} for the n-th restart
 *     of a service, so that each run is guarded at most once on its own
 * @param kindName the name of the kind that built the command (for logs)
 * @param command what runs, as the kind built it
 * @param limits the compute of its CUs (ADM-7)
 * @param timeout wall-clock limit, enforced even while the server is down; {@link Duration#ZERO} for
 *     none (services run until stopped)
 * @param env the task's extra environment; the task gets nothing of the server's environment
 * @param network the group's networks (what a network-enforcing backend confines it to)
 * @param imageId the custom image it runs in, if any (RT-1)
 */
public record LaunchSpec(
        String instanceId, String kindName, LaunchCommand command, ResourceLimits limits, Duration timeout,
        Map<String, String> env, NetworkContext network, Optional<String> imageId) {

    /**
     * The environment variable that carries the task's workspace gid (V44_1): a backend that runs
     * tasks as uids of their own makes it the task's one supplementary group; the task sees it too.
     */
    public static final String WORKSPACE_GID = "SRG_WORKSPACE_GID";

    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public LaunchSpec {
        requireNonNull(instanceId, "instanceId is null");
        requireNonNull(kindName, "kindName is null");
        requireNonNull(command, "command is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(env, "env is null");
        requireNonNull(network, "network is null");
        requireNonNull(imageId, "imageId is null");
        requireValidInstanceId(instanceId);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        Map<String, String> all = new java.util.LinkedHashMap<>(command.env());
        all.putAll(env);
        all.forEach((name, value) -> {
            if (!ENV_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid environment variable name: " + name);
            }
            if (value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment variable " + name + " contains NUL");
            }
        });
        env = Map.copyOf(env);
    }

    /** A script task of a kind (tests and tools): no network context, no image. */
    public LaunchSpec(String instanceId, TaskKind kind, String script, long milliCu, Duration timeout, Map<String, String> env) {
        this(instanceId, kind.name(), kind.command(Map.of("script", requireNonNull(script, "script is null"))),
                new ResourceLimits(milliCu), requirePositive(timeout), env, NetworkContext.NONE, Optional.empty());
    }

    private static Duration requirePositive(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        return timeout;
    }

    public long milliCu() {
        return limits.milliCu();
    }

    /** Whether the run has a timeout (services have none). */
    public boolean hasTimeout() {
        return !timeout.isZero();
    }

    /** The environment of the task: the command's, then the spec's (which wins). */
    public Map<String, String> taskEnv() {
        Map<String, String> all = new java.util.LinkedHashMap<>(command.env());
        all.putAll(env);
        return all;
    }

    /** Throws unless {@code instanceId} is usable as an instance id (and so as a directory name). */
    public static void requireValidInstanceId(String instanceId) {
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("invalid instance id: " + instanceId);
        }
    }
}
