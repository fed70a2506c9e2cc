package dev.srg.execution.kubernetes;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Kubernetes cluster of a region and how srg's instances map onto it, from the region's
 * {@code "kubernetes"} object in the regions file (docs/kubernetes.md).
 *
 * @param kubeconfig the kubeconfig file; empty for the client's own discovery (in-cluster service
 *     account, then {@code KUBECONFIG}, then {@code ~/.kube/config})
 * @param context the kubeconfig context; empty for the current one
 * @param namespacePrefix the prefix of each group's namespace
 * @param defaultImage the image of instances without a custom image
 * @param images custom image id to image reference (wins over {@code imagePattern})
 * @param imagePattern an image reference with {@code {imageId}} in it, for custom images not in {@code images}
 * @param runAsUser the uid (and gid) tasks run as in their container; never root
 * @param networkPolicies whether each group's namespace gets a NetworkPolicy from its networks
 * @param dnsNamespace the namespace of the cluster's DNS service (egress to it stays open)
 * @param dnsPodLabels the labels of the cluster's DNS pods
 * @param pollMillis how often srg lists its Pods to learn their outcomes
 * @param terminationGraceSeconds how long a cancelled Pod may take to stop before it is killed
 * @param workerImage the image of srg's own workers (the sync worker of DATA_INTEGRATION): java 21+ on
 *     its PATH and srg's jar at {@code workerClasspath}; empty: such tasks fail to launch, saying why
 * @param workerClasspath the classpath of srg's jar(s) inside {@code workerImage}
 * @param endedPodRetentionSeconds how long an ended Pod and its Secret stay after srg recorded its
 *     outcome (its log is kept by srg before they go); 0: removed at once
 * @param dataServicePort the TCP port a DataService worker listens on in its Pod (srg calls it there;
 *     the group's NetworkPolicy admits it)
 * @param keptLogRetentionDays how long srg keeps the log of a Pod it removed (counted from when it kept
 *     it); 0: for ever
 */
public record KubernetesBackendConfig(
        Optional<Path> kubeconfig, Optional<String> context, String namespacePrefix, String defaultImage,
        Map<String, String> images, Optional<String> imagePattern, long runAsUser, boolean networkPolicies,
        String dnsNamespace, Map<String, String> dnsPodLabels, long pollMillis, long terminationGraceSeconds,
        Optional<String> workerImage, String workerClasspath, long endedPodRetentionSeconds, int dataServicePort,
        long keptLogRetentionDays) {

    public static final String DEFAULT_IMAGE = "docker.io/library/python:3.12-slim";
    public static final String DEFAULT_WORKER_CLASSPATH = "/opt/srg/lib/*";
    public static final int DEFAULT_DATA_SERVICE_PORT = 7070;
    /** The logs of runs older than a month go, unless a region says otherwise (0 keeps them for ever). */
    public static final long DEFAULT_KEPT_LOG_RETENTION_DAYS = 30;
    private static final Pattern PREFIX = Pattern.compile("[a-z]([a-z0-9-]{0,18}[a-z0-9])?-?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");

    public KubernetesBackendConfig {
        requireNonNull(kubeconfig, "kubeconfig is null");
        requireNonNull(context, "context is null");
        requireNonNull(namespacePrefix, "namespacePrefix is null");
        requireNonNull(defaultImage, "defaultImage is null");
        images = Map.copyOf(images);
        requireNonNull(imagePattern, "imagePattern is null");
        requireNonNull(dnsNamespace, "dnsNamespace is null");
        dnsPodLabels = Map.copyOf(dnsPodLabels);
        requireNonNull(workerImage, "workerImage is null");
        requireNonNull(workerClasspath, "workerClasspath is null");
        List<String> problems = problems(namespacePrefix, defaultImage, imagePattern, runAsUser, dnsPodLabels, pollMillis,
                terminationGraceSeconds);
        if (workerImage.isPresent() && (workerImage.get().isBlank() || workerImage.get().chars().anyMatch(Character::isWhitespace))) {
            problems.add("workerImage must be an image reference");
        }
        if (workerClasspath.isBlank()) {
            problems.add("workerClasspath must not be empty");
        }
        if (endedPodRetentionSeconds < 0 || endedPodRetentionSeconds > 30L * 24 * 3600) {
            problems.add("endedPodRetentionSeconds must be between 0 and 2592000 (30 days)");
        }
        if (dataServicePort < 1 || dataServicePort > 65535) {
            problems.add("dataServicePort must be a TCP port (1 to 65535)");
        }
        if (keptLogRetentionDays < 0 || keptLogRetentionDays > 3650) {
            problems.add("keptLogRetentionDays must be between 0 (for ever) and 3650");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** The defaults for a cluster found by the client's own discovery. */
    public static KubernetesBackendConfig defaults() {
        return new KubernetesBackendConfig(Optional.empty(), Optional.empty(), "srg-", DEFAULT_IMAGE, Map.of(), Optional.empty(),
                65534, true, "kube-system", Map.of("k8s-app", "kube-dns"), 1000, 5, Optional.empty(), DEFAULT_WORKER_CLASSPATH, 0,
                DEFAULT_DATA_SERVICE_PORT, DEFAULT_KEPT_LOG_RETENTION_DAYS);
    }

    public KubernetesBackendConfig withKubeconfig(Path file) {
        return new KubernetesBackendConfig(Optional.of(file), context, namespacePrefix, defaultImage, images, imagePattern,
                runAsUser, networkPolicies, dnsNamespace, dnsPodLabels, pollMillis, terminationGraceSeconds, workerImage,
                workerClasspath, endedPodRetentionSeconds, dataServicePort, keptLogRetentionDays);
    }

    public KubernetesBackendConfig withPollMillis(long millis) {
        return new KubernetesBackendConfig(kubeconfig, context, namespacePrefix, defaultImage, images, imagePattern,
                runAsUser, networkPolicies, dnsNamespace, dnsPodLabels, millis, terminationGraceSeconds, workerImage,
                workerClasspath, endedPodRetentionSeconds, dataServicePort, keptLogRetentionDays);
    }

    /**
     * The image reference of a launch: srg's worker image for srg's own workers, else the default,
     * or the custom image's by the map or the pattern.
     */
    public Optional<String> imageFor(Optional<String> imageId, boolean srgWorker) {
        return srgWorker ? workerImage : imageFor(imageId);
    }

    /** The image reference of a launch: the default, or the custom image's by the map or the pattern. */
    public Optional<String> imageFor(Optional<String> imageId) {
        if (imageId.isEmpty()) {
            return Optional.of(defaultImage);
        }
        String mapped = images.get(imageId.get());
        if (mapped != null) {
            return Optional.of(mapped);
        }
        return imagePattern.map(p -> p.replace("{imageId}", imageId.get().toLowerCase(java.util.Locale.ROOT)));
    }

    private static List<String> problems(String namespacePrefix, String defaultImage, Optional<String> imagePattern,
                                         long runAsUser, Map<String, String> dnsPodLabels, long pollMillis, long grace) {
        List<String> problems = new ArrayList<>();
        if (!PREFIX.matcher(namespacePrefix).matches()) {
            problems.add("namespacePrefix '" + namespacePrefix + "' must be up to 21 lowercase letters, digits or '-', starting with a letter");
        }
        if (defaultImage.isBlank() || defaultImage.chars().anyMatch(Character::isWhitespace)) {
            problems.add("defaultImage must be an image reference");
        }
        if (imagePattern.isPresent() && !imagePattern.get().contains("{imageId}")) {
            problems.add("imagePattern must contain {imageId}");
        }
        if (runAsUser <= 0) {
            problems.add("runAsUser must be a uid above 0: tasks never run as root");
        }
        dnsPodLabels.forEach((k, v) -> {
            if (!LABEL_VALUE.matcher(v).matches()) {
                problems.add("dnsPodLabels value '" + v + "' of " + k + " is not a label value");
            }
        });
        if (pollMillis < 50 || pollMillis > 60_000) {
            problems.add("pollMillis must be between 50 and 60000");
        }
        if (grace < 0 || grace > 3600) {
            problems.add("terminationGraceSeconds must be between 0 and 3600");
        }
        return problems;
    }
}
