package dev.srg.execution.kubernetes;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * THE ONE PERMITTED MOCK of the kubernetes backend's tests (issue 16): a simulated kubelet for the
 * fabric8 mock API server, which only stores objects. It plays the node: it picks up every new Pod,
 * runs its container's command as a real child process of the test JVM (files and environment
 * from the Pod's Secret, as the real kubelet mounts them), moves the Pod through Pending → Running →
 * Succeeded/Failed with the container's exit code, enforces {@code activeDeadlineSeconds} (phase
 * Failed, reason DeadlineExceeded), kills the process of a deleted Pod, and keeps the output that
 * the log endpoint serves. It cannot limit memory, so OOM is staged: a script containing
 * {@value #OOM_MARKER} is killed as the kernel would kill it and reported OOMKilled (exit 137).
 * It does not enforce ResourceQuota or NetworkPolicy (the API server and the CNI do; the tests read
 * those objects' content instead). It pulls no image: a Pod's command runs on this machine, with the
 * image's PATH where the test gave one ({@link #image}), e.g. a worker image's java.
 */
final class SimulatedKubelet implements AutoCloseable {
    static final String OOM_MARKER = "#kubelet:oom-kill";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SimulatedKubelet.class);

    private final KubernetesClient client;
    private final Path base;
    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> starts = new ConcurrentHashMap<>();
    private final Map<String, String> imagePaths = new ConcurrentHashMap<>();
    private final Map<String, Pod> startedPods = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("simulated-kubelet").daemon().factory());

    private static final class Run {
        final Process process;
        final Path log;
        final Instant started;
        final long deadlineNanos;
        final boolean oom;
        volatile boolean done;

        Run(Process process, Path log, Instant started, long deadlineNanos, boolean oom) {
            this.process = process;
            this.log = log;
            this.started = started;
            this.deadlineNanos = deadlineNanos;
            this.oom = oom;
        }
    }

    SimulatedKubelet(KubernetesClient client, Path base) {
        this.client = requireNonNull(client, "client is null");
        this.base = requireNonNull(base, "base is null");
        loop.scheduleWithFixedDelay(this::tickSafely, 50, 50, TimeUnit.MILLISECONDS);
    }

    /** Stands for an image: its containers run with {@code path} first on their PATH (where the image has its programs). */
    SimulatedKubelet image(String image, String path) {
        imagePaths.put(image, path);
        return this;
    }

    /** The Pod {@code namespace/name} as this node started it (it stays known after srg removed it); null if never started. */
    Pod startedPod(String namespace, String name) {
        return startedPods.get(namespace + "/" + name);
    }

    /** How often the Pod {@code namespace/name} was started (at most once, or srg ran a task twice). */
    int starts(String namespace, String name) {
        AtomicInteger n = starts.get(namespace + "/" + name);
        return n == null ? 0 : n.get();
    }

    /** The output of a Pod's container, as the kubelet keeps it; null before it started. */
    String log(String namespace, String name) {
        Run run = runs.get(namespace + "/" + name);
        if (run == null) {
            return null;
        }
        try {
            return Files.readString(run.log);
        } catch (IOException e) {
            return "";
        }
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            // the next tick tries again, as a kubelet does
            LOG.warn("simulated kubelet: {}", e.toString());
        }
    }

    private void tick() {
        Set<String> present = new HashSet<>();
        for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
            String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
            present.add(key);
            Run run = runs.get(key);
            if (run == null) {
                if (pod.getStatus() == null || pod.getStatus().getPhase() == null || "Pending".equals(pod.getStatus().getPhase())) {
                    start(key, pod);
                }
            } else if (!run.done) {
                if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
                    showRunning(pod, run.started);
                }
                check(pod, run);
            }
        }
        runs.forEach((key, run) -> {
            if (!present.contains(key) && !run.done) {
                // deleted: the kubelet stops its containers
                run.done = true;
                run.process.descendants().forEach(ProcessHandle::destroyForcibly);
                run.process.destroyForcibly();
            }
        });
    }

    private void start(String key, Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        var container = pod.getSpec().getContainers().get(0);
        Secret secret = null;
        for (Volume v : pod.getSpec().getVolumes()) {
            if (v.getSecret() != null) {
                secret = client.secrets().inNamespace(ns).withName(v.getSecret().getSecretName()).get();
            }
        }
        if (secret == null) {
            return; // a real kubelet waits for the Secret too
        }
        try {
            Path dir = Files.createDirectories(base.resolve(ns).resolve(pod.getMetadata().getName()));
            boolean oom = false;
            for (Volume v : pod.getSpec().getVolumes()) {
                if (v.getSecret() != null) {
                    for (KeyToPath item : v.getSecret().getItems()) {
                        String content = decode(secret.getData().get(item.getKey()));
                        oom |= content.contains(OOM_MARKER);
                        Files.writeString(dir.resolve(item.getPath()), content);
                    }
                }
            }
            Path log = dir.resolve(".log");
            String imagePath = imagePaths.get(container.getImage());
            String path = (imagePath == null ? "" : imagePath + ":") + "/usr/local/bin:/usr/bin:/bin";
            ProcessBuilder builder = new ProcessBuilder(onPath(container.getCommand(), path)).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().put("PATH", path);
            for (EnvVar e : container.getEnv()) {
                String key2 = e.getValueFrom().getSecretKeyRef().getKey();
                builder.environment().put(e.getName(), decode(secret.getData().get(key2)));
            }
            Long deadline = pod.getSpec().getActiveDeadlineSeconds();
            Instant started = Instant.now();
            Process p = builder.start();
            starts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            startedPods.put(key, pod);
            runs.put(key, new Run(p, log, started, deadline == null ? Long.MAX_VALUE
                    : System.nanoTime() + TimeUnit.SECONDS.toNanos(deadline), oom));
            showRunning(pod, started);
        } catch (IOException | KubernetesClientException e) {
            throw new IllegalStateException("simulated kubelet cannot start " + key + ": " + e.getMessage(), e);
        }
    }

    private void showRunning(Pod pod, Instant started) {
        // every simulated Pod runs on this machine: its address is the loopback (a DataService worker is called there)
        pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running").withStartTime(started.toString())
                .withPodIP("127.0.0.1")
                .withContainerStatuses(new ContainerStatusBuilder().withName(pod.getSpec().getContainers().get(0).getName())
                        .withReady(true)
                        .withState(new ContainerStateBuilder().withNewRunning().withStartedAt(started.toString()).endRunning().build())
                        .build()).build());
        client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).updateStatus();
    }

    private void check(Pod pod, Run run) {
        if (run.oom && run.process.isAlive() && Instant.now().isAfter(run.started.plusMillis(200))) {
            run.process.destroyForcibly();
            finish(pod, run, "Failed", null, 137, "OOMKilled");
        } else if (System.nanoTime() - run.deadlineNanos > 0) {
            List<ProcessHandle> children = run.process.descendants().toList();
            run.process.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            finish(pod, run, "Failed", "DeadlineExceeded", 137, "Error");
        } else if (!run.process.isAlive()) {
            int code = run.process.exitValue();
            finish(pod, run, code == 0 ? "Succeeded" : "Failed", null, code, code == 0 ? "Completed" : "Error");
        }
    }

    private void finish(Pod pod, Run run, String phase, String podReason, int exitCode, String containerReason) {
        try {
            run.process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Instant now = Instant.now();
        pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase(phase).withReason(podReason)
                .withMessage(podReason == null ? null : "Pod was active on the node longer than the specified deadline")
                .withStartTime(run.started.toString())
                .withContainerStatuses(new ContainerStatusBuilder().withName(pod.getSpec().getContainers().get(0).getName())
                        .withState(new ContainerStateBuilder().withNewTerminated().withExitCode(exitCode).withReason(containerReason)
                                .withStartedAt(run.started.toString()).withFinishedAt(now.toString()).endTerminated().build())
                        .build()).build());
        client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).updateStatus();
        run.done = true;
    }

    /** The command with its program found on the container's PATH (a ProcessBuilder would look on the test JVM's). */
    private static List<String> onPath(List<String> command, String path) {
        String program = command.get(0);
        if (program.contains("/")) {
            return command;
        }
        for (String dir : path.split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                List<String> resolved = new java.util.ArrayList<>(command);
                resolved.set(0, Path.of(dir, program).toString());
                return resolved;
            }
        }
        return command;
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        loop.shutdownNow();
        runs.values().forEach(r -> {
            r.process.descendants().forEach(ProcessHandle::destroyForcibly);
            r.process.destroyForcibly();
        });
    }
}
