package dev.srg.cluster;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * How a server takes part in a cluster of servers on one PostgreSQL (SPEC HA-1). Every server does:
 * alone on its database it simply holds the lease.
 *
 * @param lease how long a lease lasts without renewal: the longest a dead leader keeps the others
 *     waiting (failover takes about this plus a second); renewed every third of it
 * @param address how the other servers and operators reach this one (shown by {@code GET /cluster});
 *     null: {@code http://<host name>:<port>}
 * @param taskDirectory where the local backend keeps its tasks, when not in the runtime directory:
 *     the servers of a cluster on one machine (or on a shared file system) must share it, so that a
 *     new leader re-attaches to the tasks the old one started (null: the runtime directory's)
 */
public record ClusterConfig(Duration lease, String address, Path taskDirectory) {
    public static final Set<String> KEYS = Set.of("cluster-lease-seconds", "cluster-address", "task-dir");
    public static final ClusterConfig DEFAULTS = new ClusterConfig(Duration.ofSeconds(6), null, null);

    public ClusterConfig {
        requireNonNull(lease, "lease is null");
        if (lease.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("the lease must last at least 2 s");
        }
    }

    /** How often the leader renews, and every server says it is alive. */
    public Duration renewEvery() {
        return lease.dividedBy(3);
    }

    /**
     * How often followers look whether the leader is gone (its lease ran out, or it has no session
     * left in the database): half a second, so a dead leader is replaced that long after the
     * database noticed, not a renewal period later.
     */
    public Duration lookEvery() {
        Duration half = Duration.ofMillis(500);
        return renewEvery().compareTo(half) < 0 ? renewEvery() : half;
    }

    /** Reads the settings (flags, environment, file: {@code get}); problems are added to {@code problems}. */
    public static ClusterConfig resolve(Function<String, String> get, List<String> problems) {
        Duration lease = DEFAULTS.lease();
        String seconds = get.apply("cluster-lease-seconds");
        if (seconds != null && !seconds.isEmpty()) {
            try {
                int s = Integer.parseInt(seconds.strip());
                if (s < 2 || s > 60) {
                    problems.add("cluster-lease-seconds must be 2 to 60, got " + s);
                } else {
                    lease = Duration.ofSeconds(s);
                }
            } catch (NumberFormatException e) {
                problems.add("cluster-lease-seconds must be a number, got '" + seconds + "'");
            }
        }
        String address = get.apply("cluster-address");
        if (address != null && !address.isEmpty() && !address.matches("https?://[^\\s/]+(/\\S*)?")) {
            problems.add("cluster-address must be an http(s) URL, got '" + address + "'");
        }
        String dir = get.apply("task-dir");
        return new ClusterConfig(lease, address == null || address.isEmpty() ? null : address,
                dir == null || dir.isEmpty() ? null : Path.of(dir).toAbsolutePath().normalize());
    }
}
