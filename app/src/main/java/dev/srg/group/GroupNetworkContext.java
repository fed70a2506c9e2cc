package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.NetworkContext;
import java.sql.Array;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The network context of a group's launches: its bound VPCs with their vSwitch CIDRs, NAT gateway
 * and routes, in one query (it is read on the launch path). Private-zone records are an empty list
 * until private zones exist.
 */
public final class GroupNetworkContext {
    private final Jdbi jdbi;

    public GroupNetworkContext(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    public NetworkContext of(String groupId) {
        // SPEC NET-9: the private-zone records of the group's VPCs, in the same handle
        return jdbi.withHandle(h -> new NetworkContext(boundVpcs(h, groupId),
                dev.srg.privatezone.PrivateZones.recordsOfGroup(h, groupId)));
    }

    private static List<NetworkContext.BoundVpc> boundVpcs(Handle h, String groupId) {
        // in binding order, the one DataService uses (NET-6: a subscription group's first) first
        return h.createQuery("""
                SELECT n.vpc_id, n.vswitch_id, v.cidr, v.nat_eip,
                       ARRAY(SELECT s.cidr FROM vswitches s WHERE s.vpc_id = v.id ORDER BY s.id) AS vswitch_cidrs,
                       ARRAY(SELECT r.destination_cidr FROM vpc_routes r WHERE r.vpc_id = v.id ORDER BY r.id) AS route_cidrs,
                       ARRAY(SELECT r.via FROM vpc_routes r WHERE r.vpc_id = v.id ORDER BY r.id) AS route_vias
                  FROM resource_group_networks n JOIN vpcs v ON v.id = n.vpc_id
                 WHERE n.resource_group_id = :group
                 ORDER BY n.data_service DESC, n.created_at, n.id""")
                .bind("group", groupId)
                .map((rs, ctx) -> {
                    List<String> cidrs = strings(rs.getArray("route_cidrs"));
                    List<String> vias = strings(rs.getArray("route_vias"));
                    List<NetworkContext.RouteEntry> routes = new ArrayList<>();
                    for (int i = 0; i < cidrs.size(); i++) {
                        routes.add(new NetworkContext.RouteEntry(cidrs.get(i), vias.get(i)));
                    }
                    return new NetworkContext.BoundVpc(rs.getString("vpc_id"), rs.getString("cidr"), rs.getString("vswitch_id"),
                            strings(rs.getArray("vswitch_cidrs")), Optional.ofNullable(rs.getString("nat_eip")), routes);
                }).list();
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : List.of((String[]) array.getArray());
    }
}
