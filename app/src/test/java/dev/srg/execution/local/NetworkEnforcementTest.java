package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.execution.Enforcement;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.NetworkContext;
import dev.srg.execution.ResourceLimits;
import dev.srg.execution.TaskKind;
import dev.srg.testing.TestNetworkHosts;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Task networks with real packets (SPEC NET-7, NET-8, NET-9, RT-3): test hosts in namespaces this
 * test creates — a "database" in the VPC's CIDR, a host in a routed CIDR, an "internet" host at
 * 198.51.100.10 and a DNS upstream at 198.51.100.53 — and a listener of the host's own (what srg's
 * API and database are to a task). No packet goes anywhere else.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NetworkEnforcementTest {

    static final String DB = "10.91.0.5";
    static final String ROUTED = "192.168.77.10";
    static final String INTERNET = "198.51.100.10";
    static final String DNS = "198.51.100.53";
    private static final Pattern RESULT = Pattern.compile("(\\w+)=(open|closed)");

    private static TestNetworkHosts hosts;
    private static ServerSocket hostService;
    private static String hostAddress;

    private final List<String> taskLinks = new java.util.ArrayList<>();
    private BackendFixture fixture;
    private BackendFixture.Exits exits;

    @BeforeAll
    static void testHosts() throws Exception {
        assumeThat(ProcFs.currentUid()).as("network namespaces need root").isZero();
        assumeThat(TestNetworkHosts.run("sh", "-c", "command -v nft && command -v dnsmasq")).as("nft and dnsmasq").isNull();
        hosts = new TestNetworkHosts();
        hosts.host("db", DB);
        hosts.host("routed", ROUTED);
        hosts.host("inet", INTERNET, DNS);
        hosts.dns("inet", DNS, "ext.example.test=" + INTERNET);
        // the host's own service on every address (as srg's API listens on 0.0.0.0)
        hostService = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"));
        Thread acceptor = new Thread(() -> {
            while (!hostService.isClosed()) {
                try {
                    hostService.accept().close();
                } catch (Exception e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        hostAddress = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> !i.getName().startsWith("srg") && !i.getName().equals("lo"))
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address).map(InetAddress::getHostAddress).findFirst().orElse("127.0.0.2");
    }

    @AfterAll
    static void removeTestHosts() throws Exception {
        if (hostService != null) {
            hostService.close();
        }
        if (hosts != null) {
            hosts.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        fixture = new BackendFixture();
        exits = new BackendFixture.Exits();
    }

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    private LocalBackendConfig config() {
        return LocalBackendConfig.defaults(fixture.baseDirectory).withDnsUpstreams(List.of(DNS));
    }

    static NetworkContext vpc(boolean nat, List<String> routes, List<NetworkContext.DnsRecord> records) {
        return new NetworkContext(List.of(new NetworkContext.BoundVpc("vpc-a", "10.91.0.0/16", "vsw-a", List.of("10.91.1.0/24"),
                nat ? Optional.of("203.0.113.7") : Optional.empty(),
                routes.stream().map(r -> new NetworkContext.RouteEntry(r, "VPN")).toList())), records);
    }

    /** A script that tries every target and prints {@code name=open|closed}. */
    private static String probes() {
        return """
                probe() { if out=$(timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>&1); then echo "$1=open"; else echo "$1=closed ${out//$'\\n'/ }"; fi; }
                probe db %s 8080
                probe routed %s 8080
                probe internet %s 8080
                probe loopback 127.0.0.1 %d
                probe hostaddr %s %d
                probe gateway 100.64.0.1 %d
                probe reserved 21.0.0.1 80
                echo "dbname=$(getent hosts db.internal | awk '{print $1}')"
                echo "extname=$(timeout 5 getent hosts ext.example.test | awk '{print $1}')"
                echo x >> /etc/hosts 2>/dev/null && echo hostsedit=open || echo hostsedit=closed
                """.formatted(DB, ROUTED, INTERNET, hostService.getLocalPort(), hostAddress, hostService.getLocalPort(),
                hostService.getLocalPort());
    }

    private Map<String, String> run(LocalExecutionBackend backend, NetworkContext network) throws Exception {
        String id = newId();
        LaunchSpec spec = new LaunchSpec(id, "SHELL", TaskKind.SHELL.command(Map.of("script", probes())), new ResourceLimits(1000),
                Duration.ofMinutes(1), Map.of(), network, Optional.empty());
        backend.launch(spec);
        ExitStatus exit = exits.await(id);
        String log = fixture.log(backend, id);
        assertThat(exit.exitCode()).as(log).isEqualTo(0);
        Map<String, String> results = new java.util.TreeMap<>();
        Matcher m = RESULT.matcher(log);
        while (m.find()) {
            results.put(m.group(1), m.group(2));
        }
        Matcher names = Pattern.compile("(dbname|extname)=(\\S*)").matcher(log);
        while (names.find()) {
            results.put(names.group(1), names.group(2));
        }
        results.put("log", log);
        if (Files.exists(fixture.baseDirectory.resolve(id).resolve("net").resolve("link"))) {
            taskLinks.add(taskLink(id));
        }
        return results;
    }

    @Test
    void aGroupWithOneVpcReachesItsVpcOnlyNeverTheHostNorTheInternet() throws Exception {
        LocalExecutionBackend backend = fixture.backend(config(), exits);
        NetworkContext network = vpc(false, List.of(), List.of(new NetworkContext.DnsRecord("db.internal", "A", DB)));
        Map<String, String> r = run(backend, network);
        String log = r.get("log");
        // SPEC NET-8: inside the bound VPC's CIDR, yes; a CIDR nobody declared, no
        assertThat(r.get("db")).as(log).isEqualTo("open");
        assertThat(r.get("routed")).as(log).isEqualTo("closed");
        // SPEC NET-7: no NAT gateway with an EIP, no internet (and no upstream resolver)
        assertThat(r.get("internet")).as(log).isEqualTo("closed");
        assertThat(r.get("extname")).as(log).isEmpty();
        // SPEC NET-8: the host's services (srg's API, its database) are never the task's business
        assertThat(r.get("loopback")).as(log).isEqualTo("closed");
        assertThat(r.get("hostaddr")).as(log).isEqualTo("closed");
        assertThat(r.get("gateway")).as(log).isEqualTo("closed");
        assertThat(r.get("reserved")).as(log).isEqualTo("closed");
        // SPEC NET-9: the zone's record resolves; /etc/hosts is not the task's to edit
        assertThat(r.get("dbname")).as(log).isEqualTo(DB);
        assertThat(r.get("hostsedit")).as(log).isEqualTo("closed");
        assertNothingLeft(backend);
    }

    @Test
    void aRouteOpensItsCidrAndANatGatewayWithAnEipOpensTheInternet() throws Exception {
        LocalExecutionBackend backend = fixture.backend(config(), exits);
        // SPEC NET-8: a route of a bound VPC
        Map<String, String> routed = run(backend, vpc(false, List.of("192.168.77.0/24"), List.of()));
        assertThat(routed.get("routed")).as(routed.get("log")).isEqualTo("open");
        assertThat(routed.get("internet")).as(routed.get("log")).isEqualTo("closed");
        // SPEC NET-7: a NAT gateway with an EIP: the internet and the upstream resolver, never the host
        Map<String, String> nat = run(backend, vpc(true, List.of(), List.of()));
        String log = nat.get("log");
        assertThat(nat.get("internet")).as(log).isEqualTo("open");
        assertThat(nat.get("extname")).as(log).isEqualTo(INTERNET);
        assertThat(nat.get("routed")).as(log).isEqualTo("closed");
        assertThat(nat.get("loopback")).as(log).isEqualTo("closed");
        assertThat(nat.get("hostaddr")).as(log).isEqualTo("closed");
        assertThat(nat.get("gateway")).as(log).isEqualTo("closed");
        assertThat(nat.get("reserved")).as(log).isEqualTo("closed");
        assertNothingLeft(backend);
    }

    @Test
    void zoneRecordsAreTheGroupsOwnAndAHostsEditStaysInItsTask() throws Exception {
        LocalExecutionBackend backend = fixture.backend(config(), exits);
        // SPEC NET-9: another group's tasks do not see this group's records
        Map<String, String> other = run(backend, vpc(false, List.of(), List.of()));
        assertThat(other.get("dbname")).as(other.get("log")).isEmpty();
    }

    @Test
    void eachInstanceSaysWhatWasEnforced() {
        LocalExecutionBackend backend = fixture.backend(config(), exits);
        LaunchSpec spec = new LaunchSpec(newId(), "SHELL", TaskKind.SHELL.command(Map.of("script", "true")), new ResourceLimits(1000),
                Duration.ofMinutes(1), Map.of(), vpc(false, List.of("192.168.77.0/24"), List.of()), Optional.empty());
        // SPEC RT-3
        Enforcement e = backend.enforcement(spec);
        assertThat(e.network().enforced()).isTrue();
        assertThat(e.network().note()).contains("10.91.0.0/16", "192.168.77.0/24", "no internet", "afterwards");
        assertThat(e.dns().enforced()).isTrue();
    }

    @Test
    void offKeepsTheHostsNetworkAndSaysSo() throws Exception {
        LocalExecutionBackend backend = fixture.backend(config().withNetworkEnforcement(LocalBackendConfig.NetworkEnforcement.OFF), exits);
        NetworkContext network = vpc(false, List.of(), List.of());
        LaunchSpec spec = new LaunchSpec(newId(), "SHELL", TaskKind.SHELL.command(Map.of("script", "true")), new ResourceLimits(1000),
                Duration.ofMinutes(1), Map.of(), network, Optional.empty());
        // SPEC RT-3: not enforced, and why
        assertThat(backend.enforcement(spec).network())
                .isEqualTo(Enforcement.Item.no("runs in the host's network namespace: disabled by the operator (--network-enforcement off)"));
        assertThat(backend.enforcement(spec).dns().enforced()).isFalse();
        // the premise of the tests above: without enforcement the host's services answer
        Map<String, String> r = run(backend, network);
        assertThat(r.get("loopback")).as(r.get("log")).isEqualTo("open");
    }

    @Test
    void aCrashOfServerAndSupervisorLeavesNoNamespaceAfterTheNextStart() throws Exception {
        LocalExecutionBackend crashed = fixture.backend(config(), exits);
        String id = newId();
        crashed.launch(new LaunchSpec(id, "SHELL", TaskKind.SHELL.command(Map.of("script", "echo up; sleep 600")), new ResourceLimits(1000),
                Duration.ofMinutes(2), Map.of(), vpc(false, List.of(), List.of()), Optional.empty()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(crashed, id).contains("up"));
        assertThat(namespaces(crashed)).hasSize(1);
        crashed.close();
        // kill -9 of the supervisor and its task: nobody left to remove the namespace
        String started = Files.readString(fixture.baseDirectory.resolve(id).resolve("started")).split(" ")[0];
        long supervisor = Long.parseLong(started.strip());
        ProcessHandle.of(supervisor).ifPresent(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(supervisor).isEmpty());
        assertThat(namespaces(crashed)).hasSize(1);
        LocalExecutionBackend restarted = fixture.backend(config(), exits);
        assertThat(namespaces(restarted)).isEmpty();
        assertThat(links()).doesNotContain(taskLink(id) + "@");
    }

    @Test
    void aServerKilledWhileTasksRunLeavesTheirCleanupToTheirSupervisors() throws Exception {
        LocalExecutionBackend crashed = fixture.backend(config(), exits);
        String id = newId();
        crashed.launch(new LaunchSpec(id, "SHELL", TaskKind.SHELL.command(Map.of("script", "echo up; sleep 2")), new ResourceLimits(1000),
                Duration.ofMinutes(2), Map.of(), vpc(false, List.of(), List.of()), Optional.empty()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fixture.log(crashed, id).contains("up"));
        crashed.close();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(fixture.baseDirectory.resolve(id).resolve("exit")));
        assertThat(namespaces(crashed)).isEmpty();
    }

    private void assertNothingLeft(LocalExecutionBackend backend) throws Exception {
        // the namespace (with its rules) and the veth pair (with the host's route) are gone
        assertThat(namespaces(backend)).isEmpty();
        String links = links();
        assertThat(taskLinks).isNotEmpty().allSatisfy(link -> assertThat(links).doesNotContain(link + "@"));
    }

    private List<String> namespaces(LocalExecutionBackend backend) throws Exception {
        String prefix = backend.networkNamespace("x");
        String mine = prefix.substring(0, prefix.length() - 1);
        try (var names = Files.list(Path.of("/run/netns"))) {
            return names.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(mine)).toList();
        }
    }

    private String taskLink(String id) throws Exception {
        Path link = fixture.baseDirectory.resolve(id).resolve("net").resolve("link");
        return Files.readString(link).split(" ")[0];
    }

    private static String links() throws Exception {
        return TestNetworkHosts.output("ip", "-o", "link");
    }
}
