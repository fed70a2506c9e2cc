package dev.srg.execution.kubernetes;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.LaunchSpec;
import dev.srg.execution.NetworkContext;
import dev.srg.network.Cidr;
import dev.srg.network.NetworkPolicy;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.HostAliasBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.KeyToPathBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Kubernetes objects of srg's mapping (SPEC HA-3, docs/kubernetes.md), as pure functions of a
 * launch: a namespace per group with a ResourceQuota of its CUs and a NetworkPolicy from its
 * networks; a Pod per launch whose requests equal its limits equal its CUs, its files and
 * environment in a Secret of the same name.
 */
final class KubernetesObjects {
    static final String WORK_DIR = "/srg/work";
    private static final String FILE_KEY = "file.";
    private static final String ENV_KEY = "env.";
    private static final long GIB = 1024L * 1024 * 1024;

    private final String backendName;
    private final KubernetesBackendConfig config;

    KubernetesObjects(String backendName, KubernetesBackendConfig config) {
        this.backendName = requireNonNull(backendName, "backendName is null");
        this.config = requireNonNull(config, "config is null");
    }

    /** The java srg's worker kinds start (the server's own, see SyncRuntime), on the server's classpath. */
    private static final String SERVER_JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /** The kind whose worker srg calls (dev.srg.dataservice): it is reached on its Pod's address. */
    static final String DATA_SERVICE = "DATA_SERVICE";

    /**
     * Whether a launch is one of srg's own workers (the sync worker of DATA_INTEGRATION): a kind
     * starts them with the server's java on the server's classpath, which a Pod does not have; on
     * Kubernetes they run in the region's worker image instead.
     */
    static boolean srgWorker(LaunchSpec spec) {
        List<String> argv = spec.command().argv();
        int cp = argv.indexOf("-cp");
        return argv.get(0).equals(SERVER_JAVA) && cp > 0 && cp + 1 < argv.size();
    }

    /**
     * The container's command: srg's worker with the image's java and classpath; anything else as the
     * kind built it. The DataService worker listens on the region's {@code dataServicePort} (TCP: srg shares no
     * file system with a Pod, so the local backend's Unix socket cannot be reached).
     */
    List<String> command(LaunchSpec spec) {
        List<String> argv = new ArrayList<>(spec.command().argv());
        if (srgWorker(spec)) {
            argv.set(0, "java");
            argv.set(argv.indexOf("-cp") + 1, config.workerClasspath());
            // the class archive the server made for its workers (SyncRuntime) belongs to its own JDK and jars, not the image's
            argv.removeIf(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("-XX:SharedArchiveFile=") || a.startsWith("-Xlog:aot")
                    || a.startsWith("-Xlog:cds"));
            if (DATA_SERVICE.equals(spec.kindName())) {
                argv.add("--tcp");
                argv.add(Integer.toString(config.dataServicePort()));
            }
        }
        return argv;
    }

    /** The labels every object of one launch carries: found again by label after a restart. */
    Map<String, String> labels(String podName) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(KubernetesNames.MANAGED_BY, KubernetesNames.MANAGER);
        labels.put(KubernetesNames.BACKEND, backendName);
        labels.put(KubernetesNames.POD, podName);
        return labels;
    }

    Map<String, String> backendLabels() {
        return Map.of(KubernetesNames.MANAGED_BY, KubernetesNames.MANAGER, KubernetesNames.BACKEND, backendName);
    }

    Namespace namespace(String name, String groupId) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(backendLabels())
                .withAnnotations(Map.of(KubernetesNames.GROUP, groupId)).endMetadata().build();
    }

    /** The group's CUs as a hard quota: cpu = CU cores, memory = 4 GiB × CU, requests and limits alike. */
    ResourceQuota quota(String namespace, long groupMilliCu) {
        Quantity cpu = cpu(groupMilliCu);
        Quantity memory = memory(groupMilliCu);
        Map<String, Quantity> hard = new TreeMap<>();
        hard.put("requests.cpu", cpu);
        hard.put("limits.cpu", cpu);
        hard.put("requests.memory", memory);
        hard.put("limits.memory", memory);
        return new ResourceQuotaBuilder().withNewMetadata().withName(KubernetesNames.QUOTA).withNamespace(namespace)
                .withLabels(backendLabels()).endMetadata()
                .withNewSpec().withHard(hard).endSpec().build();
    }

    /**
     * SPEC NET-7, NET-8 as a NetworkPolicy on srg's Pods in the group's namespace: no ingress;
     * egress to the bound VPCs' CIDRs and declared routes, the internet (every address but the
     * private, shared, link-local and reserved ranges) only through a NAT gateway with an EIP,
     * and DNS to the cluster's resolver. Enforced only where the cluster's CNI enforces policies.
     */
    io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy networkPolicy(String namespace, NetworkContext network) {
        NetworkPolicy allowed = NetworkPolicy.of(network);
        List<NetworkPolicyPeer> peers = new ArrayList<>();
        allowed.vpcs().forEach(a -> peers.add(ipBlock(a.cidr().toString(), List.of())));
        allowed.routes().forEach(a -> peers.add(ipBlock(a.cidr().toString(), List.of())));
        if (allowed.internetVia().isPresent()) {
            peers.add(ipBlock("0.0.0.0/0", NetworkPolicy.NON_INTERNET.stream().map(Cidr::toString).toList()));
        }
        List<NetworkPolicyEgressRule> egress = new ArrayList<>();
        if (!peers.isEmpty()) {
            egress.add(new NetworkPolicyEgressRuleBuilder().withTo(peers).build());
        }
        egress.add(new NetworkPolicyEgressRuleBuilder()
                .addNewTo().withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", config.dnsNamespace())
                .endNamespaceSelector().withNewPodSelector().withMatchLabels(config.dnsPodLabels()).endPodSelector().endTo()
                .withPorts(new NetworkPolicyPortBuilder().withProtocol("UDP").withPort(new IntOrString(53)).build(),
                        new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(53)).build())
                .build());
        return new NetworkPolicyBuilder().withNewMetadata().withName(KubernetesNames.POLICY).withNamespace(namespace)
                .withLabels(backendLabels()).endMetadata()
                .withNewSpec().withNewPodSelector().withMatchLabels(backendLabels()).endPodSelector()
                .withPolicyTypes("Ingress", "Egress").withIngress(new NetworkPolicyIngressRuleBuilder()
                        // srg calls DataService workers there (authenticated by the instance's secret); nothing else comes in
                        .withPorts(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(config.dataServicePort())).build())
                        .build())
                .withEgress(egress).endSpec().build();
    }

    private static NetworkPolicyPeer ipBlock(String cidr, List<String> except) {
        return new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).withExcept(except).endIpBlock().build();
    }

    /** The launch's files and environment (a kind may put credentials in either): a Secret, never a ConfigMap. */
    Secret secret(String namespace, LaunchSpec spec, String state) {
        String pod = KubernetesNames.pod(spec.instanceId());
        Map<String, String> data = new TreeMap<>();
        spec.command().files().forEach((name, content) -> data.put(FILE_KEY + name, base64(content)));
        spec.taskEnv().forEach((name, value) -> data.put(ENV_KEY + name, base64(value)));
        return new SecretBuilder().withNewMetadata().withName(pod).withNamespace(namespace).withLabels(labels(pod))
                .withAnnotations(Map.of(KubernetesNames.RUN, spec.instanceId(), KubernetesNames.STATE, state)).endMetadata()
                .withType("Opaque").withData(data).build();
    }

    /**
     * The Pod of a launch: never restarted, requests = limits = its CUs, the timeout as
     * {@code activeDeadlineSeconds}, a non-root uid without privileges, no service-account token,
     * the private-zone records as {@code hostAliases}, its files mounted read-only one by one into a
     * writable work directory.
     */
    Pod pod(String namespace, LaunchSpec spec, String image) {
        String pod = KubernetesNames.pod(spec.instanceId());
        List<EnvVar> env = new ArrayList<>();
        new TreeMap<>(spec.taskEnv()).keySet().forEach(name -> env.add(new EnvVarBuilder().withName(name)
                .withNewValueFrom().withNewSecretKeyRef().withName(pod).withKey(ENV_KEY + name).endSecretKeyRef().endValueFrom()
                .build()));
        List<VolumeMount> mounts = new ArrayList<>();
        mounts.add(new VolumeMountBuilder().withName("work").withMountPath(WORK_DIR).build());
        List<KeyToPath> items = new ArrayList<>();
        new TreeMap<>(spec.command().files()).keySet().forEach(name -> {
            items.add(new KeyToPathBuilder().withKey(FILE_KEY + name).withPath(name).withMode(0444).build());
            mounts.add(new VolumeMountBuilder().withName("files").withMountPath(WORK_DIR + "/" + name).withSubPath(name)
                    .withReadOnly(true).build());
        });
        Map<String, Quantity> resources = Map.of("cpu", cpu(spec.milliCu()), "memory", memory(spec.milliCu()));
        PodBuilder builder = new PodBuilder().withNewMetadata().withName(pod).withNamespace(namespace).withLabels(labels(pod))
                .withAnnotations(Map.of(KubernetesNames.RUN, spec.instanceId(), "srg.dev/kind", spec.kindName())).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(config.terminationGraceSeconds())
                .withHostAliases(hostAliases(spec.network()))
                .withNewSecurityContext().withRunAsUser(config.runAsUser()).withRunAsGroup(config.runAsUser())
                .withRunAsNonRoot(true).withFsGroup(config.runAsUser()).withSupplementalGroups(workspaceGroup(spec))
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addNewContainer().withName(KubernetesNames.CONTAINER).withImage(image).withCommand(command(spec))
                .withWorkingDir(WORK_DIR).withEnv(env).withVolumeMounts(mounts)
                .withNewResources().withRequests(resources).withLimits(resources).endResources()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .endContainer()
                .addNewVolume().withName("work").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("files").withNewSecret().withSecretName(pod).withItems(items).withDefaultMode(0444)
                .endSecret().endVolume()
                .endSpec();
        if (spec.hasTimeout()) {
            // whole seconds, rounded up: the task gets at least its timeout
            long seconds = Math.max(1, (spec.timeout().toMillis() + 999) / 1000);
            builder.editSpec().withActiveDeadlineSeconds(seconds).endSpec();
        }
        return builder.build();
    }

    /**
     * The task's workspace gid (V44_1) as its one supplementary group, as on the local backend: a
     * volume of that group with mode 2770 (a CSV data source's directory on shared storage) is its
     * workspace's alone. None when the spec carries none.
     */
    static List<Long> workspaceGroup(LaunchSpec spec) {
        String gid = spec.env().get(LaunchSpec.WORKSPACE_GID);
        return gid == null ? List.of() : List.of(Long.parseLong(gid));
    }

    /** SPEC NET-9: the group's private-zone A records, one host alias per address. */
    static List<HostAlias> hostAliases(NetworkContext network) {
        Map<String, List<String>> byAddress = new TreeMap<>();
        for (NetworkContext.DnsRecord r : network.dnsRecords()) {
            if ("A".equals(r.type()) || "AAAA".equals(r.type())) {
                byAddress.computeIfAbsent(r.value(), a -> new ArrayList<>()).add(r.name());
            }
        }
        List<HostAlias> aliases = new ArrayList<>();
        byAddress.forEach((ip, names) -> aliases.add(new HostAliasBuilder().withIp(ip).withHostnames(names).build()));
        return aliases;
    }

    static Quantity cpu(long milliCu) {
        return new Quantity(milliCu + "m");
    }

    static Quantity memory(long milliCu) {
        long bytes = milliCu * 4 * GIB / 1000;
        return bytes % GIB == 0 ? new Quantity(bytes / GIB + "Gi") : new Quantity(Long.toString(bytes));
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
