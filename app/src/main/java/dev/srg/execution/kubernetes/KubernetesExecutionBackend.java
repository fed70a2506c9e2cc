package dev.srg.execution.kubernetes;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.Enforcement;
import dev.srg.execution.ExecutionBackend;
import dev.srg.execution.ExitListener;
import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import dev.srg.execution.LaunchOutcome;
import dev.srg.execution.LaunchSpec;
import dev.srg.execution.Launched;
import dev.srg.execution.LimitsSupport;
import dev.srg.execution.RecoveredInstance;
import dev.srg.network.NetworkPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as a Pod on a Kubernetes cluster (SPEC HA-3; docs/kubernetes.md). The same
 * admission decides; the cluster only runs what was admitted, inside a ResourceQuota of the group's
 * CUs that holds even if srg erred.
 *
 * <p>At most once, as the local backend: a launch has one deterministic Pod name, so a create
 * that finds the Pod already there is a launch that happened. The launch's Secret (its files and
 * environment) is written first and records how far the launch got in an annotation
 * ({@code preparing}, then {@code launched} once the Pod exists, {@code cancelled}), so that after a
 * restart a missing Pod is told apart: never created (launched again), cancelled, or deleted behind
 * srg's back (FAILED, reason LOST, saying so).
 *
 * <p>Outcomes come from listing srg's Pods by label every {@code pollMillis}: a list, unlike a
 * watch, needs no resumption after a dropped connection and sees a Pod that vanished.
 *
 * <p>Clean-up, by the server in charge (the one that recovered and launches): an ended Pod and its
 * Secret are removed once the store says the launch's outcome is recorded and the retention
 * ({@code endedPodRetentionSeconds}) passed, its log kept first (in the database: every server serves it); the namespace of a
 * released group goes once no Pod of srg is left in it. The same pass finds what an earlier run of
 * srg left (a crash between the record and the removal), so nothing is swept blindly: only what the
 * store says is over.
 */
public final class KubernetesExecutionBackend implements ExecutionBackend {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesExecutionBackend.class);
    static final String PREPARING = "preparing";
    static final String LAUNCHED = "launched";
    static final String CANCELLED = "cancelled";
    /** Clean-up lists every Pod and Secret of srg: every tenth poll, not every one. */
    private static final int CLEAN_UP_EVERY_POLLS = 10;
    /** Old kept logs are looked for at every sixth clean-up (a minute with the default poll). */
    private static final int KEPT_LOG_RETENTION_EVERY_CLEAN_UPS = 6;

    private final String name;
    private final KubernetesBackendConfig config;
    private final KubernetesClient client;
    private final ExitListener listener;
    private final KubernetesStoreView store;
    private final KeptPodLogs keptLogs;
    private final KubernetesObjects objects;
    /** Launches this backend watches: started here or re-attached, not reported yet. */
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    /** Where each launch's Pod is (also after its end): for logs and cancels. */
    private final Map<String, String> namespaces = new ConcurrentHashMap<>();
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    /** Handed to {@link #recover} while the API did not answer: recovered by the poller. */
    private final Set<String> unrecovered = ConcurrentHashMap.newKeySet();
    /** Cancelled before any launch reached this backend: never started. */
    private final Set<String> cancelledBeforeLaunch = ConcurrentHashMap.newKeySet();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /** What this backend last applied to each namespace (quota CUs, policy): unchanged ones are not sent again. */
    private final Map<String, List<Object>> prepared = new ConcurrentHashMap<>();
    private final ExecutorService callbacks;
    private final ScheduledExecutorService poller;
    private volatile boolean closed;
    /** This server recovered (it leads): only then does it clean up; a follower only reads logs. */
    private volatile boolean inCharge;
    private volatile long lastPollWarning;
    private long polls;
    private long cleanUps;

    /** A launch being watched; {@code since} guards against a list that began before its Pod was created. */
    private static final class Tracked {
        final String runId;
        final String namespace;
        final String pod;
        final long since;
        volatile boolean cancelRequested;

        Tracked(String runId, String namespace, String pod, boolean cancelRequested) {
            this.runId = runId;
            this.namespace = namespace;
            this.pod = pod;
            this.since = System.nanoTime();
            this.cancelRequested = cancelRequested;
        }
    }

    /**
     * @param name the backend's name (the region's {@code backend}); labels its objects
     * @param store what the backend asks of the store: a group's CUs, released groups, recorded outcomes
     * @param logDir where the logs of removed Pods are kept
     */
    public KubernetesExecutionBackend(String name, KubernetesBackendConfig config, KubernetesClient client, ExitListener listener,
                                      KubernetesStoreView store, Path logDir) {
        this(name, config, client, listener, store, KeptPodLogs.inDirectory(requireNonNull(logDir, "logDir is null")));
    }

    /**
     * @param name the backend's name (the region's {@code backend}); labels its objects
     * @param store what the backend asks of the store: a group's CUs, released groups, recorded outcomes
     * @param keptLogs where the logs of removed Pods are kept (a server: its database, which every server reads)
     */
    public KubernetesExecutionBackend(String name, KubernetesBackendConfig config, KubernetesClient client, ExitListener listener,
                                      KubernetesStoreView store, KeptPodLogs keptLogs) {
        this.name = requireNonNull(name, "name is null");
        this.config = requireNonNull(config, "config is null");
        this.client = requireNonNull(client, "client is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.store = requireNonNull(store, "store is null");
        this.keptLogs = requireNonNull(keptLogs, "keptLogs is null");
        this.objects = new KubernetesObjects(name, config);
        this.callbacks = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("k8s-" + name + "-exits").daemon().factory());
        this.poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("k8s-" + name + "-poll").daemon().factory());
        poller.scheduleWithFixedDelay(this::pollSafely, config.pollMillis(), config.pollMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Launched launch(LaunchSpec spec) {
        String runId = spec.instanceId();
        checkOpen();
        synchronized (lock(runId)) {
            if (reported.contains(runId)) {
                return new Launched(runId, LaunchOutcome.FINISHED);
            }
            if (tracked.containsKey(runId)) {
                return new Launched(runId, LaunchOutcome.ALREADY_RUNNING);
            }
            if (cancelledBeforeLaunch.contains(runId)) {
                report(runId, ExitStatus.withoutRun(FailureReason.CANCELLED, Instant.now(), "cancelled before it started"));
                return new Launched(runId, LaunchOutcome.FINISHED);
            }
            String namespace = namespaceOf(spec);
            String pod = KubernetesNames.pod(runId);
            namespaces.put(runId, namespace);
            try {
                Pod existing = client.pods().inNamespace(namespace).withName(pod).get();
                if (existing != null) {
                    return new Launched(runId, attach(runId, existing, state(secret(namespace, pod))));
                }
                Secret secret = secret(namespace, pod);
                String state = state(secret);
                if (CANCELLED.equals(state)) {
                    report(runId, ExitStatus.withoutRun(FailureReason.CANCELLED, Instant.now(), "cancelled before it started"));
                    return new Launched(runId, LaunchOutcome.FINISHED);
                }
                if (LAUNCHED.equals(state)) {
                    report(runId, deletedBehindOurBack(namespace, pod));
                    return new Launched(runId, LaunchOutcome.FINISHED);
                }
                Optional<String> image = imageOf(spec);
                if (image.isEmpty()) {
                    report(runId, ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, Instant.now(), KubernetesObjects.srgWorker(spec)
                            ? "srg's worker (" + spec.kindName() + ") runs in the region's worker image, and this region's"
                                    + " kubernetes configuration names none (workerImage: java 21 and srg's jar)"
                            : "custom image " + spec.imageId().orElseThrow() + " has no image reference in this region's"
                                    + " kubernetes configuration (images or imagePattern)"));
                    return new Launched(runId, LaunchOutcome.FINISHED);
                }
                prepareNamespace(namespace, spec);
                client.secrets().inNamespace(namespace).resource(objects.secret(namespace, spec, PREPARING))
                        .createOr(NonDeletingOperation::update);
                return new Launched(runId, createPod(spec, namespace, pod, image.get()));
            } catch (KubernetesClientException e) {
                // the API refused (quota, admission webhook, RBAC) or is unreachable; the namespace is checked
                // again next time (it may have been deleted behind srg's back)
                LOG.warn("launch of {} on {} failed: {}", runId, name, e.getMessage());
                prepared.remove(namespace);
                report(runId, ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, Instant.now(),
                        "the Kubernetes API refused the Pod: " + brief(e)));
                return new Launched(runId, LaunchOutcome.FINISHED);
            }
        }
    }

    private LaunchOutcome createPod(LaunchSpec spec, String namespace, String pod, String image) {
        try {
            client.pods().inNamespace(namespace).resource(objects.pod(namespace, spec, image)).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                // created by an earlier launch (or an earlier server): the launch happened
                Pod existing = client.pods().inNamespace(namespace).withName(pod).get();
                if (existing != null) {
                    return attach(spec.instanceId(), existing, PREPARING);
                }
            }
            // an answer lost after the Pod was made: make sure it does not run unreported
            deleteQuietly(namespace, pod);
            throw e;
        }
        markSecret(namespace, pod, LAUNCHED);
        tracked.put(spec.instanceId(), new Tracked(spec.instanceId(), namespace, pod, false));
        return LaunchOutcome.STARTED;
    }

    /** Watches an existing Pod, or reports it when it has ended already. */
    private LaunchOutcome attach(String runId, Pod pod, String secretState) {
        String namespace = pod.getMetadata().getNamespace();
        String podName = pod.getMetadata().getName();
        namespaces.put(runId, namespace);
        boolean cancelled = CANCELLED.equals(secretState);
        if (PodOutcome.ended(pod)) {
            report(runId, cancelled ? cancelledStatus(pod) : PodOutcome.of(pod, Instant.now(), limitsNote(pod)));
            return LaunchOutcome.FINISHED;
        }
        tracked.put(runId, new Tracked(runId, namespace, podName, cancelled));
        return LaunchOutcome.ALREADY_RUNNING;
    }

    @Override
    public void cancel(String instanceId) {
        checkOpen();
        synchronized (lock(instanceId)) {
            if (reported.contains(instanceId)) {
                return;
            }
            Tracked t = tracked.get(instanceId);
            if (t == null) {
                cancelledBeforeLaunch.add(instanceId);
                report(instanceId, ExitStatus.withoutRun(FailureReason.CANCELLED, Instant.now(), "cancelled before it started"));
                return;
            }
            t.cancelRequested = true;
            try {
                // durable first: a restart between the two still knows the Pod's end was asked for
                markSecret(t.namespace, t.pod, CANCELLED);
            } catch (KubernetesClientException e) {
                LOG.warn("cancel of {} on {}: cannot mark its Secret: {}", instanceId, name, e.getMessage());
            }
            deleteQuietly(t.namespace, t.pod); // failed: the next poll asks again
        }
    }

    @Override
    public List<RecoveredInstance> recover(Collection<String> instanceIdsTheStoreThinksAreActive) {
        checkOpen();
        inCharge = true;
        List<String> runs = List.copyOf(instanceIdsTheStoreThinksAreActive);
        List<RecoveredInstance> recovered;
        try {
            recovered = recoverNow(runs);
        } catch (KubernetesClientException e) {
            // the cluster does not answer: nothing may be launched again blindly; the poller finishes the recovery
            LOG.warn("backend {}: cannot list its Pods at start ({}); {} instance(s) are recovered once the API answers",
                    name, brief(e), runs.size());
            unrecovered.addAll(runs);
            return runs.stream().map(r -> new RecoveredInstance(r, RecoveredInstance.State.RUNNING)).toList();
        }
        return recovered;
    }

    /**
     * Recovers what {@link #recover} could not because the API did not answer; one never started
     * is failed (it can not be handed back for a launch any more), never started blindly.
     */
    private void recoverLate() {
        if (unrecovered.isEmpty()) {
            return;
        }
        List<String> runs = List.copyOf(unrecovered);
        for (RecoveredInstance r : recoverNow(runs)) {
            unrecovered.remove(r.instanceId());
            if (r.state() == RecoveredInstance.State.NOT_STARTED) {
                synchronized (lock(r.instanceId())) {
                    report(r.instanceId(), ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, Instant.now(),
                            "never started: the cluster did not answer when srg restarted"));
                }
            }
        }
    }

    private List<RecoveredInstance> recoverNow(List<String> runs) {
        Map<String, Pod> pods = new HashMap<>();
        Map<String, Secret> secrets = new HashMap<>();
        client.pods().inAnyNamespace().withLabels(objects.backendLabels()).list().getItems().forEach(p -> pods.put(run(p), p));
        client.secrets().inAnyNamespace().withLabels(objects.backendLabels()).list().getItems().forEach(s -> secrets.put(run(s), s));
        List<RecoveredInstance> recovered = new ArrayList<>();
        for (String runId : runs) {
            synchronized (lock(runId)) {
                recovered.add(new RecoveredInstance(runId, recoverOne(runId, pods.get(runId), secrets.get(runId))));
            }
        }
        return recovered;
    }

    private RecoveredInstance.State recoverOne(String runId, Pod pod, Secret secret) {
        if (reported.contains(runId)) {
            return RecoveredInstance.State.FINISHED;
        }
        if (tracked.containsKey(runId)) {
            return RecoveredInstance.State.RUNNING;
        }
        String state = state(secret);
        if (pod != null) {
            return attach(runId, pod, state) == LaunchOutcome.FINISHED ? RecoveredInstance.State.FINISHED
                    : RecoveredInstance.State.RUNNING;
        }
        if (secret == null) {
            return RecoveredInstance.State.NOT_STARTED;
        }
        String namespace = secret.getMetadata().getNamespace();
        namespaces.put(runId, namespace);
        if (CANCELLED.equals(state)) {
            report(runId, ExitStatus.withoutRun(FailureReason.CANCELLED, Instant.now(), "cancelled; its Pod is gone"));
            return RecoveredInstance.State.FINISHED;
        }
        if (LAUNCHED.equals(state)) {
            report(runId, deletedBehindOurBack(namespace, secret.getMetadata().getName()));
            return RecoveredInstance.State.LOST;
        }
        return RecoveredInstance.State.NOT_STARTED;
    }

    @Override
    public LimitsSupport limitsSupport() {
        return new LimitsSupport(true, "Kubernetes: requests = limits = the CUs of each Pod, a ResourceQuota of the group's CUs"
                + " per namespace");
    }

    @Override
    public Enforcement enforcement(LaunchSpec spec) {
        String limits = "Pod requests = limits = " + KubernetesObjects.cpu(spec.milliCu()) + " CPU, "
                + KubernetesObjects.memory(spec.milliCu()) + " memory (the kubelet's cgroups); the group's namespace has a"
                + " ResourceQuota of its CUs";
        Enforcement.Item network = config.networkPolicies()
                ? Enforcement.Item.yes("NetworkPolicy " + KubernetesNames.POLICY + " in the group's namespace: no ingress; "
                        + NetworkPolicy.of(spec.network()).describe() + "; DNS to the cluster's resolver; delegated to the"
                        + " cluster's CNI, which must enforce NetworkPolicy")
                : Enforcement.Item.no("networkPolicies is off for this region: Pods use the cluster's network unrestricted");
        long aliases = KubernetesObjects.hostAliases(spec.network()).stream().mapToLong(h -> h.getHostnames().size()).sum();
        Enforcement.Item dns = Enforcement.Item.yes(aliases + " private-zone records as the Pod's hostAliases; other names"
                + " through the cluster's DNS");
        boolean worker = KubernetesObjects.srgWorker(spec);
        Enforcement.Item imageItem = imageOf(spec).map(i -> Enforcement.Item.yes("container image " + i
                        + (worker ? " (the region's worker image)" : spec.imageId().isPresent() ? " (custom image "
                                + spec.imageId().get() + ")" : " (the region's default image)")))
                .orElseGet(() -> Enforcement.Item.no(worker ? "the region names no worker image" : "custom image "
                        + spec.imageId().orElse("") + " has no image reference here"));
        return new Enforcement(Enforcement.Item.yes(limits), Enforcement.Item.yes(limits), network, dns, imageItem,
                Enforcement.Item.no("the Pod has no ephemeral-storage limit from srg: what its container writes is bounded only"
                        + " by the node's disk and the kubelet's eviction"));
    }

    /**
     * The Pod's log from byte {@code offset}: the copy srg kept when it removed the Pod, else read from
     * the API server now (the kubelet keeps it while the Pod exists); empty before its container
     * started or when the Pod is gone without a copy.
     */
    @Override
    public InputStream openLog(String instanceId, long offset) throws IOException {
        Optional<byte[]> kept = keptLogs.read(instanceId);
        if (kept.isPresent()) {
            byte[] bytes = kept.get();
            int from = (int) Math.min(bytes.length, Math.max(0, offset));
            return new ByteArrayInputStream(bytes, from, bytes.length - from);
        }
        String namespace = namespaces.get(instanceId);
        String pod = KubernetesNames.pod(instanceId);
        try {
            if (namespace == null) {
                List<Pod> found = client.pods().inAnyNamespace().withLabels(objects.labels(pod)).list().getItems();
                if (found.isEmpty()) {
                    return InputStream.nullInputStream();
                }
                namespace = found.get(0).getMetadata().getNamespace();
                namespaces.put(instanceId, namespace);
            }
            String log = client.pods().inNamespace(namespace).withName(pod).inContainer(KubernetesNames.CONTAINER).getLog();
            byte[] bytes = log == null ? new byte[0] : log.getBytes(StandardCharsets.UTF_8);
            int from = (int) Math.min(bytes.length, Math.max(0, offset));
            return new ByteArrayInputStream(bytes, from, bytes.length - from);
        } catch (KubernetesClientException e) {
            // not started yet (400 "waiting to start"), or gone: no output
            LOG.debug("log of {} on {}: {}", instanceId, name, e.getMessage());
            return InputStream.nullInputStream();
        }
    }

    /**
     * Where srg reaches the DataService worker of {@code runId} (its Pod's IP, the worker's port):
     * empty when the run is not on this backend or its Pod has no address yet.
     */
    public Optional<InetSocketAddress> dataServiceAddress(String runId) {
        String namespace = namespaces.get(runId);
        if (namespace == null || closed) {
            return Optional.empty();
        }
        try {
            Pod pod = client.pods().inNamespace(namespace).withName(KubernetesNames.pod(runId)).get();
            String ip = pod == null || pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            return ip == null || ip.isBlank() ? Optional.empty()
                    : Optional.of(new InetSocketAddress(ip, config.dataServicePort()));
        } catch (KubernetesClientException e) {
            LOG.debug("address of {} on {}: {}", runId, name, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        closed = true;
        poller.shutdownNow();
        callbacks.shutdownNow();
        client.close();
    }

    // --- watching ---

    private void pollSafely() {
        try {
            poll();
            if (++polls % CLEAN_UP_EVERY_POLLS == 0) {
                cleanUp();
            }
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastPollWarning > TimeUnit.SECONDS.toNanos(30)) {
                lastPollWarning = now;
                LOG.warn("backend {}: cannot list its Pods ({}); outcomes wait until the API answers again", name, brief(e));
            }
        }
    }

    /** Lists srg's Pods once and acts on every watched launch that ended or whose Pod is gone. */
    void poll() {
        recoverLate();
        if (tracked.isEmpty() || closed) {
            return;
        }
        long listStarted = System.nanoTime();
        Map<String, Pod> byKey = new HashMap<>();
        client.pods().inAnyNamespace().withLabels(objects.backendLabels()).list().getItems()
                .forEach(p -> byKey.put(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), p));
        for (Tracked t : List.copyOf(tracked.values())) {
            if (t.since - listStarted > 0) {
                continue; // created after the list began: absent from it proves nothing
            }
            synchronized (lock(t.runId)) {
                if (tracked.get(t.runId) != t) {
                    continue;
                }
                Pod pod = byKey.get(t.namespace + "/" + t.pod);
                if (pod == null) {
                    report(t.runId, t.cancelRequested
                            ? ExitStatus.withoutRun(FailureReason.CANCELLED, Instant.now(), "cancelled; its Pod was deleted")
                            : deletedBehindOurBack(t.namespace, t.pod));
                } else if (PodOutcome.ended(pod)) {
                    report(t.runId, t.cancelRequested ? cancelledStatus(pod) : PodOutcome.of(pod, Instant.now(), limitsNote(pod)));
                } else if (t.cancelRequested && pod.getMetadata().getDeletionTimestamp() == null) {
                    // the delete of cancel() failed: ask again
                    deleteQuietly(t.namespace, t.pod);
                } else {
                    Optional<String> cannotStart = PodOutcome.cannotStart(pod);
                    if (cannotStart.isPresent()) {
                        deleteQuietly(t.namespace, t.pod);
                        report(t.runId, ExitStatus.withoutRun(FailureReason.LAUNCH_FAILED, Instant.now(),
                                "the Pod cannot start: " + cannotStart.get()));
                    }
                }
            }
        }
    }

    // --- clean-up ---

    /**
     * Removes what srg is done with: ended Pods (their log kept first) and their Secrets once the
     * store recorded the outcome and the retention passed, also those an earlier run of srg left;
     * then the namespaces of released groups without Pods of srg. Only the server in charge does it.
     */
    void cleanUp() {
        if (!inCharge || closed) {
            return;
        }
        Map<String, Pod> pods = new HashMap<>();
        Map<String, Secret> secrets = new HashMap<>();
        client.pods().inAnyNamespace().withLabels(objects.backendLabels()).list().getItems().forEach(p -> pods.put(run(p), p));
        client.secrets().inAnyNamespace().withLabels(objects.backendLabels()).list().getItems().forEach(s -> secrets.put(run(s), s));
        Set<String> runs = new java.util.TreeSet<>(pods.keySet());
        runs.addAll(secrets.keySet());
        Set<String> namespacesWithPods = new java.util.HashSet<>();
        long now = System.currentTimeMillis();
        for (String runId : runs) {
            Pod pod = pods.get(runId);
            Secret secret = secrets.get(runId);
            if (!validRun(runId) || !removable(runId, pod, secret, now)) {
                if (pod != null) {
                    namespacesWithPods.add(pod.getMetadata().getNamespace());
                }
                continue;
            }
            synchronized (lock(runId)) {
                if (tracked.containsKey(runId)) {
                    continue;
                }
                String namespace = (pod != null ? pod.getMetadata() : secret.getMetadata()).getNamespace();
                String name = (pod != null ? pod.getMetadata() : secret.getMetadata()).getName();
                if (pod != null && !keepLog(runId, namespace, name)) {
                    namespacesWithPods.add(namespace);
                    continue;
                }
                client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
                client.secrets().inNamespace(namespace).withName(name).delete();
                LOG.debug("removed the Pod and Secret {}/{} of {}: its outcome is recorded", namespace, name, runId);
            }
        }
        removeReleasedNamespaces(namespacesWithPods);
        if (config.keptLogRetentionDays() > 0 && ++cleanUps % KEPT_LOG_RETENTION_EVERY_CLEAN_UPS == 0) {
            removeOldKeptLogs();
        }
    }

    /** The kept logs of this backend's runs older than the region's retention go (a leader's job: only it cleans up). */
    private void removeOldKeptLogs() {
        try {
            int removed = keptLogs.removeKeptBefore(name, Instant.now().minus(Duration.ofDays(config.keptLogRetentionDays())));
            if (removed > 0) {
                LOG.info("backend {}: removed {} kept log(s) older than {} days", name, removed, config.keptLogRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("backend {}: cannot remove old kept logs ({}); again at a later clean-up", name, e.toString());
        }
    }

    /**
     * Whether a launch's objects may go: not watched, the retention passed (since its container
     * ended, else since the object was made), and the store recorded the outcome — also of a Pod
     * still running (its cancel's delete was lost): the store is the truth.
     */
    private boolean removable(String runId, Pod pod, Secret secret, long now) {
        if (tracked.containsKey(runId) || unrecovered.contains(runId)) {
            return false;
        }
        if (config.endedPodRetentionSeconds() > 0) {
            HasMetadata object = pod != null ? pod : secret;
            Instant since = (pod == null ? Optional.<Instant>empty() : PodOutcome.finishedAt(pod))
                    .or(() -> created(object)).orElse(Instant.ofEpochMilli(now));
            if (since.toEpochMilli() + config.endedPodRetentionSeconds() * 1000 > now) {
                return false;
            }
        }
        return store.runSettled().test(runId);
    }

    private static Optional<Instant> created(HasMetadata object) {
        try {
            return Optional.ofNullable(object.getMetadata().getCreationTimestamp()).map(Instant::parse);
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Keeps the Pod's log before the Pod goes; false when it cannot be read or kept now (tried again later). */
    private boolean keepLog(String runId, String namespace, String pod) {
        try {
            if (keptLogs.contains(runId)) {
                return true;
            }
        } catch (RuntimeException e) {
            LOG.debug("cannot tell whether the log of {} is kept: {}", runId, e.toString());
            return false;
        }
        String log;
        try {
            log = client.pods().inNamespace(namespace).withName(pod).inContainer(KubernetesNames.CONTAINER).getLog();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 400 && e.getCode() != 404) {
                LOG.debug("log of {}/{} not kept yet: {}", namespace, pod, e.getMessage());
                return false;
            }
            log = ""; // its container never started, or the node is gone: nothing to keep
        }
        try {
            keptLogs.keep(runId, (log == null ? "" : log).getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot keep the log of {}: {}; its Pod stays", runId, e.toString());
            return false;
        }
    }

    /** A run id from an object's annotation: usable as a file name, or left alone. */
    private static boolean validRun(String runId) {
        try {
            LaunchSpec.requireValidInstanceId(runId);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Deletes the namespaces (with their quota and policy) of released groups in which no Pod of srg is left. */
    private void removeReleasedNamespaces(Set<String> namespacesWithPods) {
        for (var ns : client.namespaces().withLabels(objects.backendLabels()).list().getItems()) {
            String namespace = ns.getMetadata().getName();
            Map<String, String> annotations = ns.getMetadata().getAnnotations();
            String group = annotations == null ? null : annotations.get(KubernetesNames.GROUP);
            if (group == null || namespacesWithPods.contains(namespace) || ns.getMetadata().getDeletionTimestamp() != null
                    || !namespace.startsWith(config.namespacePrefix()) || !store.groupReleased().test(group)) {
                continue;
            }
            client.namespaces().withName(namespace).delete();
            prepared.remove(namespace);
            LOG.info("removed namespace {} of released group {}", namespace, group);
        }
    }

    // --- helpers ---

    private void report(String runId, ExitStatus status) {
        if (!reported.add(runId)) {
            return;
        }
        tracked.remove(runId);
        if (closed) {
            return;
        }
        try {
            callbacks.execute(() -> listener.onExit(runId, status));
        } catch (RejectedExecutionException e) {
            LOG.debug("closed: the outcome of {} is found again at the next start", runId);
        }
    }

    private ExitStatus deletedBehindOurBack(String namespace, String pod) {
        return ExitStatus.withoutRun(FailureReason.LOST, Instant.now(), "its Pod " + namespace + "/" + pod
                + " was deleted outside srg before it ended");
    }

    private ExitStatus cancelledStatus(Pod pod) {
        ExitStatus ran = PodOutcome.of(pod, Instant.now(), limitsNote(pod));
        return new ExitStatus(null, FailureReason.CANCELLED, ran.startedAt(), ran.finishedAt(), 0, null, true, limitsNote(pod));
    }

    private String limitsNote(Pod pod) {
        var resources = pod.getSpec() == null || pod.getSpec().getContainers().isEmpty() ? null
                : pod.getSpec().getContainers().get(0).getResources();
        if (resources == null || resources.getLimits() == null) {
            return "Kubernetes Pod without limits";
        }
        return "Kubernetes Pod: requests = limits = " + resources.getLimits().get("cpu") + " CPU, " + resources.getLimits().get("memory")
                + " memory";
    }

    /** The group's namespace, its quota (the group's CUs now) and network policy; applied when they changed. */
    private void prepareNamespace(String namespace, LaunchSpec spec) {
        String groupId = groupOf(spec);
        OptionalLong capacity = store.groupCapacityMilliCu().apply(groupId);
        List<Object> desired = new ArrayList<>();
        desired.add(capacity);
        var policy = config.networkPolicies() ? objects.networkPolicy(namespace, spec.network()) : null;
        desired.add(policy == null ? "" : policy.getSpec());
        if (Objects.equals(prepared.get(namespace), desired)) {
            return;
        }
        if (client.namespaces().withName(namespace).get() == null) {
            try {
                client.namespaces().resource(objects.namespace(namespace, groupId)).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        if (capacity.isPresent()) {
            client.resourceQuotas().inNamespace(namespace).resource(objects.quota(namespace, capacity.getAsLong()))
                    .createOr(NonDeletingOperation::update);
        }
        if (policy != null) {
            client.network().v1().networkPolicies().inNamespace(namespace).resource(policy).createOr(NonDeletingOperation::update);
        }
        prepared.put(namespace, desired);
    }

    private String namespaceOf(LaunchSpec spec) {
        return KubernetesNames.namespace(config.namespacePrefix(), groupOf(spec));
    }

    /** The group a launch belongs to: the dispatcher gives every task its group's id in its environment. */
    private static String groupOf(LaunchSpec spec) {
        String group = spec.taskEnv().get("SRG_RESOURCE_GROUP_ID");
        return group == null || group.isBlank() ? "shared" : group;
    }

    private Secret secret(String namespace, String pod) {
        return client.secrets().inNamespace(namespace).withName(pod).get();
    }

    private void markSecret(String namespace, String pod, String state) {
        client.secrets().inNamespace(namespace).withName(pod).edit(s -> {
            s.getMetadata().getAnnotations().put(KubernetesNames.STATE, state);
            return s;
        });
    }

    private void deleteQuietly(String namespace, String pod) {
        try {
            client.pods().inNamespace(namespace).withName(pod).withGracePeriod(config.terminationGraceSeconds()).delete();
        } catch (KubernetesClientException e) {
            LOG.debug("delete of {}/{}: {}", namespace, pod, e.getMessage());
        }
    }

    private Optional<String> imageOf(LaunchSpec spec) {
        return config.imageFor(spec.imageId(), KubernetesObjects.srgWorker(spec));
    }

    private static String state(Secret secret) {
        if (secret == null || secret.getMetadata().getAnnotations() == null) {
            return null;
        }
        return secret.getMetadata().getAnnotations().get(KubernetesNames.STATE);
    }

    private static String run(HasMetadata object) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? "" : annotations.getOrDefault(KubernetesNames.RUN, "");
    }

    private Object lock(String runId) {
        return locks.computeIfAbsent(runId, k -> new Object());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend " + name + " is closed");
        }
    }

    private static String brief(RuntimeException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
