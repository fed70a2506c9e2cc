package dev.srg.api;

import static dev.srg.api.ApiRoutes.one;
import static dev.srg.api.ApiRoutes.page;
import static dev.srg.api.Requests.body;
import static dev.srg.api.Requests.caller;

import dev.srg.privatezone.PrivateZones;
import dev.srg.privatezone.PrivateZones.CreateRecordRequest;
import dev.srg.privatezone.PrivateZones.CreateZoneRequest;
import dev.srg.privatezone.PrivateZones.Zone;
import dev.srg.privatezone.PrivateZones.ZoneRecord;

/** Private DNS zones and their A records (SPEC NET-9); changes apply to tasks started afterwards. */
final class PrivateZoneResource {
    private PrivateZoneResource() {}

    static void register(ApiRoutes api, PrivateZones zones) {
        api.post("/private-zones", "private-zones", "Create a private zone attached to VPCs (applies to tasks started afterwards)",
                one(CreateZoneRequest.class), 201, one(Zone.class), ctx -> {
            Zone z = zones.create(caller(ctx), body(ctx, CreateZoneRequest.class));
            ApiServer.created(ctx, z.id(), z);
        });
        api.get("/private-zones", "private-zones", "List private zones", page(Zone.class),
                ctx -> ctx.json(zones.list(caller(ctx), Requests.page(ctx))));
        api.get("/private-zones/{id}", "private-zones", "Read a private zone with its records", one(Zone.class),
                ctx -> ctx.json(zones.get(caller(ctx), ctx.pathParam("id"))));
        api.delete("/private-zones/{id}", "private-zones", "Delete a private zone and its records", ctx -> {
            zones.delete(caller(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
        api.post("/private-zones/{id}/records", "private-zones", "Add an A record (name relative to the zone, @ for the zone itself)",
                one(CreateRecordRequest.class), 201, one(ZoneRecord.class), ctx -> {
            ZoneRecord r = zones.addRecord(caller(ctx), ctx.pathParam("id"), body(ctx, CreateRecordRequest.class));
            ApiServer.created(ctx, r.id(), r);
        });
        api.delete("/private-zones/{id}/records/{recordId}", "private-zones", "Remove a record", ctx -> {
            zones.deleteRecord(caller(ctx), ctx.pathParam("id"), ctx.pathParam("recordId"));
            ctx.status(204);
        });
    }
}
