package dev.srg.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.HeldTransaction;
import dev.srg.testing.ServerTestBase;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two deletes of one resource at the same moment (two operators, a retried script): the one that
 * finds it already gone answers 404 as it would one after the other, instead of a second 204 (and a
 * second "deleted" in the audit log for one deletion). The other delete is held open in a
 * transaction of the test's own until the request waits on its row (docs/testing.md).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConcurrentDeleteTest extends ServerTestBase {
    private static void secondDeleteIs404(String table, String id, String path, String code) throws Exception {
        try (var held = new HeldTransaction(server.database())) {
            // the first DELETE, its row gone and not committed yet
            assertThat(held.sql("DELETE FROM " + table + " WHERE id = ?", id)).isEqualTo(1);
            var second = HeldTransaction.send(() -> admin.delete(path));
            held.awaitAWaiter(second);
            held.commit();
            var r = second.get(2, TimeUnit.MINUTES);
            assertThat(r.status()).as(path + ": " + r).isEqualTo(404);
            assertThat(r.code()).isEqualTo(code);
        }
    }

    @Test
    @DisplayName("a data source deleted twice at once: one 204, the other 404 DataSource.NotFound")
    void dataSource() throws Exception {
        String ws = fx.workspace(null).get("id").asString();
        var ds = admin.post("data-sources", Map.of("name", "twice", "workspaceId", ws, "type", "POSTGRESQL", "host", "127.0.0.1",
                "port", 5432, "database", "x", "user", "x", "password", "x"));
        assertThat(ds.status()).as(ds.toString()).isEqualTo(201);
        secondDeleteIs404("data_sources", ds.id(), "data-sources/" + ds.id(), "DataSource.NotFound");
    }

    @Test
    @DisplayName("a budget deleted twice at once: one 204, the other 404 Budget.NotFound")
    void budget() throws Exception {
        String group = fx.payAsYouGoGroup(4).get("id").asString();
        var b = admin.post("budgets", Map.of("resourceGroupId", group, "name", "twice", "unit", "CU_HOURS", "amount", 10));
        assertThat(b.status()).as(b.toString()).isEqualTo(201);
        secondDeleteIs404("budgets", b.id(), "budgets/" + b.id(), "Budget.NotFound");
    }

    @Test
    @DisplayName("a DataService app deleted twice at once: one 204, the other 404 App.NotFound")
    void app() throws Exception {
        var a = admin.post("dataservice/apps", Map.of("name", "twice"));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        secondDeleteIs404("ds_apps", a.id(), "dataservice/apps/" + a.id(), "App.NotFound");
        assertThat(admin.get("dataservice/apps").json().get("items").findValuesAsString("id")).doesNotContain(a.id());
    }
}
