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
}
