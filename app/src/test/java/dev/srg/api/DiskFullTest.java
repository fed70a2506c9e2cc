package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.ServerTestBase;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The database's disk full (the seventeenth round's hostile load, exh22): on a data directory with no
 * space left, PostgreSQL refuses to grow a table with SQLSTATE 53100 ({@code could not extend file ...:
 * No space left on device}) and every change answered 500 InternalError. The same error is raised here
 * by a trigger on the table (a full disk cannot be made for one table), on the server's real database.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DiskFullTest extends ServerTestBase {

    @Test
    @DisplayName("a change refused by a full disk answers 507 InsufficientStorage.Database problem+json with Retry-After, keeps nothing, and succeeds once there is space")
    void diskFullIs507() {
        Map<String, Object> vpc = Map.of("name", "full", "regionId", "local", "cidr", "10.77.0.0/16");
        server.sql("""
                CREATE FUNCTION exh22_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = 'disk_full';
                END $$""");
        server.sql("CREATE TRIGGER exh22_disk_full BEFORE INSERT ON vpcs FOR EACH ROW EXECUTE FUNCTION exh22_disk_full()");
        try {
            var refused = admin.post("vpcs", vpc);
            assertThat(refused.status()).as(refused.toString()).isEqualTo(507);
            assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
            assertThat(refused.code()).isEqualTo("InsufficientStorage.Database");
            assertThat(refused.json().path("detail").asString()).contains("no disk space left").contains("nothing partial");
            assertThat(refused.header("Retry-After")).isEqualTo("60");
            assertThat(refused.text()).doesNotContain("No space left on device").doesNotContain("base/1/2");
            assertThat(server.sqlLong("SELECT count(*) FROM vpcs WHERE name = 'full'")).isZero();
        } finally {
            server.sql("DROP TRIGGER exh22_disk_full ON vpcs");
            server.sql("DROP FUNCTION exh22_disk_full()");
        }
        var created = admin.post("vpcs", vpc);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(server.sqlLong("SELECT count(*) FROM vpcs WHERE name = 'full'")).isEqualTo(1);
    }
}
