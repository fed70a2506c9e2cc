package dev.srg.network;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for VPCs, vSwitches, NAT gateways and routes. */
final class NetworkDao {
    private final Handle h;

    NetworkDao(Handle h) {
        this.h = h;
    }

    void insertVpc(String id, String name, String regionId, Cidr cidr, Instant now) {
        h.createUpdate("INSERT INTO vpcs (id, name, region_id, cidr, created_at) VALUES (:id, :name, :region, :cidr, :now)")
                .bind("id", id).bind("name", name).bind("region", regionId).bind("cidr", cidr.toString()).bind("now", now)
                .execute();
    }

    Optional<Vpc> findVpc(String id, boolean forUpdate) {
        return findVpc(id, forUpdate ? " FOR UPDATE" : "");
    }

    /**
     * The VPC, kept from being deleted until this transaction ends (FOR KEY SHARE, which only a
     * delete's FOR UPDATE waits for): what is about to reference it (a group's binding) is written
     * before a concurrent delete looks for references, or the delete commits first and this reads
     * no VPC (404), instead of the reference's foreign key failing at its INSERT (a 500).
     */
    Optional<Vpc> findVpcKeptFromDeletion(String id) {
        return findVpc(id, " FOR KEY SHARE");
    }

    private Optional<Vpc> findVpc(String id, String lock) {
        return h.createQuery("SELECT id, name, region_id, cidr, nat_eip, created_at FROM vpcs WHERE id = :id" + lock)
                .bind("id", id).map(VPC_ROW).findOne().map(this::complete);
    }

    List<Vpc> listVpcs(String afterId, int limit) {
        return h.createQuery("SELECT id, name, region_id, cidr, nat_eip, created_at FROM vpcs WHERE id > :after ORDER BY id LIMIT :limit")
                .bind("after", afterId).bind("limit", limit).map(VPC_ROW).list().stream().map(this::complete).toList();
    }

    void deleteVpc(String id) {
        h.createUpdate("DELETE FROM vpcs WHERE id = :id").bind("id", id).execute();
    }

    /**
     * Whether a group not RELEASED binds the VPC. A released group's bindings hold nothing: they can
     * no longer be removed (a released group changes no more), so counting them would keep its VPCs
     * from ever being deleted.
     */
    boolean vpcIsBound(String vpcId) {
        return h.createQuery("""
                SELECT count(*) FROM resource_group_networks n JOIN resource_groups g ON g.id = n.resource_group_id
                WHERE n.vpc_id = :id AND g.status <> 'RELEASED'""")
                .bind("id", vpcId).mapTo(Long.class).one() > 0;
    }

    /** Removes the bindings of RELEASED groups to the VPC, so that it can be deleted (they reference it). */
    void deleteReleasedBindings(String vpcId) {
        h.createUpdate("""
                DELETE FROM resource_group_networks n USING resource_groups g
                WHERE g.id = n.resource_group_id AND n.vpc_id = :id AND g.status = 'RELEASED'""")
                .bind("id", vpcId).execute();
    }

    void insertVSwitch(VSwitch v) {
        h.createUpdate("""
                INSERT INTO vswitches (id, vpc_id, name, zone_id, cidr, created_at)
                VALUES (:id, :vpc, :name, :zone, :cidr, :now)""")
                .bind("id", v.id()).bind("vpc", v.vpcId()).bind("name", v.name()).bind("zone", v.zoneId())
                .bind("cidr", v.cidr().toString()).bind("now", v.createdAt()).execute();
    }

    void setNatEip(String vpcId, String eip) {
        h.createUpdate("UPDATE vpcs SET nat_eip = :eip WHERE id = :id").bind("eip", eip).bind("id", vpcId).execute();
    }

    boolean eipInUse(String eip, String exceptVpcId) {
        return h.createQuery("SELECT count(*) FROM vpcs WHERE nat_eip = :eip AND id <> :id")
                .bind("eip", eip).bind("id", exceptVpcId).mapTo(Long.class).one() > 0;
    }

    void insertRoute(Route r) {
        h.createUpdate("""
                INSERT INTO vpc_routes (id, vpc_id, destination_cidr, via, created_at)
                VALUES (:id, :vpc, :dest, :via, :now)""")
                .bind("id", r.id()).bind("vpc", r.vpcId()).bind("dest", r.destinationCidr().toString())
                .bind("via", r.via().name()).bind("now", r.createdAt()).execute();
    }

    int deleteRoute(String vpcId, String routeId) {
        return h.createUpdate("DELETE FROM vpc_routes WHERE id = :id AND vpc_id = :vpc")
                .bind("id", routeId).bind("vpc", vpcId).execute();
    }

    private Vpc complete(Vpc row) {
        List<VSwitch> vswitches = h.createQuery("SELECT id, vpc_id, name, zone_id, cidr, created_at FROM vswitches WHERE vpc_id = :id ORDER BY id")
                .bind("id", row.id())
                .map((rs, ctx) -> new VSwitch(rs.getString("id"), rs.getString("vpc_id"), rs.getString("name"),
                        rs.getString("zone_id"), Cidr.parse("cidr", rs.getString("cidr")), rs.getTimestamp("created_at").toInstant()))
                .list();
        List<Route> routes = h.createQuery("SELECT id, vpc_id, destination_cidr, via, created_at FROM vpc_routes WHERE vpc_id = :id ORDER BY id")
                .bind("id", row.id())
                .map((rs, ctx) -> new Route(rs.getString("id"), rs.getString("vpc_id"),
                        Cidr.parse("destinationCidr", rs.getString("destination_cidr")), RouteVia.valueOf(rs.getString("via")),
                        rs.getTimestamp("created_at").toInstant()))
                .list();
        return new Vpc(row.id(), row.name(), row.regionId(), row.cidr(), vswitches, row.natGateway(), routes, row.createdAt());
    }

    private static final RowMapper<Vpc> VPC_ROW = (rs, ctx) -> new Vpc(rs.getString("id"), rs.getString("name"),
            rs.getString("region_id"), Cidr.parse("cidr", rs.getString("cidr")), List.of(),
            rs.getString("nat_eip") == null ? null : new NatGateway(rs.getString("nat_eip")), List.of(),
            rs.getTimestamp("created_at").toInstant());
}
