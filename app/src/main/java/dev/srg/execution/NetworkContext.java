package dev.srg.execution;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * The networks an instance of a group may use: the VPCs bound to the group (NET-5) with their
 * vSwitches, NAT gateway and routes, and the private DNS records that apply to them. A backend
 * that enforces networks confines the instance to them; one that does not says so (RT-3).
 */
public record NetworkContext(List<BoundVpc> vpcs, List<DnsRecord> dnsRecords) {
    public static final NetworkContext NONE = new NetworkContext(List.of(), List.of());

    public NetworkContext {
        vpcs = List.copyOf(vpcs);
        dnsRecords = List.copyOf(dnsRecords);
    }

    /** A VPC bound to the group, through the vSwitch of the binding. */
    public record BoundVpc(String vpcId, String cidr, String vswitchId, List<String> vswitchCidrs,
                           Optional<String> natGatewayEip, List<RouteEntry> routes) {
        public BoundVpc {
            requireNonNull(vpcId, "vpcId is null");
            requireNonNull(cidr, "cidr is null");
            vswitchCidrs = List.copyOf(vswitchCidrs);
            requireNonNull(natGatewayEip, "natGatewayEip is null");
            routes = List.copyOf(routes);
        }
    }

    /** A declared route out of a VPC (peering, VPN, leased line). */
    public record RouteEntry(String destinationCidr, String via) {}

    /** A private-zone record (e.g. {@code db.internal A 10.0.0.5}). */
    public record DnsRecord(String name, String type, String value) {}
}
