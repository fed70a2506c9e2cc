package dev.srg.execution.kubernetes;

import dev.srg.execution.ExecutionBackendFactory;
import dev.srg.json.Json;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The Kubernetes backends a regions file defines: a region with a {@code "kubernetes"} object runs
 * its instances on that cluster, under the backend name the region gives ({@code "backend"}).
 * Several regions may share one backend name only with the same cluster configuration.
 */
public final class KubernetesRegions {
    private static final Set<String> FIELDS = Set.of("kubeconfig", "context", "namespacePrefix", "defaultImage", "images",
            "imagePattern", "runAsUser", "networkPolicies", "dnsNamespace", "dnsPodLabels", "pollMillis", "terminationGraceSeconds", "workerImage", "workerClasspath",
            "endedPodRetentionSeconds", "dataServicePort", "keptLogRetentionDays");

    private KubernetesRegions() {}

    /** The backend configurations by backend name; every problem in the file is reported at once. */
    public static Map<String, KubernetesBackendConfig> load(Path regionsFile) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readString(regionsFile));
        } catch (JacksonException e) {
            throw new IOException("regions file " + regionsFile + " is not valid: " + e.getOriginalMessage());
        }
        Map<String, KubernetesBackendConfig> backends = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (JsonNode region : root) {
            JsonNode k8s = region.get("kubernetes");
            if (k8s == null || k8s.isNull()) {
                continue;
            }
            String id = region.path("id").asString("?");
            String backend = region.path("backend").asString("");
            if (backend.isEmpty() || backend.equals("local")) {
                problems.add("region '" + id + "' has a kubernetes cluster but names no backend for it (\"backend\": \"kubernetes\", say)");
                continue;
            }
            try {
                KubernetesBackendConfig config = parse(k8s, regionsFile.toAbsolutePath().getParent());
                KubernetesBackendConfig before = backends.putIfAbsent(backend, config);
                if (before != null && !before.equals(config)) {
                    problems.add("backend '" + backend + "' of region '" + id + "' names another cluster configuration than"
                            + " an earlier region with the same backend");
                }
            } catch (IllegalArgumentException e) {
                problems.add("region '" + id + "' kubernetes: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException("regions file " + regionsFile + ": " + String.join("; ", problems));
        }
        return backends;
    }

    static KubernetesBackendConfig parse(JsonNode k8s, Path base) {
        if (!k8s.isObject()) {
            throw new IllegalArgumentException("must be an object");
        }
        // every problem of the object at once (unknown fields, the kubeconfig, each bad value), as the rest of the configuration
        List<String> problems = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        k8s.propertyNames().forEach(f -> {
            if (!FIELDS.contains(f)) {
                unknown.add(f);
            }
        });
        if (!unknown.isEmpty()) {
            problems.add("unknown fields " + unknown + "; known: " + FIELDS);
        }
        KubernetesBackendConfig d = KubernetesBackendConfig.defaults();
        Optional<Path> kubeconfig = read(problems, () -> text(k8s, "kubeconfig").map(p -> base == null ? Path.of(p) : base.resolve(p)),
                Optional.empty());
        kubeconfig.ifPresent(p -> {
            if (!Files.isReadable(p)) {
                problems.add("kubeconfig " + p + " cannot be read");
            }
        });
        KubernetesBackendConfig config = null;
        try {
            config = new KubernetesBackendConfig(kubeconfig, read(problems, () -> text(k8s, "context"), Optional.empty()),
                    read(problems, () -> text(k8s, "namespacePrefix").orElse(d.namespacePrefix()), d.namespacePrefix()),
                    read(problems, () -> text(k8s, "defaultImage").orElse(d.defaultImage()), d.defaultImage()),
                    read(problems, () -> strings(k8s, "images").orElse(d.images()), d.images()),
                    read(problems, () -> text(k8s, "imagePattern"), Optional.empty()),
                    read(problems, () -> number(k8s, "runAsUser").orElse(d.runAsUser()), d.runAsUser()),
                    read(problems, () -> k8s.has("networkPolicies") ? bool(k8s, "networkPolicies") : d.networkPolicies(),
                            d.networkPolicies()),
                    read(problems, () -> text(k8s, "dnsNamespace").orElse(d.dnsNamespace()), d.dnsNamespace()),
                    read(problems, () -> strings(k8s, "dnsPodLabels").orElse(d.dnsPodLabels()), d.dnsPodLabels()),
                    read(problems, () -> number(k8s, "pollMillis").orElse(d.pollMillis()), d.pollMillis()),
                    read(problems, () -> number(k8s, "terminationGraceSeconds").orElse(d.terminationGraceSeconds()),
                            d.terminationGraceSeconds()),
                    read(problems, () -> text(k8s, "workerImage"), Optional.empty()),
                    read(problems, () -> text(k8s, "workerClasspath").orElse(d.workerClasspath()), d.workerClasspath()),
                    read(problems, () -> number(k8s, "endedPodRetentionSeconds").orElse(d.endedPodRetentionSeconds()),
                            d.endedPodRetentionSeconds()),
                    read(problems, () -> Math.clamp(number(k8s, "dataServicePort").orElse((long) d.dataServicePort()), -1, 65536),
                            d.dataServicePort()),
                    read(problems, () -> number(k8s, "keptLogRetentionDays").orElse(d.keptLogRetentionDays()),
                            d.keptLogRetentionDays()));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return config;
    }

    /** A field read by {@code read}, or {@code fallback} with its problem added (so the other fields are still checked). */
    private static <T> T read(List<String> problems, java.util.function.Supplier<T> read, T fallback) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return fallback;
        }
    }

    /** A factory for the dispatcher: the client is built when the backend is; ended Pods' logs are kept in {@code logDir}. */
    public static ExecutionBackendFactory factory(String name, KubernetesBackendConfig config, KubernetesStoreView store,
                                                  Path logDir) {
        return listener -> new KubernetesExecutionBackend(name, config, client(config), listener, store, logDir);
    }

    /** A factory for the dispatcher: the client is built when the backend is; ended Pods' logs are kept in {@code keptLogs}. */
    public static ExecutionBackendFactory factory(String name, KubernetesBackendConfig config, KubernetesStoreView store,
                                                  KeptPodLogs keptLogs) {
        return listener -> new KubernetesExecutionBackend(name, config, client(config), listener, store, keptLogs);
    }

    /** A client on the JDK's HTTP client, from the configured kubeconfig or the client's own discovery. */
    static KubernetesClient client(KubernetesBackendConfig config) {
        Config clientConfig;
        if (config.kubeconfig().isPresent()) {
            clientConfig = Config.fromKubeconfig(config.context().orElse(null), config.kubeconfig().get().toFile());
        } else {
            clientConfig = Config.autoConfigure(config.context().orElse(null));
        }
        return new KubernetesClientBuilder().withConfig(clientConfig).withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isString() || v.asString().isBlank()) {
            throw new IllegalArgumentException(field + " must be a non-empty string");
        }
        return Optional.of(v.asString());
    }

    private static Optional<Long> number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isIntegralNumber()) {
            throw new IllegalArgumentException(field + " must be a whole number");
        }
        return Optional.of(v.asLong());
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false");
        }
        return v.asBoolean();
    }

    private static Optional<Map<String, String>> strings(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw new IllegalArgumentException(field + " must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        v.properties().forEach(e -> {
            if (!e.getValue().isString()) {
                throw new IllegalArgumentException(field + "." + e.getKey() + " must be a string");
            }
            out.put(e.getKey(), e.getValue().asString());
        });
        return Optional.of(out);
    }
}
