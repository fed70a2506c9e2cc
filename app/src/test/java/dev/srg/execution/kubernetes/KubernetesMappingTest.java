package dev.srg.execution.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pure parts of the Kubernetes mapping: names and the regions file's cluster configuration. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KubernetesMappingTest {
    private static final String NAME = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";

    @Test
    @DisplayName("Pod names are deterministic, valid DNS labels, and apart for ids that fold alike")
    void podNames() {
        assertThat(KubernetesNames.pod("i-abc")).isEqualTo(KubernetesNames.pod("i-abc")).matches(NAME).startsWith("srg-i-abc-");
        assertThat(KubernetesNames.pod("i-ABC")).isNotEqualTo(KubernetesNames.pod("i-abc"));
        assertThat(KubernetesNames.pod("i_abc.r2")).isNotEqualTo(KubernetesNames.pod("i-abc-r2")).matches(NAME);
        String longId = "x".repeat(128);
        assertThat(KubernetesNames.pod(longId)).matches(NAME).hasSizeLessThanOrEqualTo(63);
        assertThat(KubernetesNames.pod("._-")).matches(NAME);
    }

    @Test
    @DisplayName("a group's namespace is the prefix and its id when that is a valid name, else folded and hashed")
    void namespaces() {
        assertThat(KubernetesNames.namespace("srg-", "rg-12ab")).isEqualTo("srg-rg-12ab");
        assertThat(KubernetesNames.namespace("srg-", "RG_12AB")).matches(NAME).isNotEqualTo(KubernetesNames.namespace("srg-", "rg-12ab"));
        assertThat(KubernetesNames.namespace("srg-", "g".repeat(100))).matches(NAME).hasSizeLessThanOrEqualTo(63);
    }

    @Test
    @DisplayName("CUs as quantities: 1 CU = 1000m CPU and 4Gi; fractions in bytes")
    void quantities() {
        assertThat(KubernetesObjects.cpu(250).toString()).isEqualTo("250m");
        assertThat(KubernetesObjects.memory(250).toString()).isEqualTo("1Gi");
        assertThat(KubernetesObjects.memory(3000).toString()).isEqualTo("12Gi");
        assertThat(KubernetesObjects.memory(125).toString()).isEqualTo(Long.toString(512L * 1024 * 1024));
    }

    @Test
    @DisplayName("the regions file: defaults, image mapping, and every problem reported at once")
    void regionsFile() throws IOException {
        Path dir = Files.createTempDirectory("regions");
        Files.writeString(dir.resolve("kubeconfig"), "apiVersion: v1\nkind: Config\n");
        Path good = dir.resolve("good.json");
        Files.writeString(good, """
                [{"id": "a", "name": "A", "purchasable": true, "zones": [{"id": "a-1", "name": "1"}]},
                 {"id": "k", "name": "K", "purchasable": true, "zones": [{"id": "k-1", "name": "1"}], "backend": "kubernetes",
                  "kubernetes": {"kubeconfig": "kubeconfig", "images": {"img-1": "reg/x:1"}, "imagePattern": "reg/{imageId}:latest"}}]""");
        Map<String, KubernetesBackendConfig> backends = KubernetesRegions.load(good);
        assertThat(backends).containsOnlyKeys("kubernetes");
        KubernetesBackendConfig k = backends.get("kubernetes");
        assertThat(k.kubeconfig()).contains(dir.resolve("kubeconfig"));
        assertThat(k.namespacePrefix()).isEqualTo("srg-");
        assertThat(k.imageFor(java.util.Optional.empty())).contains(KubernetesBackendConfig.DEFAULT_IMAGE);
        assertThat(k.imageFor(java.util.Optional.of("img-1"))).contains("reg/x:1");
        assertThat(k.imageFor(java.util.Optional.of("IMG-2"))).contains("reg/img-2:latest");
        assertThat(k.dataServicePort()).isEqualTo(KubernetesBackendConfig.DEFAULT_DATA_SERVICE_PORT);

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, """
                [{"id": "k", "name": "K", "zones": [], "kubernetes": {}},
                 {"id": "m", "name": "M", "zones": [], "backend": "k8s", "kubernetes": {"runAsUser": 0, "colour": "red"}},
                 {"id": "n", "name": "N", "zones": [], "backend": "k8s2", "kubernetes": {"runAsUser": 0, "pollMillis": 1,
                  "kubeconfig": "missing"}}]""");
        assertThatThrownBy(() -> KubernetesRegions.load(bad)).isInstanceOf(IOException.class)
                .hasMessageContaining("region 'k' has a kubernetes cluster but names no backend")
                .hasMessageContaining("unknown fields [colour]")
                .hasMessageContaining("kubeconfig " + dir.resolve("missing") + " cannot be read")
                // within one region too: its unknown fields, its kubeconfig and its bad values, not only the first
                .hasMessageContaining("region 'm' kubernetes: unknown fields [colour]")
                .hasMessageMatching("(?s).*region 'm' kubernetes: unknown fields \\[colour\\]; known: \\[[^\\]]*\\]; "
                        + "runAsUser must be a uid above 0.*")
                .hasMessageContaining("region 'n' kubernetes: kubeconfig " + dir.resolve("missing") + " cannot be read; "
                        + "runAsUser must be a uid above 0: tasks never run as root; pollMillis must be between");
        Path typed = dir.resolve("typed.json");
        Files.writeString(typed, """
                [{"id": "t", "name": "T", "zones": [], "backend": "k8s", "kubernetes": {"pollMillis": "fast", "context": 3,
                  "networkPolicies": "yes"}}]""");
        assertThatThrownBy(() -> KubernetesRegions.load(typed)).hasMessageContaining("pollMillis must be a whole number")
                .hasMessageContaining("context must be a non-empty string").hasMessageContaining("networkPolicies must be true or false");
        Path values = dir.resolve("values.json");
        Files.writeString(values, """
                [{"id": "n", "name": "N", "zones": [], "backend": "k8s", "kubernetes": {"runAsUser": 0, "pollMillis": 1,
                  "namespacePrefix": "Bad_", "dataServicePort": 70000}}]""");
        assertThatThrownBy(() -> KubernetesRegions.load(values)).hasMessageContaining("runAsUser must be a uid above 0")
                .hasMessageContaining("pollMillis must be between").hasMessageContaining("namespacePrefix 'Bad_'")
                .hasMessageContaining("dataServicePort must be a TCP port");
    }
}
