package dev.srg.datasource;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.Fixtures;
import dev.srg.testing.ServerTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Data sources through the API: workspace roles, the password encrypted and never returned, bad input. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DataSourceApiTest extends ServerTestBase {
    private static final String SECRET = "s3cret-Pässword!";

    private static Map<String, Object> postgres(String ws, String name) {
        Map<String, Object> body = new HashMap<>();
        body.put("name", name);
        body.put("workspaceId", ws);
        body.put("type", "POSTGRESQL");
        body.put("host", "db.internal");
        body.put("port", 5432);
        body.put("database", "orders");
        body.put("user", "etl");
        body.put("password", SECRET);
        return body;
    }

    @Test
    @DisplayName("create, read, list, change, delete: the password is stored encrypted, never returned, never in the audit log")
    void lifecycleWithoutThePassword() throws Exception {
        // SPEC DI-1
        String ws = fx.workspace(null).get("id").asString();
        var created = admin.post("data-sources", postgres(ws, "orders-db"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.id();
        assertThat(created.json().get("passwordSet").asBoolean()).isTrue();
        assertThat(created.text()).doesNotContain(SECRET).doesNotContain("s3cret");
        assertThat(admin.get("data-sources/" + id).text()).doesNotContain(SECRET);
        var list = admin.get("data-sources?workspaceId=" + ws);
        assertThat(list.json().get("items")).hasSize(1);
        assertThat(list.text()).doesNotContain(SECRET);

        // at rest: ciphertext only, under a key file readable by its owner alone
        assertThat(server.sqlLong("SELECT count(*) FROM data_sources WHERE position(convert_to('s3cret', 'UTF8') in password_encrypted) > 0"))
                .isZero();
        assertThat(server.sqlLong("SELECT count(*) FROM data_sources WHERE id = '" + id + "' AND length(password_encrypted) >= 28"))
                .isEqualTo(1);
        Path key = server.dataDir().resolve("datasource.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");

        var patched = admin.patch("data-sources/" + id, Map.of("host", "db2.internal", "password", "other"));
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(patched.json().get("host").asString()).isEqualTo("db2.internal");
        assertThat(patched.json().get("passwordSet").asBoolean()).isTrue();
        var cleared = admin.patch("data-sources/" + id, Map.of("password", ""));
        assertThat(cleared.json().get("passwordSet").asBoolean()).isFalse();

        var taken = admin.post("data-sources", postgres(ws, "orders-db"));
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.field()).isEqualTo("name");

        assertThat(admin.delete("data-sources/" + id).status()).isEqualTo(204);
        assertThat(admin.get("data-sources/" + id).status()).isEqualTo(404);
        var audit = admin.get("audit-events?actor=admin&pageSize=1000");
        assertThat(audit.text()).contains("POST /api/v1/data-sources").contains("DELETE /api/v1/data-sources/" + id)
                .doesNotContain(SECRET);
    }

    @Test
    @DisplayName("a create repeated with its clientToken: the same password answers the first data source, another password 409")
    void clientTokenComparesThePasswordWithoutStoringIt() {
        String ws = fx.workspace(null).get("id").asString();
        Map<String, Object> body = postgres(ws, "tokened-db");
        body.put("clientToken", "ds-token-1");
        var first = admin.post("data-sources", body);
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        var again = admin.post("data-sources", body);
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertThat(again.id()).isEqualTo(first.id());

        body.put("password", SECRET + "-changed");
        var other = admin.post("data-sources", body);
        assertThat(other.status()).as(other.toString()).isEqualTo(409);
        assertThat(other.code()).isEqualTo("IdempotentParameterMismatch");
        assertThat(other.field()).isEqualTo("clientToken");
        assertThat(admin.get("data-sources?workspaceId=" + ws).json().get("items")).hasSize(1);

    }

    @Test
    @DisplayName("members read, ADMIN and DEVELOPER edit, a VISITOR cannot, an outsider sees nothing")
    void workspaceRolesDecide() {
        // SPEC DI-1 (its roles decide who edits)
        Fixtures.User owner = fx.user();
        Fixtures.User visitor = fx.user();
        Fixtures.User developer = fx.user();
        Fixtures.User outsider = fx.user();
        String ws = fx.workspace(null).get("id").asString();
        admin.put("workspaces/" + ws + "/members/" + owner.id(), Map.of("role", "ADMIN"));
        admin.put("workspaces/" + ws + "/members/" + visitor.id(), Map.of("role", "VISITOR"));
        admin.put("workspaces/" + ws + "/members/" + developer.id(), Map.of("role", "DEVELOPER"));
        String id = owner.http().post("data-sources", postgres(ws, "a")).id();
        assertThat(developer.http().post("data-sources", postgres(ws, "b")).status()).isEqualTo(201);
        assertThat(visitor.http().get("data-sources/" + id).status()).isEqualTo(200);
        assertThat(visitor.http().get("data-sources?workspaceId=" + ws).json().get("items")).hasSize(2);
        var refused = visitor.http().post("data-sources", postgres(ws, "c"));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(visitor.http().patch("data-sources/" + id, Map.of("host", "x")).status()).isEqualTo(403);
        assertThat(visitor.http().delete("data-sources/" + id).status()).isEqualTo(403);
        assertThat(outsider.http().get("data-sources/" + id).status()).isEqualTo(404);
        assertThat(outsider.http().get("data-sources?workspaceId=" + ws).status()).isEqualTo(404);
        assertThat(outsider.http().get("data-sources").json().get("items")).isEmpty();
        assertThat(visitor.http().get("data-sources").json().get("items")).hasSize(2);
        assertThat(outsider.http().post("data-sources", postgres(ws, "d")).status()).isEqualTo(404);
        assertThat(server.anonymous().get("data-sources?workspaceId=" + ws).status()).isEqualTo(401);
    }

    @Test
    @DisplayName("bad input is a 400 naming the field, and nothing is stored")
    void badInputNamesTheField() {
        String ws = fx.workspace(null).get("id").asString();
        Map<String, String> cases = new HashMap<>();
        List<Map.Entry<Map<String, Object>, String>> bad = List.of(
                Map.entry(with(postgres(ws, "x"), "type", null), "type"),
                Map.entry(with(postgres(ws, "x"), "type", "ORACLE"), "type"),
                Map.entry(with(postgres(ws, "x"), "host", null), "host"),
                Map.entry(with(postgres(ws, "x"), "host", "db;sslfactory=x"), "host"),
                Map.entry(with(postgres(ws, "x"), "port", 70000), "port"),
                Map.entry(with(postgres(ws, "x"), "database", null), "database"),
                Map.entry(with(postgres(ws, "x"), "user", null), "user"),
                Map.entry(with(postgres(ws, "x"), "name", "has space"), "name"),
                Map.entry(with(postgres(ws, "x"), "path", "/data"), "path"),
                Map.entry(with(postgres(ws, "x"), "workspaceId", null), "workspaceId"),
                Map.entry(Map.of("name", "csv", "workspaceId", ws, "type", "CSV"), "path"),
                Map.entry(Map.of("name", "csv", "workspaceId", ws, "type", "CSV", "path", "relative/dir"), "path"),
                Map.entry(Map.of("name", "csv", "workspaceId", ws, "type", "CSV", "path", "/data", "host", "h"), "host"));
        for (var c : bad) {
            var r = admin.post("data-sources", c.getKey());
            assertThat(r.status()).as(c.getKey() + " -> " + r).isEqualTo(400);
            assertThat(r.field()).as(r.toString()).isEqualTo(c.getValue());
            cases.put(c.getValue(), r.code());
        }
        assertThat(admin.get("data-sources?workspaceId=" + ws).json().get("items")).isEmpty();
        var csv = admin.post("data-sources", Map.of("name", "files", "workspaceId", ws, "type", "CSV", "path", "/srv/exports"));
        assertThat(csv.status()).as(csv.toString()).isEqualTo(201);
        assertThat(csv.json().get("passwordSet").asBoolean()).isFalse();
    }

    private static Map<String, Object> with(Map<String, Object> body, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(body);
        if (value == null) {
            copy.remove(key);
        } else {
            copy.put(key, value);
        }
        return copy;
    }

    @Test
    @DisplayName("SPEC DI-1: a malformed body is a 400 saying where, never echoing the text it stumbled on (it may be a password)")
    void malformedJsonDoesNotEchoThePassword() {
        String ws = fx.workspace(null).get("id").asString();
        var r = admin.send("POST", "data-sources", "{\"name\": \"db\", \"workspaceId\": \"" + ws
                + "\", \"type\": \"POSTGRESQL\", \"password\": s3cretHunter2}");
        assertThat(r.status()).as(r.toString()).isEqualTo(400);
        assertThat(r.json().get("code").asString()).isEqualTo("InvalidParameter.Json");
        assertThat(r.toString()).doesNotContain("s3cret").doesNotContain("Hunter2").contains("line 1");
    }
}
