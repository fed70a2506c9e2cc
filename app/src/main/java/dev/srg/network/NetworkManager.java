package dev.srg.network;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.region.Region;
import dev.srg.region.RegionCatalog;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Clock;
import java.time.Instant;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * VPCs, vSwitches, NAT gateways and routes with their rules (NET-3, NET-4, NET-7, NET-8) and
 * access (ACC-2: reading needs VpcReadOnlyAccess or VpcFullAccess, changing needs VpcFullAccess).
 */
public final class NetworkManager {
    /** VPC blocks are /8 to /28, vSwitch blocks /16 to /29, as in the clouds the guide comes from. */
    static final int VPC_MIN_PREFIX = 8;
    static final int VPC_MAX_PREFIX = 28;
    static final int VSWITCH_MIN_PREFIX = 16;
    static final int VSWITCH_MAX_PREFIX = 29;

    private final Jdbi jdbi;
    private final RegionCatalog regions;
    private final Clock clock;

    public NetworkManager(Jdbi jdbi, RegionCatalog regions, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.regions = requireNonNull(regions, "regions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public record CreateVpcRequest(String name, String regionId, String cidr, String clientToken) {}

    public record CreateVSwitchRequest(String name, String zoneId, String cidr, String clientToken) {}

    public record NatGatewayRequest(String eip) {}

    public record CreateRouteRequest(String destinationCidr, RouteVia via, String clientToken) {}

    public Vpc createVpc(Principal caller, CreateVpcRequest request) {
        caller.requireAll("create VPCs", Policy.VpcFullAccess);
        String name = Names.require("name", request.name());
        Region region = regions.require("regionId", request.regionId());
        Cidr cidr = Cidr.parse("cidr", request.cidr());
        requirePrefix("cidr", cidr, VPC_MIN_PREFIX, VPC_MAX_PREFIX);
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "vpc", request.clientToken(),
                String.join("|", name, region.id(), cidr.toString()), clock::instant, h -> {
                    Instant now = clock.instant();
                    String newId = Ids.next("vpc", now.toEpochMilli());
                    new NetworkDao(h).insertVpc(newId, name, region.id(), cidr, now);
                    return newId;
                });
        return getVpc(caller, id);
    }

    public Vpc getVpc(Principal caller, String id) {
        requireRead(caller);
        return jdbi.withHandle(h -> new NetworkDao(h).findVpc(id, false)).orElseThrow(() -> SrgException.notFound("Vpc", id));
    }

    public Page<Vpc> listVpcs(Principal caller, PageRequest page) {
        requireRead(caller);
        return jdbi.withHandle(h -> page.page(new NetworkDao(h).listVpcs(page.afterId(), page.limit()), Vpc::id));
    }

    public void deleteVpc(Principal caller, String id) {
        caller.requireAll("delete VPCs", Policy.VpcFullAccess);
        jdbi.useTransaction(h -> {
            NetworkDao dao = new NetworkDao(h);
            dao.findVpc(id, true).orElseThrow(() -> SrgException.notFound("Vpc", id));
            if (dao.vpcIsBound(id)) {
                throw SrgException.conflict("Vpc.InUse", "VPC '" + id + "' is bound to a resource group: unbind it first");
            }
            dao.deleteReleasedBindings(id);
            dao.deleteVpc(id);
        });
    }

    public VSwitch createVSwitch(Principal caller, String vpcId, CreateVSwitchRequest request) {
        caller.requireAll("create vSwitches", Policy.VpcFullAccess);
        String name = Names.require("name", request.name());
        Cidr cidr = Cidr.parse("cidr", request.cidr());
        requirePrefix("cidr", cidr, VSWITCH_MIN_PREFIX, VSWITCH_MAX_PREFIX);
        if (request.zoneId() == null) {
            throw SrgException.invalid("zoneId", "MissingParameter", "zoneId is required");
        }
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "vswitch:" + vpcId, request.clientToken(),
                String.join("|", name, request.zoneId(), cidr.toString()), clock::instant, h -> {
                    NetworkDao dao = new NetworkDao(h);
                    Vpc vpc = dao.findVpc(vpcId, true).orElseThrow(() -> SrgException.notFound("Vpc", vpcId));
                    Region region = regions.find(vpc.regionId()).orElseThrow();
                    if (!region.hasZone(request.zoneId())) {
                        throw SrgException.invalid("zoneId", "InvalidParameter.VSwitch.Zone", "zone '" + request.zoneId()
                                + "' is not in the VPC's region '" + vpc.regionId() + "'; zones there: "
                                + region.zones().stream().map(z -> z.id()).toList());
                    }
                    if (!vpc.cidr().contains(cidr)) {
                        throw SrgException.invalid("cidr", "InvalidParameter.VSwitch.CidrOutsideVpc",
                                "vSwitch block " + cidr + " must lie inside the VPC's block " + vpc.cidr());
                    }
                    for (VSwitch other : vpc.vswitches()) {
                        if (other.cidr().overlaps(cidr)) {
                            throw SrgException.invalid("cidr", "InvalidParameter.VSwitch.CidrOverlap",
                                    "vSwitch block " + cidr + " overlaps vSwitch '" + other.id() + "' (" + other.cidr() + ")");
                        }
                    }
                    Instant now = clock.instant();
                    String newId = Ids.next("vsw", now.toEpochMilli());
                    dao.insertVSwitch(new VSwitch(newId, vpcId, name, request.zoneId(), cidr, now));
                    return newId;
                });
        return getVpc(caller, vpcId).vswitches().stream().filter(v -> v.id().equals(id)).findFirst().orElseThrow();
    }

    public Vpc setNatGateway(Principal caller, String vpcId, NatGatewayRequest request) {
        caller.requireAll("change NAT gateways", Policy.VpcFullAccess);
        if (request.eip() == null) {
            throw SrgException.invalid("eip", "MissingParameter", "eip is required");
        }
        long address = Cidr.parseAddress("eip", request.eip());
        if (Cidr.parse("x", "10.0.0.0/8").containsAddress(address) || Cidr.parse("x", "172.16.0.0/12").containsAddress(address)
                || Cidr.parse("x", "192.168.0.0/16").containsAddress(address) || Cidr.RESERVED.containsAddress(address)
                || Cidr.parse("x", "127.0.0.0/8").containsAddress(address) || address == 0) {
            throw SrgException.invalid("eip", "InvalidParameter.Eip",
                    "an elastic IP is a public address; '" + request.eip() + "' is private, loopback or reserved");
        }
        String eip = Cidr.format(address);
        jdbi.useTransaction(h -> {
            NetworkDao dao = new NetworkDao(h);
            dao.findVpc(vpcId, true).orElseThrow(() -> SrgException.notFound("Vpc", vpcId));
            if (dao.eipInUse(eip, vpcId)) {
                throw SrgException.conflict("Eip.InUse", "eip", "elastic IP " + eip + " is attached to another VPC");
            }
            dao.setNatEip(vpcId, eip);
        });
        return getVpc(caller, vpcId);
    }

    public void deleteNatGateway(Principal caller, String vpcId) {
        caller.requireAll("change NAT gateways", Policy.VpcFullAccess);
        jdbi.useTransaction(h -> {
            NetworkDao dao = new NetworkDao(h);
            Vpc vpc = dao.findVpc(vpcId, true).orElseThrow(() -> SrgException.notFound("Vpc", vpcId));
            if (vpc.natGateway() == null) {
                throw SrgException.notFound("NatGateway", vpcId);
            }
            dao.setNatEip(vpcId, null);
        });
    }

    public Route createRoute(Principal caller, String vpcId, CreateRouteRequest request) {
        caller.requireAll("change routes", Policy.VpcFullAccess);
        Cidr destination = Cidr.parse("destinationCidr", request.destinationCidr());
        if (request.via() == null) {
            throw SrgException.invalid("via", "MissingParameter", "via is required: one of " + java.util.Arrays.toString(RouteVia.values()));
        }
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "route:" + vpcId, request.clientToken(),
                destination + "|" + request.via(), clock::instant, h -> {
                    NetworkDao dao = new NetworkDao(h);
                    Vpc vpc = dao.findVpc(vpcId, true).orElseThrow(() -> SrgException.notFound("Vpc", vpcId));
                    if (vpc.cidr().overlaps(destination)) {
                        throw SrgException.invalid("destinationCidr", "InvalidParameter.Route.OverlapsVpc",
                                "destination " + destination + " overlaps the VPC's own block " + vpc.cidr());
                    }
                    Instant now = clock.instant();
                    String newId = Ids.next("rt", now.toEpochMilli());
                    dao.insertRoute(new Route(newId, vpcId, destination, request.via(), now));
                    return newId;
                });
        return getVpc(caller, vpcId).routes().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }

    public void deleteRoute(Principal caller, String vpcId, String routeId) {
        caller.requireAll("change routes", Policy.VpcFullAccess);
        if (jdbi.withHandle(h -> new NetworkDao(h).deleteRoute(vpcId, routeId)) == 0) {
            throw SrgException.notFound("Route", routeId);
        }
    }

    /**
     * For binding a VPC to a resource group (NET-3, NET-4, ACC-2), inside the binding transaction:
     * the VPC must be readable by the caller, in the group's region, clear of 21.0.0.0/8, and the
     * vSwitch must be one of its own in the group's zone.
     */
    public VSwitch requireBindable(Handle h, Principal caller, String vpcId, String vswitchId, String regionId, String zoneId) {
        caller.requireAny("bind VPCs (reading the VPC is needed)", Policy.VpcReadOnlyAccess, Policy.VpcFullAccess);
        if (vpcId == null) {
            throw SrgException.invalid("vpcId", "MissingParameter", "vpcId is required");
        }
        if (vswitchId == null) {
            throw SrgException.invalid("vswitchId", "MissingParameter", "vswitchId is required");
        }
        Vpc vpc = new NetworkDao(h).findVpcKeptFromDeletion(vpcId) // a concurrent delete: 404, not a foreign key's 500
                .orElseThrow(() -> SrgException.notFound("Vpc", vpcId, "vpcId"));
        if (!vpc.regionId().equals(regionId)) {
            throw SrgException.invalid("vpcId", "InvalidParameter.Vpc.Region",
                    "VPC '" + vpcId + "' is in region '" + vpc.regionId() + "', the resource group in '" + regionId + "'");
        }
        if (vpc.usesReservedRange()) {
            throw SrgException.invalid("vpcId", "InvalidParameter.Vpc.ForbiddenCidr",
                    "VPC '" + vpcId + "' uses " + vpc.cidr() + ", which overlaps the reserved range 21.0.0.0/8"
                            + " (addresses 21.0.0.0 to 21.255.255.255 cannot be used by resource groups)");
        }
        VSwitch vswitch = vpc.vswitches().stream().filter(v -> v.id().equals(vswitchId)).findFirst()
                .orElseThrow(() -> SrgException.invalid("vswitchId", "InvalidParameter.VSwitch.NotInVpc",
                        "vSwitch '" + vswitchId + "' does not belong to VPC '" + vpcId + "'"));
        if (!vswitch.zoneId().equals(zoneId)) {
            throw SrgException.invalid("vswitchId", "InvalidParameter.VSwitch.Zone",
                    "vSwitch '" + vswitchId + "' is in zone '" + vswitch.zoneId() + "', the resource group in '" + zoneId + "'");
        }
        return vswitch;
    }

    private static void requireRead(Principal caller) {
        caller.requireAny("read VPCs", Policy.VpcReadOnlyAccess, Policy.VpcFullAccess);
    }

    private static void requirePrefix(String field, Cidr cidr, int min, int max) {
        if (cidr.prefix() < min || cidr.prefix() > max) {
            throw SrgException.invalid(field, "InvalidParameter.Cidr",
                    field + " " + cidr + " must have a prefix length from /" + min + " to /" + max);
        }
    }
}
