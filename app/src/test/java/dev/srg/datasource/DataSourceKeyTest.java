package dev.srg.datasource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.server.ServerConfig;
import dev.srg.server.SrgServer;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server whose data-source key is not the one its database's secrets are sealed with does not
 * start (a cluster's server given a key of its own; a replaced key file): it would otherwise start,
 * fail every sync that needs a stored password, and seal new ones the other servers cannot open.
 */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DataSourceKeyTest {
    private TestServer first;

    @BeforeEach
    void start() {
        first = TestServer.start();
    }

    @AfterEach
    void stop() {
        if (first != null) {
            first.close();
        }
    }

    /** A second server on the first's database, with the key file its data directory has (its own, made at start, if none). */
    private SrgServer secondWith(Path dir, boolean reset) throws Exception {
        TestDatabases.Fresh db = first.database();
        Map<String, String> flags = new HashMap<>(Map.of("host", "127.0.0.1", "port", "0", "data-dir", dir.toString(),
                "database-url", db.url(), "datasource-key-reset", Boolean.toString(reset)));
        if (db.user() != null) {
            flags.put("database-user", db.user());
        }
        if (db.password() != null) {
            flags.put("database-password", db.password());
        }
        Files.writeString(dir.resolve("admin.token"), first.adminToken() + "\n");
        return SrgServer.start(ServerConfig.resolve(flags, Map.of(), null));
    }

    private String aDataSourceWithAPassword() {
        String ws = new Fixtures(first).workspace(null).get("id").asString();
        var created = first.admin().post("data-sources", Map.of("name", "orders-db", "workspaceId", ws, "type", "POSTGRESQL",
                "host", "db.internal", "port", 5432, "database", "orders", "user", "etl", "password", "s3cret"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.id();
    }

    @Test
    @DisplayName("SPEC DI-1: a second server with a key of its own does not start, and says which key and what to do; with the first's key it starts")
    void aServerWithAnotherKeyDoesNotStart() throws Exception {
        Path own = TestDatabases.dataDirectory("srg-key");
        assertThatThrownBy(() -> secondWith(own, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(own.resolve("datasource.key").toString())
                .hasMessageContaining("is not the key this database's secrets are sealed with")
                .hasMessageContaining("--datasource-key-file").hasMessageContaining("--datasource-key-reset");

        Path shared = TestDatabases.dataDirectory("srg-key");
        Files.copy(first.dataDir().resolve("datasource.key"), shared.resolve("datasource.key"));
        try (SrgServer second = secondWith(shared, false)) {
            assertThat(second.port()).isPositive();
        }
    }

    @Test
    @DisplayName("SPEC DI-1: on a database from before the check, the stored secrets themselves are tried: another key does not start")
    void aDatabaseFromBeforeTheCheckTriesItsSecrets() throws Exception {
        aDataSourceWithAPassword();
        first.sql("DELETE FROM secret_key_check");
        Path own = TestDatabases.dataDirectory("srg-key");
        assertThatThrownBy(() -> secondWith(own, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not the key this database's secrets are sealed with");
        assertThat(first.sqlLong("SELECT count(*) FROM secret_key_check")).as("a refused key seals nothing").isZero();

        // the first server's own key opens them, and seals the check again
        first.restart();
        assertThat(first.sqlLong("SELECT count(*) FROM secret_key_check")).isEqualTo(1);
    }

    @Test
    @DisplayName("SPEC DI-1: --datasource-key-reset starts with a new key and makes it the database's: the old key is refused from then on")
    void aResetMakesTheNewKeyTheDatabases() throws Exception {
        String id = aDataSourceWithAPassword();
        Path lost = TestDatabases.dataDirectory("srg-key");
        try (SrgServer second = secondWith(lost, true)) {
            assertThat(second.port()).isPositive();
        }
        // the first server's key is the old one now: a server started with it is refused
        Path again = TestDatabases.dataDirectory("srg-key");
        Files.copy(first.dataDir().resolve("datasource.key"), again.resolve("datasource.key"));
        assertThatThrownBy(() -> secondWith(again, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not the key this database's secrets are sealed with");
        // and the password sealed with the old key stays what it was: unreadable, not replaced
        Path current = TestDatabases.dataDirectory("srg-key");
        Files.copy(lost.resolve("datasource.key"), current.resolve("datasource.key"));
        try (SrgServer third = secondWith(current, false)) {
            SecretBox box = SecretBox.openOrCreate(current.resolve("datasource.key"));
            DataSourceStore store = new DataSourceStore(org.jdbi.v3.core.Jdbi.create(third.config().databaseUrl(),
                    third.config().databaseUser(), third.config().databasePassword()), box);
            assertThatThrownBy(() -> store.connection(id)).hasMessageContaining("does not decrypt");
        }
    }
}
