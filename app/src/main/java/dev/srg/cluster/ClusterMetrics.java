package dev.srg.cluster;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** What {@code /metrics} says of the cluster: whether this server leads, and in which epoch (docs/cluster.md). */
public final class ClusterMetrics {
    private ClusterMetrics() {}

    public static void register(MeterRegistry registry, Cluster cluster) {
        Gauge.builder("srg_cluster_leader", cluster, c -> c.leading() ? 1 : 0)
                .description("1 while this server holds the cluster's lease (admits, dispatches, runs the jobs), else 0")
                .tag("server", cluster.serverId()).register(registry);
        Gauge.builder("srg_cluster_epoch", cluster, c -> c.epoch())
                .description("The lease's epoch this server leads in (0 while it follows)")
                .tag("server", cluster.serverId()).register(registry);
    }
}
