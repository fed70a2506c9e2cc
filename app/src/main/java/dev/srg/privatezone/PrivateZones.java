package dev.srg.privatezone;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.execution.NetworkContext;
import dev.srg.network.Cidr;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Private DNS zones (SPEC NET-9): a zone holds A records and is attached to VPCs; the tasks of a
 * group resolve the records of every zone attached to one of its bound VPCs, and no other group's.
 * Changes apply to tasks started afterwards (each task gets its records at launch). Reading needs
 * VPC read access, changing VpcFullAccess, as for the VPCs themselves.
 */
public final class PrivateZones {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final Jdbi jdbi;
    private final Clock clock;

    public PrivateZones(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public record CreateZoneRequest(String name, List<String> vpcIds, String clientToken) {}

    public record CreateRecordRequest(String name, String type, String value, String clientToken) {}

    /** A record; {@code fqdn} is the name tasks resolve ({@code name.zone}, or the zone for {@code @}). */
    public record ZoneRecord(String id, String name, String fqdn, String type, String value, Instant createdAt) {}

    public record Zone(String id, String name, List<String> vpcIds, List<ZoneRecord> records, Instant createdAt, String note) {}

    static final String NOTE = "changes apply to tasks started afterwards";

    public Zone create(Principal caller, CreateZoneRequest request) {
        caller.requireAll("create private zones", Policy.VpcFullAccess);
        requireNonNull(request, "request is null");
        String name = dnsName("name", request.name());
        if (request.vpcIds() != null && request.vpcIds().contains(null)) { // List.copyOf's NullPointerException was a 500
            throw SrgException.invalid("vpcIds[" + request.vpcIds().indexOf(null) + "]", "MissingParameter",
                    "vpcIds names VPCs by id: null is none");
        }
        List<String> vpcIds = request.vpcIds() == null ? List.of() : List.copyOf(new LinkedHashSet<>(request.vpcIds()));
        if (vpcIds.isEmpty()) {
            throw SrgException.invalid("vpcIds", "MissingParameter", "vpcIds names the VPCs the zone is attached to (at least one)");
        }
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "private-zone", request.clientToken(),
                name + "|" + String.join(",", vpcIds), clock::instant, h -> {
            // one zone name per VPC: each VPC's row is locked (in id order, so two creates never
            // deadlock) before the zones attached to it are read, so of two creates of the same
            // name at once the second waits for the first's commit and then sees its zone; the lock
            // also makes a concurrent delete of the VPC wait (then cascade this zone's attachment), or
            // it committed first and this is a 404, not the attachment's foreign key failing (a 500)
            for (String vpc : vpcIds.stream().sorted().toList()) {
                if (h.createQuery("SELECT id FROM vpcs WHERE id = :id FOR NO KEY UPDATE").bind("id", vpc)
                        .mapTo(String.class).findOne().isEmpty()) {
                    throw SrgException.notFound("Vpc", vpc, "vpcIds");
                }
            }
            requireNameFree(h, name, vpcIds, request.vpcIds());
            Instant now = clock.instant();
            String newId = Ids.next("pz", now.toEpochMilli());
            h.createUpdate("INSERT INTO private_zones (id, name, created_by, created_at) VALUES (:id, :name, :by, :at)")
                    .bind("id", newId).bind("name", name).bind("by", caller.userId()).bind("at", now).execute();
            for (String vpc : vpcIds) {
                h.createUpdate("INSERT INTO private_zone_vpcs (zone_id, vpc_id) VALUES (:z, :v)").bind("z", newId).bind("v", vpc).execute();
            }
            return newId;
        });
        return get(caller, id);
    }

    /**
     * One private zone name per VPC (409 {@code PrivateZone.NameConflict}, naming the VPC): with
     * two, a task's resolver would answer from whichever zone's records came first. Names are
     * stored as {@link #dnsName} makes them (lower case, no trailing dot), so they compare as DNS
     * names do. The caller holds the VPCs' rows locked.
     */
    private static void requireNameFree(Handle h, String name, List<String> vpcIds, List<String> asGiven) {
        for (String vpc : vpcIds) {
            var taken = h.createQuery("""
                    SELECT z.id FROM private_zones z JOIN private_zone_vpcs zv ON zv.zone_id = z.id
                     WHERE zv.vpc_id = :vpc AND z.name = :name ORDER BY z.id LIMIT 1""")
                    .bind("vpc", vpc).bind("name", name).mapTo(String.class).findOne();
            if (taken.isPresent()) {
                throw SrgException.conflict("PrivateZone.NameConflict", "vpcIds[" + asGiven.indexOf(vpc) + "]", "VPC '" + vpc
                        + "' already has a private zone named '" + name + "' (" + taken.get()
                        + "): add the records to it, or delete it first");
            }
        }
    }

    public ZoneRecord addRecord(Principal caller, String zoneId, CreateRecordRequest request) {
        caller.requireAll("change private zones", Policy.VpcFullAccess);
        requireNonNull(request, "request is null");
        if (request.type() != null && !request.type().equals("A")) {
            throw SrgException.invalid("type", "InvalidParameter.RecordType", "only A records are supported, got '" + request.type() + "'");
        }
        String name = request.name() != null && request.name().equals("@") ? "@" : dnsName("name", request.name());
        if (request.value() == null) {
            throw SrgException.invalid("value", "MissingParameter", "value is the record's IPv4 address");
        }
        String value = Cidr.format(Cidr.parseAddress("value", request.value().strip()));
        ZoneRecord[] created = new ZoneRecord[1];
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "private-zone-record:" + zoneId, request.clientToken(),
                name + "|A|" + value, clock::instant, h -> {
            Zone zone = zone(h, zoneId, true);
            if (h.createQuery("SELECT count(*) FROM private_zone_records WHERE zone_id = :z AND name = :n AND value = :v")
                    .bind("z", zoneId).bind("n", name).bind("v", value).mapTo(Long.class).one() > 0) {
                throw SrgException.conflict("PrivateZone.RecordExists", "name", name + " A " + value + " is already in zone " + zoneId);
            }
            // the store keeps microseconds: the answer shows the time a later read shows
            Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
            String newId = Ids.next("pzr", now.toEpochMilli());
            h.createUpdate("INSERT INTO private_zone_records (id, zone_id, name, type, value, created_at) VALUES (:id, :z, :n, 'A', :v, :at)")
                    .bind("id", newId).bind("z", zoneId).bind("n", name).bind("v", value).bind("at", now).execute();
            created[0] = new ZoneRecord(newId, name, fqdn(name, zone.name()), "A", value, now);
            return newId;
        });
        recordCommitted.accept(zoneId);
        // the create committed: its answer is the record as committed, even when the zone (and with it the record) was
        // deleted right after; only a repeated request (its client token) reads what stands now
        if (created[0] != null && created[0].id().equals(id)) {
            return created[0];
        }
        return jdbi.withHandle(h -> records(h, zoneId).stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> SrgException.notFound("PrivateZone.Record", id)));
    }

    /** Tests only (NetworkApiTest): told after a record's create committed, before its answer is made. */
    public static volatile java.util.function.Consumer<String> recordCommitted = zoneId -> { };

    public Zone get(Principal caller, String zoneId) {
        requireRead(caller);
        return jdbi.withHandle(h -> zone(h, zoneId, false));
    }

    public Page<Zone> list(Principal caller, PageRequest page) {
        requireRead(caller);
        return jdbi.withHandle(h -> {
            List<String> ids = h.createQuery("SELECT id FROM private_zones WHERE (:after IS NULL OR id > :after) ORDER BY id LIMIT :limit")
                    .bind("after", page.afterId()).bind("limit", page.limit()).mapTo(String.class).list();
            List<Zone> zones = new ArrayList<>();
            for (String id : ids) {
                zones.add(zone(h, id, false));
            }
            return page.page(zones, Zone::id);
        });
    }

    public void delete(Principal caller, String zoneId) {
        caller.requireAll("delete private zones", Policy.VpcFullAccess);
        jdbi.useTransaction(h -> {
            zone(h, zoneId, true);
            h.createUpdate("DELETE FROM private_zones WHERE id = :id").bind("id", zoneId).execute();
        });
    }

    public void deleteRecord(Principal caller, String zoneId, String recordId) {
        caller.requireAll("change private zones", Policy.VpcFullAccess);
        jdbi.useTransaction(h -> {
            zone(h, zoneId, true);
            if (h.createUpdate("DELETE FROM private_zone_records WHERE zone_id = :z AND id = :id")
                    .bind("z", zoneId).bind("id", recordId).execute() == 0) {
                throw SrgException.notFound("PrivateZoneRecord", recordId);
            }
        });
    }

    /**
     * SPEC NET-9: the A records a group's tasks resolve: those of every zone attached to one of its
     * bound VPCs. One name in zones of two of its VPCs (zone names are unique per VPC only): the
     * group's first binding that has it answers it alone — the binding order of NET-6, whose first
     * binding is the DataService path — and in one binding the most specific zone (the longest name);
     * never both, which the resolver would hand out in turn.
     */
    public static List<NetworkContext.DnsRecord> recordsOfGroup(Handle h, String groupId) {
        return h.createQuery("""
                SELECT DISTINCT name, zone, value FROM (
                    SELECT r.name, z.name AS zone, r.value,
                           rank() OVER (PARTITION BY CASE WHEN r.name = '@' THEN z.name ELSE r.name || '.' || z.name END
                                        ORDER BY n.data_service DESC, n.created_at, n.id, length(z.name) DESC, z.id) AS place
                      FROM resource_group_networks n
                      JOIN private_zone_vpcs zv ON zv.vpc_id = n.vpc_id
                      JOIN private_zones z ON z.id = zv.zone_id
                      JOIN private_zone_records r ON r.zone_id = z.id
                     WHERE n.resource_group_id = :group) candidates
                 WHERE place = 1
                 ORDER BY 2, 1, 3""")
                .bind("group", groupId)
                .map((rs, ctx) -> new NetworkContext.DnsRecord(fqdn(rs.getString("name"), rs.getString("zone")), "A", rs.getString("value")))
                .list();
    }

    private static Zone zone(Handle h, String id, boolean lock) {
        var row = h.createQuery("SELECT id, name, created_at FROM private_zones WHERE id = :id" + (lock ? " FOR UPDATE" : ""))
                .bind("id", id)
                .map((rs, ctx) -> new Object[] {rs.getString("id"), rs.getString("name"), rs.getTimestamp("created_at").toInstant()})
                .findOne().orElseThrow(() -> SrgException.notFound("PrivateZone", id));
        List<String> vpcs = h.createQuery("SELECT vpc_id FROM private_zone_vpcs WHERE zone_id = :id ORDER BY vpc_id")
                .bind("id", id).mapTo(String.class).list();
        return new Zone((String) row[0], (String) row[1], vpcs, records(h, id), (Instant) row[2], NOTE);
    }

    private static List<ZoneRecord> records(Handle h, String zoneId) {
        return h.createQuery("""
                SELECT r.id, r.name, z.name AS zone, r.type, r.value, r.created_at
                  FROM private_zone_records r JOIN private_zones z ON z.id = r.zone_id
                 WHERE r.zone_id = :z ORDER BY r.name, r.value""")
                .bind("z", zoneId)
                .map((rs, ctx) -> new ZoneRecord(rs.getString("id"), rs.getString("name"), fqdn(rs.getString("name"), rs.getString("zone")),
                        rs.getString("type"), rs.getString("value"), rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    static String fqdn(String name, String zone) {
        return name.equals("@") ? zone : name + "." + zone;
    }

    /** A DNS name: dot-separated labels of letters, digits and inner dashes; lower-cased. */
    static String dnsName(String field, String text) {
        if (text == null || text.isBlank()) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required");
        }
        String name = text.strip().toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.length() > 253 || !java.util.Arrays.stream(name.split("\\.", -1)).allMatch(l -> LABEL.matcher(l).matches())) {
            throw SrgException.invalid(field, "InvalidParameter.DnsName", field + " '" + text
                    + "' is not a DNS name (labels of letters, digits and inner dashes, separated by dots)");
        }
        return name;
    }

    private static void requireRead(Principal caller) {
        caller.requireAny("read private zones", Policy.VpcReadOnlyAccess, Policy.VpcFullAccess);
    }
}
