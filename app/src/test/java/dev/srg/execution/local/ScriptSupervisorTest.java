package dev.srg.execution.local;

import static dev.srg.execution.local.BackendFixture.newId;
import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.NetworkContext;
import dev.srg.execution.ResourceLimits;
import dev.srg.execution.TaskKind;
import dev.srg.testing.TestNetworkHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two supervisors: the compiled one the build makes (every other test of this package runs
 * it when gcc was there) and supervisor.sh, the fallback of a build without a C compiler, which
 * must keep working: the same task through each gives the same outcome.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ScriptSupervisorTest {

    @RegisterExtension
    final BackendFixture fixture = new BackendFixture();
    private final BackendFixture.Exits exits = new BackendFixture.Exits();

    @Test
    void theCompiledSupervisorIsTheOneInUseWhenTheBuildMadeIt() throws Exception {
        LocalExecutionBackend backend = fixture.backend(exits);
        String id = newId();
        backend.launch(BackendFixture.shell(id, "echo hi"));
        assertThat(exits.await(id).reason()).isEqualTo(FailureReason.NONE);

        boolean built = LocalExecutionBackend.class.getResource("srg-supervisor") != null;
        assertThat(supervisors()).anyMatch(name -> name.startsWith(built ? "srg-supervisor-" : "supervisor-"));
    }

    // SPEC MON-3: the outcome, the output and the timeout are the same through either supervisor
    @Test
    void bothSupervisorsGiveTheSameOutcomes() throws Exception {
        LocalExecutionBackend compiled = fixture.backend(exits);
        LocalExecutionBackend script = scriptBackend();
        assertThat(supervisors()).anyMatch(name -> name.startsWith("supervisor-") && name.endsWith(".sh"));

        for (LocalExecutionBackend backend : List.of(compiled, script)) {
            String failing = newId();
            String slow = newId();
            backend.launch(BackendFixture.shell(failing, "echo out; echo err >&2; whoami; exit 3"));
            backend.launch(new LaunchSpec(slow, TaskKind.SHELL, "echo started; sleep 60", 250, Duration.ofMillis(1500), Map.of()));

            ExitStatus failed = exits.await(failing);
            assertThat(failed.reason()).isEqualTo(FailureReason.NON_ZERO_EXIT);
            assertThat(failed.exitCode()).isEqualTo(3);
            assertThat(failed.startedAt()).isNotNull();
            String log = fixture.log(backend, failing);
            assertThat(log).contains("out").contains("err").doesNotContain("root");
            ExitStatus timedOut = exits.await(slow);
            assertThat(timedOut.reason()).isEqualTo(FailureReason.TIMEOUT);
            assertThat(timedOut.exitCode()).isNull();
            assertThat(Duration.between(timedOut.startedAt(), timedOut.finishedAt())).isBetween(
                    Duration.ofMillis(1400), Duration.ofSeconds(20));
            assertThat(fixture.log(backend, slow)).contains("started");
        }
    }

    /**
     * SPEC NET-7, NET-8, NET-9: the compiled supervisor makes the task's network with system calls
     * and netlink (srg-netns.c), supervisor.sh with netns.sh; both must give a task the same
     * namespace: addresses, routes, sysctls, nftables table, host side and policy rule, resolver.
     */
    @Test
    void bothSupervisorsMakeTheSameTaskNetwork() throws Exception {
        LocalExecutionBackend compiled = fixture.backend(exits);
        Assumptions.assumeTrue(ProcFs.currentUid() == 0, "task networks need root");
        LocalExecutionBackend script = scriptBackend();
        NetworkContext network = NetworkEnforcementTest.vpc(false, List.of("10.92.0.0/16"),
                List.of(new NetworkContext.DnsRecord("db.internal", "A", "10.91.1.5")));
        String fromCompiled = taskNetwork(compiled, network);
        String fromScript = taskNetwork(script, network);
        assertThat(fromCompiled).contains("TASK_ADDRESS").contains("table inet srg_task").contains("iif TASK_LINK lookup")
                .contains("dnsmasq");
        assertThat(fromCompiled).isEqualTo(fromScript);
    }

    /** What the task's network looks like while it runs, its link and address named generically. */
    private String taskNetwork(LocalExecutionBackend backend, NetworkContext network) throws Exception {
        String id = newId();
        backend.launch(new LaunchSpec(id, "SHELL", TaskKind.SHELL.command(Map.of("script", "echo up; sleep 60")),
                new ResourceLimits(250), Duration.ofMinutes(1), Map.of(), network, Optional.empty()));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> fixture.log(backend, id).contains("up"));
        String ns = backend.networkNamespace(id);
        String[] link = Files.readString(fixture.baseDirectory.resolve(id).resolve("net").resolve("link")).strip().split(" ");
        String inside = TestNetworkHosts.output("ip", "-n", ns, "-4", "-o", "addr")
                + TestNetworkHosts.output("ip", "-n", ns, "-4", "route")
                + TestNetworkHosts.output("ip", "-n", ns, "-o", "link")
                + TestNetworkHosts.output("nsenter", "--net=/run/netns/" + ns, "sysctl", "-n", "net.ipv4.icmp_ratelimit",
                        "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.lo.disable_ipv6", "net.ipv6.conf.eth0.disable_ipv6")
                + TestNetworkHosts.output("nsenter", "--net=/run/netns/" + ns, "nft", "list", "ruleset")
                + TestNetworkHosts.output("ip", "netns", "pids", ns).lines().filter(l -> !l.isBlank())
                        .map(pid -> ProcessHandle.of(Long.parseLong(pid.strip())).flatMap(h -> h.info().command()).orElse("?"))
                        .map(c -> Path.of(c).getFileName().toString())
                        // the compiled supervisor's init of the task's pid namespace (the bash one makes none)
                        .filter(c -> !c.startsWith("srg-supervisor")).sorted().toList();
        String host = TestNetworkHosts.output("ip", "-4", "-o", "addr", "show", "dev", link[0])
                + TestNetworkHosts.output("ip", "-4", "route", "show", "dev", link[0])
                + TestNetworkHosts.output("ip", "-4", "rule", "show", "priority", Integer.toString(TaskNetwork.RULE_PRIORITY)).lines()
                        .filter(l -> l.contains(link[0] + " ")).toList();
        backend.cancel(id);
        exits.await(id);
        return (inside + "\n--- host ---\n" + host).replaceAll("eth0@if\\d+", "eth0@ifN").replaceAll("^\\d+: |\\n\\d+: ", "\n")
                .replace(link[0], "TASK_LINK").replace(link[1], "TASK_ADDRESS").replaceAll("valid_lft.*", "")
                .replaceAll("link/ether \\S+ brd \\S+", "link/ether MAC");
    }

    /** A backend that starts tasks through supervisor.sh even where the compiled supervisor is built. */
    private LocalExecutionBackend scriptBackend() {
        System.setProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY, "script");
        try {
            return fixture.backend(exits);
        } finally {
            System.clearProperty(LocalExecutionBackend.SUPERVISOR_PROPERTY);
        }
    }

    private List<String> supervisors() throws Exception {
        try (Stream<Path> files = Files.list(fixture.baseDirectory.resolve(".supervisor"))) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
