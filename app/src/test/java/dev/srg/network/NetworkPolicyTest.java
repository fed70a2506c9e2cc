package dev.srg.network;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.NetworkContext;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The paths a group's tasks have (the same answer writes their rules and a connectivity test's path). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NetworkPolicyTest {

    private static NetworkPolicy policy(boolean nat) {
        return NetworkPolicy.of(new NetworkContext(List.of(new NetworkContext.BoundVpc("vpc-a", "10.0.0.0/16", "vsw-a",
                List.of("10.0.1.0/24"), nat ? Optional.of("203.0.113.7") : Optional.empty(),
                List.of(new NetworkContext.RouteEntry("192.168.5.0/24", "VPN_GATEWAY"), new NetworkContext.RouteEntry("21.1.0.0/16", "CEN")))),
                List.of()));
    }

    private static NetworkPolicy.Verdict verdict(NetworkPolicy p, String address) {
        return p.verdict(Cidr.parseAddress("a", address));
    }

    @Test
    void vpcRouteInternetAndNever() {
        NetworkPolicy closed = policy(false);
        // SPEC NET-8
        assertThat(verdict(closed, "10.0.200.1").path()).isEqualTo(NetworkPolicy.Path.VPC);
        assertThat(verdict(closed, "192.168.5.9").path()).isEqualTo(NetworkPolicy.Path.ROUTE);
        assertThat(verdict(closed, "10.9.0.1").reason()).contains("10.9.0.1 is not in a bound VPC or a route");
        // SPEC NET-7
        assertThat(verdict(closed, "198.51.100.10").path()).isEqualTo(NetworkPolicy.Path.NONE);
        assertThat(verdict(closed, "198.51.100.10").reason()).contains("no NAT gateway with an EIP on any bound VPC");
        NetworkPolicy open = policy(true);
        assertThat(verdict(open, "198.51.100.10").path()).isEqualTo(NetworkPolicy.Path.INTERNET);
        // private addresses outside the VPCs and routes are not "the internet"
        assertThat(verdict(open, "172.20.0.1").path()).isEqualTo(NetworkPolicy.Path.NONE);
        // SPEC NET-4, NET-8: never 21.0.0.0/8 (even declared as a route), never loopback
        assertThat(verdict(open, "21.1.0.1").path()).isEqualTo(NetworkPolicy.Path.NONE);
        assertThat(verdict(open, "21.1.0.1").reason()).contains("reserved");
        assertThat(verdict(open, "127.0.0.1").path()).isEqualTo(NetworkPolicy.Path.NONE);
        assertThat(open.routes()).extracting(a -> a.cidr().toString()).containsExactly("192.168.5.0/24");
        assertThat(closed.describe()).contains("10.0.0.0/16", "192.168.5.0/24", "no internet", "never 21.0.0.0/8");
    }
}
