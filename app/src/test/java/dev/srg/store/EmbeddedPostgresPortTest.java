package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestDatabases;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedded PostgreSQL listens where it listened last, so what points at it (a data source on
 * srg's own database, an operator's psql) still reaches it after a restart (found by upg22: every
 * start took a new free port, and such a data source's calls answered 503 after a restart).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbeddedPostgresPortTest {
    private Path dir;

    @AfterEach
    void cleanUp() throws IOException {
        if (dir != null) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void listensOnItsLastPortAgainAndOnAnotherOnlyWhenThatOneIsTaken() throws Exception {
        dir = TestDatabases.dataDirectory("srg-pg-port");
        int first;
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            first = pg.port();
            assertThat(Files.readString(dir.resolve(EmbeddedPostgres.PORT_FILE)).strip()).isEqualTo(Integer.toString(first));
        }
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(pg.port()).isEqualTo(first);
            answers(pg);
        }
        // another program took the port while srg was stopped: a free one, kept for next time
        int second;
        try (ServerSocket squatter = new ServerSocket(first, 1, InetAddress.getLoopbackAddress());
             EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            second = pg.port();
            assertThat(second).isNotEqualTo(first).isNotEqualTo(squatter.getLocalPort());
            answers(pg);
        }
        assertThat(Files.readString(dir.resolve(EmbeddedPostgres.PORT_FILE)).strip()).isEqualTo(Integer.toString(second));
        // a file srg cannot trust is replaced, not obeyed
        Files.writeString(dir.resolve(EmbeddedPostgres.PORT_FILE), "22\n");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(pg.port()).isNotEqualTo(22);
            answers(pg);
        }
    }

    private static void answers(EmbeddedPostgres pg) throws Exception {
        try (var c = DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password())) {
            assertThat(c.isValid(5)).isTrue();
        }
    }
}
