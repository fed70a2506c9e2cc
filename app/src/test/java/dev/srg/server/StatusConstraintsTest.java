package dev.srg.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.admission.UsageType;
import dev.srg.group.BillingCycle;
import dev.srg.group.BillingMode;
import dev.srg.group.GroupStatus;
import dev.srg.group.PurchaseType;
import dev.srg.monitor.AlertComparator;
import dev.srg.monitor.AlertMetric;
import dev.srg.monitor.AlertState;
import dev.srg.monitor.Delivery;
import dev.srg.network.RouteVia;
import dev.srg.testing.ServerTestBase;
import dev.srg.workspace.WorkspaceRole;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The status and kind columns accept exactly the names of their Java enums (migration V13). */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StatusConstraintsTest extends ServerTestBase {
    private static final Map<String, Class<? extends Enum<?>>> CHECKS = new LinkedHashMap<>();

    static {
        CHECKS.put("resource_groups_status_check", GroupStatus.class);
        CHECKS.put("resource_groups_billing_mode_check", BillingMode.class);
        CHECKS.put("resource_groups_cycle_unit_check", BillingCycle.Unit.class);
        CHECKS.put("resource_group_quotas_usage_type_check", UsageType.class);
        CHECKS.put("orders_type_check", PurchaseType.class);
        CHECKS.put("orders_billing_mode_check", BillingMode.class);
        CHECKS.put("orders_cycle_unit_check", BillingCycle.Unit.class);
        CHECKS.put("workspace_members_role_check", WorkspaceRole.class);
        CHECKS.put("vpc_routes_via_check", RouteVia.class);
        CHECKS.put("alert_rules_state_check", AlertState.class);
        CHECKS.put("alert_rules_metric_check", AlertMetric.class);
        CHECKS.put("alert_rules_comparator_check", AlertComparator.class);
        CHECKS.put("alert_events_from_state_check", AlertState.class);
        CHECKS.put("alert_events_to_state_check", AlertState.class);
        CHECKS.put("alert_events_delivery_check", Delivery.class);
    }

    @Test
    @DisplayName("each CHECK lists exactly its enum's names: a new constant needs a migration, a typo fails here")
    void checksMatchTheEnums() {
        CHECKS.forEach((name, type) -> {
            String def = "pg_get_constraintdef(c.oid)";
            long quoted = server.sqlLong("SELECT count(*) FROM pg_constraint c, regexp_matches(" + def
                    + ", '''([A-Z_]+)''', 'g') m WHERE c.conname = '" + name + "'");
            Enum<?>[] constants = type.getEnumConstants();
            assertThat(quoted).as("%s lists as many values as %s has", name, type.getSimpleName()).isEqualTo(constants.length);
            for (String value : Arrays.stream(constants).map(Enum::name).toList()) {
                assertThat(server.sqlLong("SELECT count(*) FROM pg_constraint c WHERE c.conname = '" + name + "' AND "
                        + def + " LIKE '%''" + value + "''%'")).as("%s allows %s", name, value).isEqualTo(1);
            }
        });
    }

    @Test
    @DisplayName("a status outside the enum is refused by the database itself")
    void badStatusRefused() {
        String id = fx.payAsYouGoGroup(2).get("id").asString();
        assertThatThrownBy(() -> server.sql("UPDATE resource_groups SET status = 'PAUSED' WHERE id = ?", id))
                .hasMessageContaining("resource_groups_status_check");
        assertThat(server.sql("UPDATE resource_groups SET status = status WHERE id = ?", id)).isEqualTo(1);
    }
}
