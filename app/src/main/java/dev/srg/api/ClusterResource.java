package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.Requests.caller;

import dev.srg.access.Policy;
import dev.srg.cluster.Cluster;
import java.util.function.Supplier;

/** Who leads the servers on this database, and which servers there are (SPEC HA-1; docs/cluster.md). */
final class ClusterResource {
    private ClusterResource() {}

    static void register(ApiRoutes api, Supplier<Cluster.View> cluster) {
        api.get("/cluster", "cluster", "The cluster's leader, its lease's epoch, and every server seen in the last day",
                one(Cluster.View.class), ctx -> {
            caller(ctx).requireAny("read the cluster", Policy.ResourceGroupFullAccess);
            ctx.json(cluster.get());
        });
    }
}
