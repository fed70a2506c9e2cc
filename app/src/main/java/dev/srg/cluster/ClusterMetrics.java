package dev.srg.cluster;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** What {@code /metrics} says of the cluster: whether this server leads, in which epoch, and how its lease fares (docs/cluster.md). */
public final class ClusterMetrics {
    private ClusterMetrics() {}

    public static void register(MeterRegistry registry, Cluster cluster) {
        Gauge.builder("srg_cluster_leader", cluster, c -> c.leading() ? 1 : 0)
                .description("1 while this server holds the cluster's lease (admits, dispatches, runs the jobs), else 0")
                .tag("server", cluster.serverId()).register(registry);
        Gauge.builder("srg_cluster_epoch", cluster, c -> c.epoch())
                .description("The lease's epoch this server leads in (0 while it follows)")
                .tag("server", cluster.serverId()).register(registry);
        FunctionCounter.builder("srg_cluster_lease_acquisitions", cluster, Cluster::acquisitions)
                .description("How often this server took the lease").tag("server", cluster.serverId()).register(registry);
        FunctionCounter.builder("srg_cluster_lease_renewal_failures", cluster, Cluster::renewalFailures)
                .description("Renewals of the lease that failed (database unreachable, or the lease found taken)")
                .tag("server", cluster.serverId()).register(registry);
        Gauge.builder("srg_cluster_takeover_seconds", cluster, Cluster::lastTakeoverSeconds)
                .description("This server's last takeover: from taking the lease to leading (ledgers rebuilt, tasks re-attached)")
                .tag("server", cluster.serverId()).register(registry);
        Gauge.builder("srg_cluster_lease_expired_for_seconds", cluster, Cluster::lastExpiredForSeconds)
                .description("How long the lease lay expired before this server last took it (negative: taken early, its holder had no session)")
                .tag("server", cluster.serverId()).register(registry);
        Gauge.builder("srg_cluster_lease_tick_seconds", cluster, Cluster::lastTickSeconds)
                .description("How long the last renewal (leader) or look at the lease (follower) took")
                .tag("server", cluster.serverId()).register(registry);
    }
}
