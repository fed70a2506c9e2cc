package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.error.SrgException;
import dev.srg.network.NetworkManager;
import dev.srg.network.RouteVia;
import dev.srg.network.Vpc;
import dev.srg.store.PageRequest;
import java.util.List;

/** VPCs and their vSwitches, NAT gateway (internet access, NET-7) and routes to other networks (NET-8). */
final class NetworkPages {
    private NetworkPages() {}

    static void register(Console c) {
        c.page("/console/networks", r -> list(c, r));
        c.action("/console/networks", "Create a VPC", r -> {
            FormInput in = r.form();
            try {
                Vpc v = c.features.networks().createVpc(r.caller, new NetworkManager.CreateVpcRequest(in.text("name"),
                        in.text("regionId"), in.text("cidr"), in.text("clientToken")));
                r.auditResource(v.id());
                r.done("VPC " + v.name() + " created.", "/console/networks/" + v.id());
            } catch (SrgException e) {
                r.refused("create", in, e, List.of("name", "regionId", "cidr"), "/console/networks");
            }
        });
        c.page("/console/networks/{id}", r -> details(c, r));
        c.action("/console/networks/{id}/vswitches", "Add a vSwitch to a VPC", r -> {
            String id = r.path("id");
            FormInput in = r.form();
            try {
                var s = c.features.networks().createVSwitch(r.caller, id, new NetworkManager.CreateVSwitchRequest(in.text("name"),
                        in.text("zoneId"), in.text("cidr"), in.text("clientToken")));
                r.auditResource(s.id());
                r.done("vSwitch " + s.name() + " created.", "/console/networks/" + id);
            } catch (SrgException e) {
                r.refused("vswitch", in, e, List.of("name", "zoneId", "cidr"), "/console/networks/" + id);
            }
        });
        c.action("/console/networks/{id}/nat-gateway", "Add a NAT gateway to a VPC", r -> {
            String id = r.path("id");
            FormInput in = r.form();
            try {
                c.features.networks().setNatGateway(r.caller, id, new NetworkManager.NatGatewayRequest(in.text("eip")));
                r.done("NAT gateway set: tasks of groups bound to this VPC reach the internet.", "/console/networks/" + id);
            } catch (SrgException e) {
                r.refused("nat", in, e, List.of("eip"), "/console/networks/" + id);
            }
        });
        c.action("/console/networks/{id}/nat-gateway/remove", "Remove a VPC's NAT gateway", r -> {
            c.features.networks().deleteNatGateway(r.caller, r.path("id"));
            r.done("NAT gateway removed.", "/console/networks/" + r.path("id"));
        });
        c.action("/console/networks/{id}/routes", "Add a route to a VPC", r -> {
            String id = r.path("id");
            FormInput in = r.form();
            try {
                c.features.networks().createRoute(r.caller, id, new NetworkManager.CreateRouteRequest(in.text("destinationCidr"),
                        in.enumValue("via", RouteVia.class), in.text("clientToken")));
                r.done("Route added.", "/console/networks/" + id);
            } catch (SrgException e) {
                r.refused("route", in, e, List.of("destinationCidr", "via"), "/console/networks/" + id);
            }
        });
        c.action("/console/networks/{id}/routes/{routeId}/delete", "Delete a VPC route", r -> {
            c.features.networks().deleteRoute(r.caller, r.path("id"), r.path("routeId"));
            r.done("Route removed.", "/console/networks/" + r.path("id"));
        });
        c.action("/console/networks/{id}/delete", "Delete a VPC", r -> {
            c.features.networks().deleteVpc(r.caller, r.path("id"));
            r.done("VPC deleted.", "/console/networks");
        });
    }

    private static void list(Console c, ConsoleRequest r) {
        List<Vpc> vpcs = c.features.networks().listVpcs(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        r.render("networks/list.jte", model("page", r.page("VPCs and vSwitches", "networks"), "vpcs", vpcs,
                "form", r.takeForm().of("create"), "regions", c.features.regions().list(), "clientToken", ConsoleSessions.random()));
    }

    private static void details(Console c, ConsoleRequest r) {
        Vpc v = c.features.networks().getVpc(r.caller, r.path("id"));
        var region = c.features.regions().find(v.regionId()).orElse(null);
        r.render("networks/detail.jte", model("page", r.page(v.name(), "networks").crumb("VPCs", "/console/networks"), "v", v,
                "form", r.takeForm(), "zones", region == null ? List.of() : region.zones(), "vias", RouteVia.values(),
                "clientToken", ConsoleSessions.random()));
    }
}
