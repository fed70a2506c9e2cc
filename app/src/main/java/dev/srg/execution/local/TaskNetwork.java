package dev.srg.execution.local;

import dev.srg.execution.Enforcement;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.NetworkContext;
import dev.srg.network.Cidr;
import dev.srg.network.NetworkPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task's network in the local backend (SPEC NET-7, NET-8, NET-9, RT-3; docs/networks.md): a
 * network namespace per task, named after the backend's directory and the instance, made and
 * removed by the supervisor so that it lives exactly as long as the task, even while the server is
 * down: the compiled one does it with system calls, rtnetlink and libnftables
 * ({@code src/main/c/srg-netns.c}), the bash one with {@code netns.sh} (same namespace, links,
 * rules and files). Inside it, one veth to the host and an nftables table generated here
 * from the group's {@link NetworkPolicy}: only the bound VPCs' CIDRs, their routes, and the
 * internet when a bound VPC has a NAT gateway with an EIP; never 21.0.0.0/8. The host's own
 * addresses (its loopback services included: the task's 127.0.0.1 is its own) are closed to
 * every task link by the host table {@code inet srg_guard}. Names resolve through a hosts file of
 * the group's private-zone records and a resolv.conf naming the upstream resolvers, both
 * bind-mounted over /etc's in the task's own mount namespace.
 *
 * <p>When the operator turns it off, or srg is not root, or a tool is missing, tasks run in the
 * host's network and every instance says so, with the reason.
 */
final class TaskNetwork {

    private static final Logger log = LoggerFactory.getLogger(TaskNetwork.class);
    private static final String SCRIPT_RESOURCE = "netns.sh";
    private static final Path NETNS_DIRECTORY = Path.of("/run/netns");
    /** The tasks' addresses (one /32 each) and the host's side of every task link. */
    static final String TASK_RANGE = "100.64.0.0/10";
    static final String HOST_SIDE = "100.64.0.1";
    static final String GUARD_TABLE = "srg_guard";
    /** The task's resolver (dnsmasq), on the task's own loopback: nobody else can reach it. */
    static final String RESOLVER = "127.0.0.53";
    /** Where the host's policy rules (one per bound VPC of a task link) sit, before the main table. */
    static final int RULE_PRIORITY = 9000;
    private static final Pattern DNS_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?");
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern IP_ADDRESS = Pattern.compile(IPV4.pattern() + "|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*");
    private static final String REFUSE = "reject with icmpx type admin-prohibited";
    private static final Pattern NAMESERVER = Pattern.compile("^\\s*nameserver\\s+(\\S+)\\s*$");

    private final Optional<String> disabledReason;
    private final String namePrefix;
    private final Optional<Path> script;
    private final List<String> dnsUpstreams;
    /** Whether dnsmasq is installed: without it tasks are still confined, but no name resolves in them. */
    private final boolean resolverInstalled = find("dnsmasq").isPresent();

    private TaskNetwork(Optional<String> disabledReason, String namePrefix, Optional<Path> script, List<String> dnsUpstreams) {
        this.disabledReason = disabledReason;
        this.namePrefix = namePrefix;
        this.script = script;
        this.dnsUpstreams = List.copyOf(dnsUpstreams);
    }

    /**
     * Checks what enforcement needs (root, ip, nft, nsenter, unshare, mount), installs the host's
     * guard table and forwarding; on any failure tasks run in the host's network and say why.
     */
    static TaskNetwork start(LocalBackendConfig config, Path supervisorDirectory) {
        String prefix = "srg-" + hash(config.baseDirectory().toString().getBytes(StandardCharsets.UTF_8)).substring(0, 8) + "-";
        List<String> upstreams = config.dnsUpstreams().isEmpty() ? hostNameservers() : config.dnsUpstreams();
        if (config.networkEnforcement() == LocalBackendConfig.NetworkEnforcement.OFF) {
            return new TaskNetwork(Optional.of("disabled by the operator (--network-enforcement off)"), prefix, Optional.empty(), upstreams);
        }
        if (ProcFs.currentUid() != 0) {
            return new TaskNetwork(Optional.of("srg is not root (uid " + ProcFs.currentUid()
                    + "): it cannot create network namespaces"), prefix, Optional.empty(), upstreams);
        }
        for (String tool : List.of("ip", "nft", "nsenter", "unshare", "mount")) {
            if (find(tool).isEmpty()) {
                return new TaskNetwork(Optional.of(tool + " is missing (install iproute2, nftables and util-linux)"),
                        prefix, Optional.empty(), upstreams);
            }
        }
        try {
            Path installed = install(supervisorDirectory);
            run(List.of("nft", "-f", "-"), guardTable());
            Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1\n");
            return new TaskNetwork(Optional.empty(), prefix, Optional.of(installed), upstreams);
        } catch (IOException | RuntimeException e) {
            return new TaskNetwork(Optional.of("cannot set up the host's side: " + e.getMessage()), prefix, Optional.empty(), upstreams);
        }
    }

    boolean enforced() {
        return disabledReason.isEmpty();
    }

    /** What the server says at start. */
    String startNote() {
        return disabledReason.map(r -> "task networks not enforced: " + r + "; tasks use the host's network and resolver")
                .orElse("task networks enforced: a network namespace per task, nftables rules from the group's VPCs, "
                        + "routes and NAT gateways, the host closed to tasks, a routing table per VPC (rules at priority "
                        + RULE_PRIORITY + "), no IPv6; " + (resolverInstalled
                                ? "a resolver (dnsmasq) per task for private zones, upstreams " + upstreams() + " with internet only"
                                : "dnsmasq is missing: no name resolves in tasks (install dnsmasq)"));
    }

    /** The namespace of one run (the backend's prefix keeps servers sharing a machine apart). */
    String namespace(String instanceId) {
        return namePrefix + instanceId;
    }

    /** SPEC RT-3: the network item of an instance's enforcement. */
    Enforcement.Item networkItem(LaunchSpec spec) {
        if (disabledReason.isPresent()) {
            return Enforcement.Item.no("runs in the host's network namespace: " + disabledReason.get());
        }
        List<String> tables = spec.network().vpcs().stream().map(v -> v.vpcId() + " → host routing table " + vpcTable(v.vpcId())).toList();
        return Enforcement.Item.yes("own network namespace, no IPv6; " + NetworkPolicy.of(spec.network()).describe()
                + (tables.isEmpty() ? "" : "; " + String.join(", ", tables)) + "; network changes apply to tasks started afterwards");
    }

    /** SPEC RT-3: the DNS item. */
    Enforcement.Item dnsItem(LaunchSpec spec) {
        if (disabledReason.isPresent()) {
            return Enforcement.Item.no("uses the host's resolver: private-zone records are not applied ("
                    + disabledReason.get() + ")");
        }
        if (!resolverInstalled) {
            return Enforcement.Item.no("dnsmasq is missing: no name resolves in the task, private-zone records are not served");
        }
        NetworkPolicy policy = NetworkPolicy.of(spec.network());
        long records = zoneRecords(spec.network()).size();
        String others = policy.internetVia().isEmpty()
                ? "other names refused (no NAT gateway with an EIP on any bound VPC)"
                : dnsUpstreams.isEmpty() ? "other names refused (no upstream resolver configured)"
                : "other names forwarded to " + String.join(", ", upstreams()) + " through the internet";
        if (!resolverNeeded(spec.network())) {
            return Enforcement.Item.yes("the task's own resolver is not started: no private-zone record and no internet, "
                    + "so every name fails at once");
        }
        return Enforcement.Item.yes("the task's own resolver (dnsmasq at " + RESOLVER + " in its namespace): " + records
                + " private-zone records; " + others + "; record changes apply to tasks started afterwards");
    }

    /** The supervisor's variables: empty NET_NS when not enforced. */
    Map<String, String> supervisorVariables(String instanceId) {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("NET_NS", enforced() ? namespace(instanceId) : "");
        variables.put("NET_SCRIPT", script.map(Path::toString).orElse(""));
        variables.put("NET_INDEX", Long.toString(Integer.toUnsignedLong(instanceId.hashCode()) % 4_194_300L));
        return variables;
    }

    /**
     * The key under which the task's namespace may be reused by a later task (the launcher gives a
     * namespace back only to a launch with the same key): its group and workspace, from the
     * server's {@code SRG_RESOURCE_GROUP_ID} and {@code SRG_WORKSPACE_ID}, and this backend's
     * directory. Empty (never reused) without them, when not enforced, or when the task gets a
     * resolver (a daemon of its own session in the namespace).
     */
    String reuseKey(LaunchSpec spec) {
        String group = spec.env().get("SRG_RESOURCE_GROUP_ID"), workspace = spec.env().get("SRG_WORKSPACE_ID");
        if (!enforced() || group == null || workspace == null || (resolverInstalled && resolverNeeded(spec.network()))) {
            return "";
        }
        return hash((namePrefix + "\n" + group + "\n" + workspace).getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }

    /**
     * Writes {@code <instance>/net/}: the namespace's rules, hosts, resolv.conf, the resolver's
     * configuration (when it has something to answer) and the host routing tables of the bound VPCs.
     */
    void prepare(Path instanceDirectory, LaunchSpec spec) throws IOException {
        if (!enforced()) {
            return;
        }
        Path net = instanceDirectory.resolve("net");
        Files.createDirectories(net);
        Files.setPosixFilePermissions(net, PosixFilePermissions.fromString("rwx------"));
        NetworkPolicy policy = NetworkPolicy.of(spec.network());
        write(net.resolve("rules.nft"), rules(policy));
        write(net.resolve("hosts"), hosts());
        write(net.resolve("resolv.conf"), resolvConf());
        if (resolverInstalled && resolverNeeded(spec.network())) {
            write(net.resolve("dnsmasq.conf"), resolverConf(net, spec.network(), policy.internetVia().isPresent() ? upstreams() : List.of()));
        }
        write(net.resolve("tables"), tables(spec.network()));
    }

    /** SPEC NET-9: a resolver only when it has something to answer; without one every name fails at once. */
    private boolean resolverNeeded(NetworkContext network) {
        return !zoneRecords(network).isEmpty() || (NetworkPolicy.of(network).internetVia().isPresent() && !upstreams().isEmpty());
    }

    private List<String> upstreams() {
        return dnsUpstreams.stream().filter(u -> IP_ADDRESS.matcher(u).matches()).limit(3).toList();
    }

    /** Removes a run's namespace (and its resolver, and its link's rules) if it is left (its supervisor died before). */
    void release(String instanceId) {
        if (enforced() && Files.exists(NETNS_DIRECTORY.resolve(namespace(instanceId)))) {
            deleteNamespace(namespace(instanceId));
            // Only then can its link's rules be left: netns.sh down removes them before the namespace,
            // so a task that ended normally costs no `ip rule show` here.
            pruneRules();
        }
    }

    /**
     * At start: removes this backend's namespaces whose supervisor is gone (a crash of both), the
     * processes still in them (the resolver), and the host's rules of task links that are gone.
     */
    int sweep(Predicate<String> supervisorAlive) {
        if (!enforced()) {
            return 0;
        }
        int removed = 0;
        try (var names = Files.list(NETNS_DIRECTORY)) {
            for (Path entry : names.toList()) {
                String name = entry.getFileName().toString();
                if (name.startsWith(namePrefix) && !supervisorAlive.test(name.substring(namePrefix.length()))) {
                    deleteNamespace(name);
                    removed++;
                }
            }
        } catch (IOException e) {
            // no /run/netns: no namespace at all
        }
        pruneRules();
        return removed;
    }

    /**
     * A namespace goes only when no process is left in it: its resolver (a daemon of its own
     * session, which no cgroup of the task holds) is killed first, or it would keep the namespace,
     * and answer, after the name is gone.
     */
    private static void deleteNamespace(String name) {
        try {
            for (String pid : run(List.of("ip", "netns", "pids", name), "").split("\\s+")) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                        p.destroyForcibly();
                        try {
                            p.onExit().get(5, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                            log.warn("process {} of network namespace {} does not end", p.pid(), name);
                        }
                    });
                }
            }
            // the veth pair now, not when the kernel gets round to the namespace (asynchronously, later
            // under load): its host end's policy rules are [detached] for the prune that follows
            try {
                run(List.of("ip", "-n", name, "link", "del", "eth0"), "");
            } catch (RuntimeException e) {
                log.debug("no task link in network namespace {}: {}", name, e.getMessage());
            }
            run(List.of("ip", "netns", "del", name), "");
        } catch (RuntimeException e) {
            log.warn("cannot remove network namespace {}: {}", name, e.getMessage());
        }
    }

    /**
     * Removes the host's policy rules of task links that no longer exist ({@code [detached]}): the
     * kernel keeps a rule by interface name when its link goes. Any server's: a rule for a gone
     * link is nobody's, and a new link of that name removes it before adding its own.
     */
    static int pruneRules() {
        int removed = 0;
        try {
            for (String line : run(List.of("ip", "-4", "rule", "show", "priority", Integer.toString(RULE_PRIORITY)), "").split("\n")) {
                var m = DETACHED_RULE.matcher(line);
                if (m.find()) {
                    run(List.of("ip", "-4", "rule", "del", "priority", Integer.toString(RULE_PRIORITY), "iif", m.group(1),
                            "lookup", m.group(2)), "");
                    removed++;
                }
            }
        } catch (RuntimeException e) {
            log.warn("cannot prune the host's task rules: {}", e.getMessage());
        }
        return removed;
    }

    private static final Pattern DETACHED_RULE = Pattern.compile("iif (srgt[0-9a-f]+) \\[detached\\] lookup (\\d+)");

    // --- generated files ---

    /**
     * SPEC NET-7, NET-8: the task namespace's table. What is not allowed is refused with ICMP
     * admin-prohibited: connect() fails with "No route to host" (within a second: the kernel answers
     * the SYN's first retry), rather than hanging until a timeout, and is not mistaken for a
     * server's "connection refused".
     */
    static String rules(NetworkPolicy policy) {
        Set<String> allowed = new LinkedHashSet<>();
        policy.vpcs().forEach(a -> allowed.add(a.cidr().toString()));
        policy.routes().forEach(a -> allowed.add(a.cidr().toString()));
        StringBuilder out = new StringBuilder();
        out.append("table inet srg_task {\n");
        out.append("  chain output {\n    type filter hook output priority 0; policy drop;\n");
        out.append("    oifname \"lo\" accept\n");
        out.append("    ip daddr ").append(Cidr.RESERVED).append(" ").append(REFUSE).append("\n");
        out.append("    ip daddr ").append(TASK_RANGE).append(" ").append(REFUSE).append("\n");
        if (!allowed.isEmpty()) {
            out.append("    ip daddr { ").append(String.join(", ", allowed)).append(" } accept\n");
        }
        if (policy.internetVia().isPresent()) {
            List<String> nonInternet = new ArrayList<>();
            NetworkPolicy.NON_INTERNET.forEach(c -> nonInternet.add(c.toString()));
            out.append("    ip daddr != { ").append(String.join(", ", nonInternet)).append(" } accept\n");
        }
        out.append("    ").append(REFUSE).append("\n");
        out.append("  }\n");
        // replies to what the task opened; nothing from outside opens a connection to a task
        out.append("  chain input {\n    type filter hook input priority 0; policy drop;\n");
        out.append("    iifname \"lo\" accept\n    ct state established,related accept\n  }\n");
        out.append("}\n");
        return out.toString();
    }

    /**
     * The task's own /etc/hosts: only localhost. Zone records are the resolver's (one source,
     * which programs that ask DNS directly see too).
     */
    static String hosts() {
        return "# srg: this task's hosts; private-zone names are answered by its resolver (" + RESOLVER + ")\n"
                + "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
    }

    static String resolvConf() {
        return "# srg: the task's own resolver (private zones of its group's VPCs; other names only with internet)\n"
                + "nameserver " + RESOLVER + "\noptions timeout:2 attempts:1\n";
    }

    /** SPEC NET-9: the A records of the group's zones that are well-formed (nothing else reaches the resolver's configuration). */
    static List<NetworkContext.DnsRecord> zoneRecords(NetworkContext network) {
        return network.dnsRecords().stream()
                .filter(r -> "A".equals(r.type()) && DNS_NAME.matcher(r.name()).matches() && IPV4.matcher(r.value()).matches())
                .toList();
    }

    /**
     * SPEC NET-9: the task's resolver. It answers the zones' A records; other names go to the
     * upstreams only when the task reaches the internet (its queries leave from the task's
     * namespace, under the task's rules), and are refused (REFUSED, at once) otherwise. It drops
     * to nobody after reading this file as root.
     */
    static String resolverConf(Path net, NetworkContext network, List<String> upstreams) {
        StringBuilder out = new StringBuilder("# srg: the task's resolver (docs/rules.md#NET-9)\n");
        out.append("listen-address=").append(RESOLVER).append("\nbind-interfaces\nno-hosts\nno-resolv\n");
        out.append("domain-needed\nbogus-priv\nuser=nobody\ngroup=nogroup\nlog-facility=/dev/null\n");
        out.append("pid-file=").append(net.resolve("dnsmasq.pid")).append('\n');
        for (NetworkContext.DnsRecord record : zoneRecords(network)) {
            String name = record.name().endsWith(".") ? record.name().substring(0, record.name().length() - 1) : record.name();
            out.append("host-record=").append(name).append(',').append(record.value()).append('\n');
        }
        upstreams.forEach(u -> out.append("server=").append(u).append('\n'));
        return out.toString();
    }

    /**
     * The host's routing table of a VPC: what the operator (or a test) routes there is reached by
     * the tasks of that VPC's groups only, so two VPCs with the same CIDR each reach their own
     * hosts. A table without a route for an address leaves it to the host's main table.
     */
    static long vpcTable(String vpcId) {
        return 1_000_000L + Long.parseLong(hash(vpcId.getBytes(StandardCharsets.UTF_8)).substring(0, 8), 16) % 8_000_000L;
    }

    /** One table number per line, for the task link's policy rules (netns.sh). */
    static String tables(NetworkContext network) {
        StringBuilder out = new StringBuilder();
        network.vpcs().stream().map(v -> vpcTable(v.vpcId())).distinct().forEach(t -> out.append(t).append('\n'));
        return out.toString();
    }

    /**
     * The host's side, replaced atomically (one nft transaction, so another server's tasks are
     * never unguarded): nothing from a task link reaches the host itself, 21.0.0.0/8 is never
     * forwarded, and tasks' traffic leaves with the host's address.
     */
    static String guardTable() {
        return "table inet " + GUARD_TABLE + " {}\n"
                + "delete table inet " + GUARD_TABLE + "\n"
                + "table inet " + GUARD_TABLE + " {\n"
                + "  chain input {\n    type filter hook input priority -10; policy accept;\n"
                + "    iifname \"srgt*\" " + REFUSE + "\n  }\n"
                + "  chain forward {\n    type filter hook forward priority -10; policy accept;\n"
                + "    iifname \"srgt*\" ip daddr " + Cidr.RESERVED + " drop\n"
                + "    iifname \"srgt*\" ip daddr " + TASK_RANGE + " drop\n  }\n"
                + "  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n"
                + "    ip saddr " + TASK_RANGE + " oifname != \"srgt*\" masquerade\n  }\n"
                + "}\n";
    }

    /** The host's resolvers a task can reach: not its loopback ones (the task's loopback is its own). */
    static List<String> hostNameservers() {
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                var m = NAMESERVER.matcher(line);
                if (m.matches() && !m.group(1).startsWith("127.") && !m.group(1).equals("::1")) {
                    out.add(m.group(1));
                }
            }
        } catch (IOException e) {
            // none
        }
        return out;
    }

    // --- helpers ---

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content);
        // read by the task through the bind mounts (as its own uid)
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** Into a directory of its own (root only), not the supervisor's: tools look for the one supervisor there. */
    private static Path install(Path supervisorDirectory) throws IOException {
        Files.createDirectories(supervisorDirectory);
        Files.setPosixFilePermissions(supervisorDirectory, PosixFilePermissions.fromString("rwx------"));
        byte[] content;
        try (InputStream in = TaskNetwork.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + SCRIPT_RESOURCE + " is missing");
            }
            content = in.readAllBytes();
        }
        // named by its hash, like the supervisor: a running bash reads its script as it goes
        Path target = supervisorDirectory.resolve("netns-" + hash(content).substring(0, 16) + ".sh");
        if (!Files.exists(target)) {
            Path temporary = supervisorDirectory.resolve(target.getFileName() + "." + ProcessHandle.current().pid());
            Files.write(temporary, content);
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rwx------"));
            Files.move(temporary, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private static String run(List<String> command, String input) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Optional<Path> find(String tool) {
        for (String dir : LocalExecutionBackend.TASK_PATH.split(":")) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String hash(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
