package dev.srg.cli;

import static dev.srg.cli.Column.count;
import static dev.srg.cli.Column.field;
import static dev.srg.cli.Column.joined;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

@Command(name = "vpc", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        description = "VPCs, vSwitches, NAT gateways and routes.")
final class VpcCommands extends ClientCommand {
    static final View VPC = new View(
            List.of(field("ID", "id"), field("NAME", "name"), field("REGION", "regionId"), field("CIDR", "cidr"),
                    count("VSWITCHES", "vswitches"), Column.of("NAT-EIP", v -> Column.text(v.path("natGateway").path("eip"))),
                    count("ROUTES", "routes")),
            List.of(joined("VSWITCH-IDS", "vswitches", s -> s.path("id").asString() + " " + s.path("name").asString() + " ("
                            + s.path("zoneId").asString() + ", " + s.path("cidr").asString() + ")"),
                    joined("ROUTE-IDS", "routes", r -> r.path("id").asString() + " " + r.path("destinationCidr").asString()
                            + " via " + r.path("via").asString()),
                    Column.time("CREATED", "createdAt")));
    static final View VSWITCH = new View(List.of(field("ID", "id"), field("VPC", "vpcId"), field("NAME", "name"),
            field("ZONE", "zoneId"), field("CIDR", "cidr"), Column.time("CREATED", "createdAt")));
    static final View ROUTE = new View(List.of(field("ID", "id"), field("VPC", "vpcId"), field("DESTINATION", "destinationCidr"),
            field("VIA", "via"), Column.time("CREATED", "createdAt")));

    @Command(name = "create", description = "Create a VPC.")
    void create(@Option(names = "--name", required = true, paramLabel = "NAME") String name,
                 @Option(names = "--region", required = true, paramLabel = "REGION_ID") String region,
                 @Option(names = "--cidr", required = true, paramLabel = "CIDR") String cidr,
                 @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken) {
        out().one(api().post(API + "/vpcs", body("name", name, "regionId", region, "cidr", cidr, "clientToken", clientToken)), VPC);
    }

    @Command(name = "list", description = "List VPCs.")
    void list(@Mixin ListOptions page) {
        printList(API + "/vpcs", Map.of(), page, VPC);
    }

    @Command(name = "get", description = "Show a VPC with its vSwitches and routes.")
    void get(@Parameters(paramLabel = "VPC") String id) {
        out().one(api().get(path("/vpcs/%s", id)), VPC);
    }

    @Command(name = "delete", description = "Delete a VPC that no resource group uses.")
    void delete(@Parameters(paramLabel = "VPC") String id) {
        api().delete(path("/vpcs/%s", id));
        out().done("Deleted VPC " + id);
    }

    @Command(name = "vswitch-create", description = "Create a vSwitch in a zone, inside the VPC's CIDR.")
    void vswitchCreate(@Parameters(paramLabel = "VPC") String id,
                       @Option(names = "--name", required = true, paramLabel = "NAME") String name,
                       @Option(names = "--zone", required = true, paramLabel = "ZONE_ID") String zone,
                       @Option(names = "--cidr", required = true, paramLabel = "CIDR") String cidr,
                       @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken) {
        out().one(api().post(path("/vpcs/%s/vswitches", id), body("name", name, "zoneId", zone, "cidr", cidr,
                "clientToken", clientToken)), VSWITCH);
    }

    @Command(name = "nat-set", description = "Attach a NAT gateway with an elastic IP (gives tasks internet access).")
    void natSet(@Parameters(paramLabel = "VPC") String id, @Option(names = "--eip", required = true, paramLabel = "IP") String eip) {
        out().one(api().put(path("/vpcs/%s/nat-gateway", id), body("eip", eip)), VPC);
    }

    @Command(name = "nat-delete", description = "Remove the VPC's NAT gateway.")
    void natDelete(@Parameters(paramLabel = "VPC") String id) {
        api().delete(path("/vpcs/%s/nat-gateway", id));
        out().done("Removed the NAT gateway of VPC " + id);
    }

    @Command(name = "route-add", description = "Declare a route to a connected network.")
    void routeAdd(@Parameters(paramLabel = "VPC") String id,
                  @Option(names = "--destination", required = true, paramLabel = "CIDR") String destination,
                  @Option(names = "--via", required = true, paramLabel = "VPC_PEERING|VPN_GATEWAY|EXPRESS_CONNECT|CEN") String via,
                  @Option(names = "--client-token", paramLabel = "TOKEN", description = "idempotency key") String clientToken) {
        out().one(api().post(path("/vpcs/%s/routes", id), body("destinationCidr", destination, "via", via.toUpperCase(Locale.ROOT),
                "clientToken", clientToken)), ROUTE);
    }

    @Command(name = "route-delete", description = "Remove a route.")
    void routeDelete(@Parameters(paramLabel = "VPC") String id, @Parameters(paramLabel = "ROUTE_ID") String routeId) {
        api().delete(path("/vpcs/%s/routes/%s", id, routeId));
        out().done("Deleted route " + routeId);
    }
}
