package dev.srg.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every server setting is resolved here, flag over environment over file over default. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ServerConfigTest {
    @Test
    @DisplayName("the console's Secure-cookie switch is a setting like the others: flag, SRG_ variable or config file")
    void consoleSecureCookies() throws Exception {
        assertThat(ServerConfig.resolve(Map.of(), Map.of(), null).consoleSecureCookies()).isFalse();
        assertThat(ServerConfig.resolve(Map.of(), Map.of("SRG_CONSOLE_SECURE_COOKIES", "true"), null).consoleSecureCookies())
                .isTrue();
        assertThat(ServerConfig.resolve(Map.of("console-secure-cookies", "false"),
                Map.of("SRG_CONSOLE_SECURE_COOKIES", "TRUE"), null).consoleSecureCookies()).as("a flag wins").isFalse();
        Path file = Files.createTempFile("srg-config", ".properties");
        try {
            Files.writeString(file, "console-secure-cookies=true\n");
            assertThat(ServerConfig.resolve(Map.of(), Map.of(), file).consoleSecureCookies()).isTrue();
        } finally {
            Files.delete(file);
        }
        assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), Map.of("SRG_CONSOLE_SECURE_COOKIES", "yes"), null))
                .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining("console-secure-cookies");
    }

    @Test
    @DisplayName("SPEC DI-1: the data-source key file is a setting like the others (the servers of a cluster share one): flag, SRG_ variable or config file")
    void dataSourceKeyFile() throws Exception {
        ServerConfig defaults = ServerConfig.resolve(Map.of("data-dir", "/tmp/srg-d"), Map.of(), null);
        assertThat(defaults.dataSourceKey()).isEqualTo(Path.of("/tmp/srg-d/datasource.key"));
        assertThat(ServerConfig.resolve(Map.of(), Map.of("SRG_DATASOURCE_KEY_FILE", "/etc/srg/datasource.key"), null).dataSourceKey())
                .isEqualTo(Path.of("/etc/srg/datasource.key"));
        assertThat(ServerConfig.resolve(Map.of("datasource-key-file", "/etc/srg/a.key"),
                Map.of("SRG_DATASOURCE_KEY_FILE", "/etc/srg/b.key"), null).dataSourceKey()).as("a flag wins").isEqualTo(Path.of("/etc/srg/a.key"));
        Path file = Files.createTempFile("srg-config", ".properties");
        try {
            Files.writeString(file, "datasource-key-file=/etc/srg/c.key\n");
            assertThat(ServerConfig.resolve(Map.of(), Map.of(), file).dataSourceKey()).isEqualTo(Path.of("/etc/srg/c.key"));
        } finally {
            Files.delete(file);
        }
        // the edges keep it
        assertThat(ServerConfig.resolve(Map.of("datasource-key-file", "/etc/srg/a.key"), Map.of(), null).withPort(9000).dataSourceKey())
                .isEqualTo(Path.of("/etc/srg/a.key"));
    }

    @Test
    @DisplayName("SPEC DI-1: --datasource-key-reset is given once, on the command line: a config file or SRG_ variable holding it is refused")
    void dataSourceKeyResetOnTheCommandLineOnly() throws Exception {
        assertThat(ServerConfig.resolve(Map.of(), Map.of(), null).dataSourceKeyReset()).isFalse();
        assertThat(ServerConfig.resolve(Map.of("datasource-key-reset", "true"), Map.of(), null).dataSourceKeyReset()).isTrue();
        assertThat(ServerConfig.resolve(Map.of("datasource-key-reset", "true"), Map.of(), null).withPort(9000).dataSourceKeyReset()).isTrue();
        assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), Map.of("SRG_DATASOURCE_KEY_RESET", "true"), null))
                .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining("datasource-key-reset is given once, on the command line");
        Path file = Files.createTempFile("srg-config", ".properties");
        try {
            Files.writeString(file, "datasource-key-reset=true\n");
            assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), Map.of(), file))
                    .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining("datasource-key-reset");
        } finally {
            Files.delete(file);
        }
        assertThatThrownBy(() -> ServerConfig.resolve(Map.of("datasource-key-reset", "yes"), Map.of(), null))
                .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining("datasource-key-reset must be true or false");
    }

    @Test
    @DisplayName("a regions file's problems (its JSON, its regions, its Kubernetes clusters) are reported with every other setting's")
    void regionsFileProblemsWithTheOthers() throws Exception {
        Path bad = Files.createTempFile("srg-regions", ".json");
        Path cluster = Files.createTempFile("srg-regions", ".json");
        try {
            Files.writeString(bad, "[{\"id\": \"x\"");
            assertThatThrownBy(() -> ServerConfig.resolve(Map.of("port", "99999", "regions", bad.toString()), Map.of(), null))
                    .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining("port must be 0 to 65535")
                    .hasMessageContaining("regions file " + bad + " is not valid")
                    .satisfies(e -> assertThat(e.getMessage().split("is not valid", -1)).as("said once").hasSize(2));
            Files.writeString(cluster, """
                    [{"id": "local", "name": "Local", "purchasable": true, "zones": [{"id": "local-a", "name": "A"}]},
                     {"id": "k8s", "name": "K", "purchasable": true, "zones": [{"id": "k8s-a", "name": "A"}], "backend": "kubernetes",
                      "kubernetes": {"runAsUser": 0}}]""");
            assertThatThrownBy(() -> ServerConfig.resolve(Map.of("port", "99999", "regions", cluster.toString()), Map.of(), null))
                    .isInstanceOf(ServerConfig.ConfigException.class).hasMessageContaining("port must be 0 to 65535")
                    .hasMessageContaining("region 'k8s' kubernetes: runAsUser must be a uid above 0");
            Files.writeString(cluster, Files.readString(cluster).replace("\"runAsUser\": 0", "\"runAsUser\": 1000"));
            assertThat(ServerConfig.resolve(Map.of("regions", cluster.toString()), Map.of(), null).regionsFile()).isEqualTo(cluster);
        } finally {
            Files.delete(bad);
            Files.delete(cluster);
        }
    }
}
