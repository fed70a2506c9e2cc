package dev.srg.network;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.NetworkContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a group's tasks may connect, derived from its network context (SPEC NET-7, NET-8): the
 * CIDRs of its bound VPCs, the routes declared out of them, and the internet only when a bound VPC
 * has a NAT gateway with an EIP. Never 21.0.0.0/8 (NET-4). The same answer drives the task's
 * firewall rules and the path a connectivity test reports, so they cannot disagree.
 */
public record NetworkPolicy(List<Allowed> vpcs, List<Allowed> routes, Optional<String> internetVia) {

    /** Private, shared and link-local ranges: not "the internet" even when a NAT gateway exists. */
    public static final List<Cidr> NON_INTERNET = List.of(
            new Cidr(0, 8), new Cidr(10L << 24, 8), new Cidr(127L << 24, 8), new Cidr((100L << 24) | (64L << 16), 10),
            new Cidr((169L << 24) | (254L << 16), 16), new Cidr((172L << 24) | (16L << 16), 12),
            new Cidr((192L << 24) | (168L << 16), 16), new Cidr(224L << 24, 3), Cidr.RESERVED);

    /** A paths through which tasks reach the addresses of one CIDR. */
    public enum Path { VPC, ROUTE, INTERNET, NONE }

    /** A CIDR tasks may reach and why (the VPC it belongs to or the route declaring it). */
    public record Allowed(Cidr cidr, String vpcId, String description) {
        public Allowed {
            requireNonNull(cidr, "cidr is null");
            requireNonNull(vpcId, "vpcId is null");
            requireNonNull(description, "description is null");
        }
    }

    /** Which path an address takes, and, for NONE, the reason a user can act on. */
    public record Verdict(Path path, String reason) {
        public Verdict {
            requireNonNull(path, "path is null");
            requireNonNull(reason, "reason is null");
        }

        public boolean allowed() {
            return path != Path.NONE;
        }
    }

    public NetworkPolicy {
        vpcs = List.copyOf(vpcs);
        routes = List.copyOf(routes);
        requireNonNull(internetVia, "internetVia is null");
    }

    public static NetworkPolicy of(NetworkContext context) {
        List<Allowed> vpcs = new ArrayList<>();
        List<Allowed> routes = new ArrayList<>();
        Optional<String> internet = Optional.empty();
        for (NetworkContext.BoundVpc vpc : context.vpcs()) {
            Cidr cidr = Cidr.parse("cidr", vpc.cidr());
            // NET-4 keeps such VPCs from being bound; a stored one is still never reached
            if (!cidr.overlaps(Cidr.RESERVED)) {
                vpcs.add(new Allowed(cidr, vpc.vpcId(), "VPC " + vpc.vpcId()));
            }
            for (NetworkContext.RouteEntry route : vpc.routes()) {
                Cidr destination = Cidr.parse("destinationCidr", route.destinationCidr());
                if (!destination.overlaps(Cidr.RESERVED)) {
                    routes.add(new Allowed(destination, vpc.vpcId(), "route of VPC " + vpc.vpcId() + " via " + route.via()));
                }
            }
            if (internet.isEmpty() && vpc.natGatewayEip().isPresent()) {
                internet = Optional.of("NAT gateway of VPC " + vpc.vpcId() + " (EIP " + vpc.natGatewayEip().get() + ")");
            }
        }
        return new NetworkPolicy(vpcs, routes, internet);
    }

    /** SPEC NET-7, NET-8: the path to {@code address} (an IPv4 address as a number). */
    public Verdict verdict(long address) {
        String text = Cidr.format(address);
        if (Cidr.RESERVED.containsAddress(address)) {
            return new Verdict(Path.NONE, text + " is in 21.0.0.0/8, which is reserved and never reachable");
        }
        if (new Cidr(127L << 24, 8).containsAddress(address)) {
            return new Verdict(Path.NONE, text + " is a loopback address: a task has a loopback of its own, "
                    + "the host's services are never reachable");
        }
        for (Allowed vpc : vpcs) {
            if (vpc.cidr().containsAddress(address)) {
                return new Verdict(Path.VPC, text + " is in " + vpc.cidr() + " of " + vpc.description());
            }
        }
        for (Allowed route : routes) {
            if (route.cidr().containsAddress(address)) {
                return new Verdict(Path.ROUTE, text + " is in " + route.cidr() + ", a " + route.description());
            }
        }
        boolean internetAddress = NON_INTERNET.stream().noneMatch(c -> c.containsAddress(address));
        if (!internetAddress) {
            return new Verdict(Path.NONE, text + " is not in a bound VPC or a route (bind its VPC, or add a route to it)");
        }
        return internetVia
                .map(via -> new Verdict(Path.INTERNET, text + " is on the internet, through the " + via))
                .orElseGet(() -> new Verdict(Path.NONE, text + " is on the internet, and there is no NAT gateway with an "
                        + "EIP on any bound VPC (add one to reach it), nor a route to it"));
    }

    /** For RT-3 notes and logs: what a task may reach. */
    public String describe() {
        StringBuilder out = new StringBuilder("reaches ");
        List<String> parts = new ArrayList<>();
        vpcs.forEach(a -> parts.add(a.cidr() + " (" + a.description() + ")"));
        routes.forEach(a -> parts.add(a.cidr() + " (" + a.description() + ")"));
        out.append(parts.isEmpty() ? "no VPC or route" : String.join(", ", parts));
        out.append(internetVia.map(via -> "; the internet through the " + via)
                .orElse("; no internet (no NAT gateway with an EIP on any bound VPC)"));
        return out.append("; never 21.0.0.0/8 nor the host").toString();
    }
}
