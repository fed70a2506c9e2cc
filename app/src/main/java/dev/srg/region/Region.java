package dev.srg.region;

import java.util.List;

/** A region and its zones; a region can be listed but closed to purchases (NET-1). */
public record Region(String id, String name, boolean purchasable, List<Zone> zones) {
    public Region {
        zones = List.copyOf(zones);
    }

    public boolean hasZone(String zoneId) {
        return zones.stream().anyMatch(z -> z.id().equals(zoneId));
    }
}
