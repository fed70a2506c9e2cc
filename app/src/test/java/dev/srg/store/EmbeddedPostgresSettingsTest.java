package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedded PostgreSQL's settings (issue 17, eleventh round): the durability it runs with, the
 * settings {@code srg.store.postgresSettings} adds reach the server, and none of them can weaken
 * what srg's crash guarantee rests on (an accepted submission survives kill -9 of the database and
 * a power loss: fsync, synchronous_commit, full_page_writes stay on).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbeddedPostgresSettingsTest {
    private Path dir;

    @AfterEach
    void cleanUp() throws IOException {
        System.clearProperty(EmbeddedPostgres.SETTINGS_PROPERTY);
        if (dir != null) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void runsDurableByDefaultAndTakesTheSettingsGiven() throws Exception {
        dir = TestDatabases.dataDirectory("srg-pg-settings");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(show(pg, "fsync")).isEqualTo("on");
            assertThat(show(pg, "synchronous_commit")).isEqualTo("on");
            assertThat(show(pg, "full_page_writes")).isEqualTo("on");
            assertThat(show(pg, "commit_delay")).as("PostgreSQL's default").isEqualTo("0");
        }
        System.setProperty(EmbeddedPostgres.SETTINGS_PROPERTY, " commit_delay=40  commit_siblings=3 ");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(show(pg, "commit_delay")).isEqualTo("40");
            assertThat(show(pg, "commit_siblings")).isEqualTo("3");
            assertThat(show(pg, "fsync")).isEqualTo("on");
        }
    }

    @Test
    void refusesToWeakenDurabilityOrAMalformedSetting() throws Exception {
        dir = TestDatabases.dataDirectory("srg-pg-settings");
        for (String weakening : new String[] {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
            System.setProperty(EmbeddedPostgres.SETTINGS_PROPERTY, "commit_delay=10 " + weakening);
            assertThatThrownBy(() -> EmbeddedPostgres.start(dir).close()).isInstanceOf(IOException.class)
                    .hasMessageContaining(weakening).hasMessageContaining("crash guarantee");
        }
        for (String malformed : new String[] {"commit_delay", "commit_delay=", "Commit_Delay=1", "a=b;c"}) {
            System.setProperty(EmbeddedPostgres.SETTINGS_PROPERTY, malformed);
            assertThatThrownBy(() -> EmbeddedPostgres.start(dir).close()).isInstanceOf(IOException.class)
                    .hasMessageContaining("is not name=value");
        }
    }

    private static String show(EmbeddedPostgres pg, String setting) throws SQLException {
        try (var c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
             var rs = c.createStatement().executeQuery("SHOW " + setting)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
