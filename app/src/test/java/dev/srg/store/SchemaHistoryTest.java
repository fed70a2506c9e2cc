package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The start's shortcut past Flyway (issue 17): taken only when the schema history holds exactly
 * the jar's migrations with Flyway's own checksums; an edited migration still refuses the start.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SchemaHistoryTest {

    @Test
    void flywayIsSkippedOnlyWhenTheHistoryIsExactlyTheJarsMigrations() throws Exception {
        assertThat(SchemaHistory.migrations()).as("the migrations are read from the class path").isPresent();
        assertThat(SchemaHistory.migrations().orElseThrow()).containsKeys("1", "25.1", "37.1");

        Path dir = TestDatabases.dataDirectory("srg-schema-history");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            String url = pg.jdbcUrl("postgres");
            assertThat(SchemaHistory.upToDate(dataSource(url, pg))).as("an empty database").isFalse();
            Database.open(url, pg.user(), pg.password(), 2).close();
            // Flyway migrated the empty database; the checksums computed here are the ones it stored
            assertThat(SchemaHistory.upToDate(dataSource(url, pg))).isTrue();
            try (var c = DriverManager.getConnection(url, pg.user(), pg.password()); var s = c.createStatement()) {
                // an edited migration (what Flyway's validation refuses): no shortcut, and the start is refused as before
                s.execute("UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '25.1'");
                assertThat(SchemaHistory.upToDate(dataSource(url, pg))).isFalse();
                assertThatThrownBy(() -> Database.open(url, pg.user(), pg.password(), 2))
                        .hasStackTraceContaining("checksum mismatch");
                s.execute("UPDATE flyway_schema_history SET checksum = checksum - 1 WHERE version = '25.1'");
                assertThat(SchemaHistory.upToDate(dataSource(url, pg))).isTrue();
                // a database newer than the jar: Flyway decides (as before)
                s.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum,"
                        + " installed_by, execution_time, success) SELECT max(installed_rank) + 1, '999', 'future', 'SQL',"
                        + " 'V999__future.sql', 1, 'srg', 0, true FROM flyway_schema_history");
                assertThat(SchemaHistory.upToDate(dataSource(url, pg))).isFalse();
            }
        }
    }

    private static javax.sql.DataSource dataSource(String url, EmbeddedPostgres pg) {
        var ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(pg.user());
        ds.setPassword(pg.password());
        return ds;
    }
}
