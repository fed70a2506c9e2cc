package dev.srg.connectivity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.testing.ServerProcess;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestHttp;
import dev.srg.testing.TestNetworkHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * srg killed with SIGKILL while two tasks of a group with a private zone run (each with its
 * namespace, host link, policy rule and resolver): the one whose supervisor lives cleans up by
 * itself while srg is down; the one whose supervisor is killed too is cleaned up by the next start.
 */
@Tag("stress") // two real server starts: 300 s at load 20 on 2 cores; run with -Dsrg.test.excludedGroups=none (docs/networks.md)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class NetworkCrashRestartTest {

    @Test
    @DisplayName("SPEC NET-8 NET-9: after kill -9 of srg (and of a supervisor) and a restart, no namespace, link, rule or resolver is left")
    void killAndRestartLeavesNothing() throws Exception {
        assumeThat(System.getProperty("user.name")).as("network namespaces need root").isEqualTo("root");
        assumeThat(TestNetworkHosts.run("sh", "-c", "command -v nft && command -v dnsmasq")).as("nft and dnsmasq").isNull();
        Path dir = TestDatabases.dataDirectory("srg-netcrash");
        String finishing;
        String orphaned;
        String finishingLink;
        String orphanedLink;
        Map<String, String> hostLinks = new java.util.HashMap<>();
        try (ServerProcess first = ServerProcess.start(dir, "--provisioning-delay-ms", "0")) {
            TestHttp http = first.http(dir);
            String vpc = http.post("vpcs", Map.of("name", "v", "regionId", "local", "cidr", "10.94.0.0/16")).id();
            String vsw = http.post("vpcs/" + vpc + "/vswitches", Map.of("name", "a", "zoneId", "local-a", "cidr", "10.94.1.0/24")).id();
            String rg = http.post("resource-groups", Map.of("name", "g", "regionId", "local", "zoneId", "local-a",
                    "billingMode", "SUBSCRIPTION", "specCu", 2, "billingCycle", Map.of("unit", "MONTH", "count", 1),
                    "vpcId", vpc, "vswitchId", vsw)).id();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    http.get("resource-groups/" + rg).json().get("status").asString().equals("RUNNING"));
            String ws = http.post("workspaces", Map.of("name", "w", "regionId", "local", "defaultResourceGroupId", rg)).id();
            String zone = http.post("private-zones", Map.of("name", "crash.internal", "vpcIds", List.of(vpc))).id();
            assertThat(http.post("private-zones/" + zone + "/records", Map.of("name", "db", "type", "A", "value", "10.94.0.5")).status())
                    .isEqualTo(201);
            finishing = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "cu", 0.5,
                    "script", "getent hosts db.crash.internal; sleep 20")).id();
            orphaned = http.post("instances", Map.of("workspaceId", ws, "type", "SHELL", "cu", 0.5,
                    "script", "getent hosts db.crash.internal; sleep 600")).id();
            for (String id : List.of(finishing, orphaned)) {
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> http.get("instances/" + id + "/log").text().contains("10.94.0.5"));
                assertThat(resolversOf(id)).as(id).hasSize(1);
                hostLinks.put(id, linkOf(id));
            }
            finishingLink = hostLinks.get(finishing);
            orphanedLink = hostLinks.get(orphaned);
            assertThat(rules()).contains("iif " + finishingLink + " ", "iif " + orphanedLink + " ");

            first.kill();
            // the orphan's supervisor and task die too: nobody is left to clean up after it
            long supervisor = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(c -> c.contains("supervisor") && c.contains(orphaned)).orElse(false))
                    .map(ProcessHandle::pid).findFirst().orElseThrow();
            ProcessHandle.of(supervisor).ifPresent(p -> {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            });
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(supervisor).isEmpty());

            // while srg is down: the live supervisor removes everything of its task when the task ends
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> namespacesOf(finishing).isEmpty());
            assertThat(resolversOf(finishing)).isEmpty();
            assertThat(rules()).doesNotContain("iif " + finishingLink + " ");
            // ... and the orphan's are all still there
            assertThat(namespacesOf(orphaned)).hasSize(1);
            assertThat(resolversOf(orphaned)).hasSize(1);
        }

        try (ServerProcess second = ServerProcess.start(dir)) {
            TestHttp http = second.http(dir);
            // the start removed the orphan's namespace, its resolver and its rule
            assertThat(namespacesOf(orphaned)).isEmpty();
            assertThat(resolversOf(orphaned)).isEmpty();
            assertThat(rules()).doesNotContain("iif " + orphanedLink + " ");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                String links = TestNetworkHosts.output("ip", "-o", "link");
                return !links.contains(finishingLink + "@") && !links.contains(orphanedLink + "@");
            });
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
                    http.get("instances/" + finishing).json().get("status").asString().equals("SUCCEEDED")
                            && http.get("instances/" + orphaned).json().get("status").asString().equals("FAILED"));
        }
    }

    private static List<String> namespacesOf(String instanceId) throws Exception {
        try (var names = Files.list(Path.of("/run/netns"))) {
            return names.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("-" + instanceId)).toList();
        }
    }

    /** The host side of the task's veth: the link whose peer is in the task's namespace. */
    private static String linkOf(String instanceId) throws Exception {
        String ns = namespacesOf(instanceId).get(0);
        return Arrays.stream(TestNetworkHosts.output("ip", "-o", "link").split("\n"))
                .filter(l -> l.contains("link-netns " + ns)).map(l -> l.split(":")[1].strip().split("@")[0]).findFirst().orElseThrow();
    }

    private static String rules() throws Exception {
        return TestNetworkHosts.output("ip", "-4", "rule", "show", "priority", "9000");
    }

    private static List<Long> resolversOf(String instanceId) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("dnsmasq") && c.contains(instanceId)).orElse(false))
                .map(ProcessHandle::pid).toList();
    }
}
