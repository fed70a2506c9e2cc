package dev.srg.network;

import java.time.Instant;
import java.util.List;

public record Vpc(String id, String name, String regionId, Cidr cidr, List<VSwitch> vswitches, NatGateway natGateway,
                  List<Route> routes, Instant createdAt) {
    public Vpc {
        vswitches = List.copyOf(vswitches);
        routes = List.copyOf(routes);
    }

    /** Whether the block overlaps the platform's reserved 21.0.0.0/8 (NET-4). */
    public boolean usesReservedRange() {
        return cidr.overlaps(Cidr.RESERVED);
    }
}
