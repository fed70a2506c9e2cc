package dev.srg.execution.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.NetworkContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The files a task's network is made from (no root needed): what reaches the resolver's configuration, and the VPC tables. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class TaskNetworkFilesTest {

    private static NetworkContext context(List<String> vpcIds, List<NetworkContext.DnsRecord> records) {
        return new NetworkContext(vpcIds.stream().map(id -> new NetworkContext.BoundVpc(id, "10.91.0.0/16", "vsw", List.of(),
                Optional.empty(), List.of())).toList(), records);
    }

    @Test
    void onlyWellFormedARecordsReachTheResolverAndUpstreamsOnlyWhenGiven() {
        // SPEC NET-9: a record is a name and an IPv4 address; nothing else becomes a dnsmasq option
        NetworkContext network = context(List.of("vpc-a"), List.of(
                new NetworkContext.DnsRecord("db.corp.internal", "A", "10.91.0.5"),
                new NetworkContext.DnsRecord("evil.corp.internal\nserver=203.0.113.1", "A", "10.91.0.6"),
                new NetworkContext.DnsRecord("x.corp.internal", "A", "10.91.0.7\nserver=203.0.113.1"),
                new NetworkContext.DnsRecord("x.corp.internal", "CNAME", "db.corp.internal")));
        assertThat(TaskNetwork.zoneRecords(network)).extracting(NetworkContext.DnsRecord::name).containsExactly("db.corp.internal");
        String closed = TaskNetwork.resolverConf(Path.of("/n"), network, List.of());
        assertThat(closed).contains("host-record=db.corp.internal,10.91.0.5\n", "listen-address=127.0.0.53\n", "no-resolv\n",
                "user=nobody\n", "pid-file=/n/dnsmasq.pid\n").doesNotContain("server=", "evil", "10.91.0.6", "10.91.0.7");
        String open = TaskNetwork.resolverConf(Path.of("/n"), network, List.of("198.51.100.53"));
        assertThat(open).contains("server=198.51.100.53\n");
        assertThat(TaskNetwork.resolvConf()).contains("nameserver 127.0.0.53\n");
        assertThat(TaskNetwork.hosts()).doesNotContain("db.corp.internal");
    }

    @Test
    void eachBoundVpcHasAStableTableOfItsOwn() {
        // SPEC NET-8: two VPCs (even with the same CIDR) route apart
        long a = TaskNetwork.vpcTable("vpc-a");
        assertThat(a).isEqualTo(TaskNetwork.vpcTable("vpc-a")).isNotEqualTo(TaskNetwork.vpcTable("vpc-b")).isBetween(1_000_000L, 8_999_999L);
        assertThat(TaskNetwork.tables(context(List.of("vpc-a", "vpc-b", "vpc-a"), List.of())))
                .isEqualTo(a + "\n" + TaskNetwork.vpcTable("vpc-b") + "\n");
        assertThat(TaskNetwork.tables(NetworkContext.NONE)).isEmpty();
    }
}
