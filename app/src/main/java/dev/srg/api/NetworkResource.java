package dev.srg.api;

import static dev.srg.api.ApiRoutes.array;
import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.network.NetworkManager;
import dev.srg.network.NetworkManager.CreateRouteRequest;
import dev.srg.network.NetworkManager.CreateVSwitchRequest;
import dev.srg.network.NetworkManager.CreateVpcRequest;
import dev.srg.network.NetworkManager.NatGatewayRequest;
import dev.srg.network.Route;
import dev.srg.network.VSwitch;
import dev.srg.network.Vpc;
import dev.srg.region.Region;
import dev.srg.region.RegionCatalog;

/** Regions, VPCs, vSwitches, NAT gateways and routes. */
final class NetworkResource {
    private NetworkResource() {}

    static void register(ApiRoutes api, RegionCatalog regions, NetworkManager networks) {
        api.get("/regions", "regions", "List regions and their zones", array(Region.class), ctx -> {
            caller(ctx);
            ctx.json(regions.list());
        });
        api.post("/vpcs", "vpcs", "Create a VPC", one(CreateVpcRequest.class), 201, one(Vpc.class), ctx -> {
            Vpc vpc = networks.createVpc(caller(ctx), body(ctx, CreateVpcRequest.class));
            ApiServer.created(ctx, vpc.id(), vpc);
        });
        api.get("/vpcs", "vpcs", "List VPCs", page(Vpc.class), ctx -> ctx.json(networks.listVpcs(caller(ctx), Requests.page(ctx))));
        api.get("/vpcs/{id}", "vpcs", "Read a VPC", one(Vpc.class), ctx -> ctx.json(networks.getVpc(caller(ctx), ctx.pathParam("id"))));
        api.delete("/vpcs/{id}", "vpcs", "Delete a VPC that no group uses", ctx -> {
            networks.deleteVpc(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.post("/vpcs/{id}/vswitches", "vpcs", "Create a vSwitch in a VPC", one(CreateVSwitchRequest.class), 201, one(VSwitch.class), ctx -> {
            VSwitch v = networks.createVSwitch(caller(ctx), ctx.pathParam("id"), body(ctx, CreateVSwitchRequest.class));
            ApiServer.created(ctx, v.id(), v);
        });
        api.put("/vpcs/{id}/nat-gateway", "vpcs", "Attach a NAT gateway with an elastic IP", one(NatGatewayRequest.class), one(Vpc.class),
                ctx -> ctx.json(networks.setNatGateway(caller(ctx), ctx.pathParam("id"), body(ctx, NatGatewayRequest.class))));
        api.delete("/vpcs/{id}/nat-gateway", "vpcs", "Remove the NAT gateway", ctx -> {
            networks.deleteNatGateway(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.post("/vpcs/{id}/routes", "vpcs", "Declare a route to a connected network", one(CreateRouteRequest.class), 201, one(Route.class), ctx -> {
            Route r = networks.createRoute(caller(ctx), ctx.pathParam("id"), body(ctx, CreateRouteRequest.class));
            ApiServer.created(ctx, r.id(), r);
        });
        api.delete("/vpcs/{id}/routes/{routeId}", "vpcs", "Remove a route", ctx -> {
            networks.deleteRoute(caller(ctx), ctx.pathParam("id"), ctx.pathParam("routeId"));
            ctx.status(204);
        });
    }
}
