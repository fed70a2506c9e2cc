package dev.srg.execution;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What to run for one instance.
 *
 * @param instanceId unique, also a directory name: letters, digits, {@code . _ -}, not starting with {@code .}
 * @param kind how the script is interpreted
 * @param script the script text
 * @param milliCu the compute of the instance in thousandths of a CU (1 CU = 1 core + 4 GiB)
 * @param timeout wall-clock limit, enforced even while the server is down
 * @param env the task's extra environment; the task gets nothing of the server's environment
 */
public record LaunchSpec(
        String instanceId, TaskKind kind, String script, long milliCu, Duration timeout, Map<String, String> env) {

    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public LaunchSpec {
        requireNonNull(instanceId, "instanceId is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(script, "script is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(env, "env is null");
        requireValidInstanceId(instanceId);
        if (milliCu <= 0) {
            throw new IllegalArgumentException("milliCu must be positive: " + milliCu);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        env.forEach((name, value) -> {
            if (!ENV_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid environment variable name: " + name);
            }
            if (value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment variable " + name + " contains NUL");
            }
        });
        env = Map.copyOf(env);
    }

    /** Throws unless {@code instanceId} is usable as an instance id (and so as a directory name). */
    public static void requireValidInstanceId(String instanceId) {
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("invalid instance id: " + instanceId);
        }
    }
}
