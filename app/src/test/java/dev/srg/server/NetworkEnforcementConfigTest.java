package dev.srg.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.execution.local.LocalBackendConfig.NetworkEnforcement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --network-enforcement auto|off} (SRG_NETWORK_ENFORCEMENT), default auto. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NetworkEnforcementConfigTest {

    @Test
    void autoByDefaultOffFromFlagOrEnvironmentAndNothingElse() {
        assertThat(ServerConfig.resolve(Map.of(), Map.of(), null).networkEnforcement()).isEqualTo(NetworkEnforcement.AUTO);
        assertThat(ServerConfig.resolve(Map.of("network-enforcement", "off"), Map.of(), null).networkEnforcement())
                .isEqualTo(NetworkEnforcement.OFF);
        assertThat(ServerConfig.resolve(Map.of(), Map.of("SRG_NETWORK_ENFORCEMENT", "off"), null).networkEnforcement())
                .isEqualTo(NetworkEnforcement.OFF);
        assertThat(ServerConfig.resolve(Map.of("network-enforcement", "auto"), Map.of("SRG_NETWORK_ENFORCEMENT", "off"), null)
                .networkEnforcement()).isEqualTo(NetworkEnforcement.AUTO);
        assertThatThrownBy(() -> ServerConfig.resolve(Map.of("network-enforcement", "maybe"), Map.of(), null))
                .isInstanceOf(ServerConfig.ConfigException.class)
                .hasMessageContaining("network-enforcement must be auto or off, got 'maybe'");
    }
}
