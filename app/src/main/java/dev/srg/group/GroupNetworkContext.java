package dev.srg.group;

import static java.util.Objects.requireNonNull;

import dev.srg.execution.NetworkContext;
import dev.srg.store.OneTrip;
import java.sql.Array;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The network context of a group's launches: its bound VPCs with their vSwitch CIDRs, NAT gateway
 * and routes, and the private-zone records of those VPCs.
 *
 * <p>It is on the launch path, so the contexts read are kept in memory, valid for one generation of
 * the network tables (V39_1: every change to them, by any server of a cluster, moves the number on).
 * A launch reads that number only, and the context again after a change. A context read while a
 * change is in flight (made, not committed) is used but not kept, so a change committed before a
 * submit always reaches the submitted task.
 */
public final class GroupNetworkContext {
    private final Jdbi jdbi;
    /** The contexts read in one generation; replaced as a whole when the generation moves. */
    private volatile Kept kept = new Kept(0, new ConcurrentHashMap<>());

    private record Kept(long generation, ConcurrentMap<String, NetworkContext> byGroup) {}

    private record Generation(boolean quiet, long number) {}

    public GroupNetworkContext(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    /**
     * The read of the network tables' generation, to send with others in one round trip
     * ({@link OneTrip}); what it reads goes to {@link #of(String, long)}.
     */
    public static final OneTrip.Read<Long> GENERATION = new OneTrip.Read<>("SELECT last_value FROM network_generation",
            (rs, ctx) -> rs.getLong(1));

    public NetworkContext of(String groupId) {
        return of(groupId, jdbi.withHandle(h -> h.createQuery(GENERATION.sql()).map(GENERATION.mapper()).one()));
    }

    /**
     * The group's context, where {@code generation} is the network tables' generation read (by
     * {@link #GENERATION}) before this call: the kept context when it is of that generation, else
     * read again (and kept when no change is in flight).
     */
    public NetworkContext of(String groupId, long generation) {
        Kept current = kept;
        if (current.generation() == generation) {
            NetworkContext known = current.byGroup().get(groupId);
            if (known != null) {
                return known;
            }
        }
        return jdbi.inTransaction(h -> {
            // the lock is free only when no writer is between its change and its commit (V39_1): the
            // number is then that of what the reads below see, or older (kept, and read again next time)
            Generation now = h.createQuery("""
                    SELECT pg_try_advisory_xact_lock(hashtext('srg-network-generation')) AS quiet,
                           (SELECT last_value FROM network_generation) AS number""")
                    .map((rs, ctx) -> new Generation(rs.getBoolean("quiet"), rs.getLong("number"))).one();
            // SPEC NET-9: the private-zone records of the group's VPCs, in the same transaction
            NetworkContext read = new NetworkContext(boundVpcs(h, groupId),
                    dev.srg.privatezone.PrivateZones.recordsOfGroup(h, groupId));
            if (now.quiet()) {
                keep(now.number(), groupId, read);
            }
            return read;
        });
    }

    private synchronized void keep(long generation, String groupId, NetworkContext context) {
        Kept current = kept;
        if (generation < current.generation()) {
            return;
        }
        if (generation > current.generation()) {
            current = new Kept(generation, new ConcurrentHashMap<>());
            kept = current;
        }
        current.byGroup().put(groupId, context);
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
