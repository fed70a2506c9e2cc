package dev.srg.task;

import dev.srg.execution.NetworkContext;
import dev.srg.group.GroupNetworkContext;
import dev.srg.store.OneTrip;
import java.util.Optional;

/** What a launch of a group's instance runs in, beyond the instance itself. */
@FunctionalInterface
public interface LaunchContext {
    /** The group's networks (bound VPCs, NAT, routes, private-zone records). */
    NetworkContext network(String groupId);

    /**
     * A read that tells {@link #network(String, long)} whether what it keeps is current, for a
     * submission to send in one round trip with its other reads (issue 17); empty when there is none.
     */
    default Optional<OneTrip.Read<Long>> generationRead() {
        return Optional.empty();
    }

    /** The group's networks, where {@code generation} is what {@link #generationRead} read (this submission's). */
    default NetworkContext network(String groupId, long generation) {
        return network(groupId);
    }

    /** The groups' networks as the store has them, kept per generation of the network tables. */
    static LaunchContext of(GroupNetworkContext networks) {
        return new LaunchContext() {
            @Override
            public NetworkContext network(String groupId) {
                return networks.of(groupId);
            }

            @Override
            public Optional<OneTrip.Read<Long>> generationRead() {
                return Optional.of(GroupNetworkContext.GENERATION);
            }

            @Override
            public NetworkContext network(String groupId, long generation) {
                return networks.of(groupId, generation);
            }
        };
    }
}
