package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.NetworkContext;
import dev.srg.network.NetworkManager;
import dev.srg.network.VSwitch;
import dev.srg.network.Vpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The network context of a group's launches: its bound VPCs with their vSwitch CIDRs, NAT gateway
 * and routes. Private-zone records are an empty list until private zones exist.
 */
public final class GroupNetworkContext {
    private final Jdbi jdbi;
    private final NetworkManager networks;

    public GroupNetworkContext(Jdbi jdbi, NetworkManager networks) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.networks = requireNonNull(networks, "networks is null");
    }

    public NetworkContext of(String groupId) {
        return jdbi.withHandle(h -> {
            Optional<ResourceGroupInfo> group = new ResourceGroupDao(h).find(groupId, false);
            if (group.isEmpty()) {
                return NetworkContext.NONE;
            }
            List<NetworkContext.BoundVpc> vpcs = new ArrayList<>();
            for (GroupNetwork n : group.get().networks()) {
                Optional<Vpc> vpc = networks.findVpc(h, n.vpcId());
                if (vpc.isEmpty()) {
                    continue;
                }
                Vpc v = vpc.get();
                vpcs.add(new NetworkContext.BoundVpc(v.id(), v.cidr().toString(), n.vswitchId(),
                        v.vswitches().stream().map(VSwitch::cidr).map(Object::toString).toList(),
                        Optional.ofNullable(v.natGateway()).map(g -> g.eip()),
                        v.routes().stream().map(r -> new NetworkContext.RouteEntry(r.destinationCidr().toString(), r.via().name()))
                                .toList()));
            }
            return new NetworkContext(vpcs, List.of());
        });
    }
}
