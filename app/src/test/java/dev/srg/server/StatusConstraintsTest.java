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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    private static final Map<String, List<String>> CHECKS = new LinkedHashMap<>();

    static {
        CHECKS.put("resource_groups_status_check", names(GroupStatus.class));
        CHECKS.put("resource_groups_billing_mode_check", names(BillingMode.class));
        CHECKS.put("resource_groups_cycle_unit_check", names(BillingCycle.Unit.class));
        CHECKS.put("resource_group_quotas_usage_type_check", names(UsageType.class));
        CHECKS.put("orders_type_check", names(PurchaseType.class));
        CHECKS.put("orders_billing_mode_check", names(BillingMode.class));
        CHECKS.put("orders_cycle_unit_check", names(BillingCycle.Unit.class));
        CHECKS.put("workspace_members_role_check", names(WorkspaceRole.class));
        CHECKS.put("vpc_routes_via_check", names(RouteVia.class));
        CHECKS.put("alert_rules_state_check", names(AlertState.class));
        CHECKS.put("alert_rules_metric_check", names(AlertMetric.class));
        CHECKS.put("alert_rules_comparator_check", names(AlertComparator.class));
        CHECKS.put("alert_events_from_state_check", names(AlertState.class));
        CHECKS.put("alert_events_to_state_check", names(AlertState.class));
        CHECKS.put("alert_events_delivery_check", names(Delivery.class));
        List<String> usage = new ArrayList<>(names(UsageType.class));
        usage.add("ALL");
        CHECKS.put("usage_points_usage_type_check", usage);
    }

    private static List<String> names(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
    }

    @Test
    @DisplayName("each CHECK lists exactly its enum's names: a new constant needs a migration, a typo fails here")
    void checksMatchTheEnums() {
        CHECKS.forEach((name, values) -> {
            String def = "pg_get_constraintdef(c.oid)";
            long quoted = server.sqlLong("SELECT count(*) FROM pg_constraint c, regexp_matches(" + def
                    + ", '''([A-Z_]+)''', 'g') m WHERE c.conname = '" + name + "'");
            assertThat(quoted).as("%s lists as many values as %s", name, values).isEqualTo(values.size());
            for (String value : values) {
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
