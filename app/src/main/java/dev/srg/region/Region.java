package dev.srg.region;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * A region and its zones; a region can be listed but closed to purchases (NET-1). {@code backend}
 * names the execution backend its instances run on ({@code local} unless the regions file says
 * otherwise). A region's {@code "kubernetes"} object (its cluster) is read by
 * {@code dev.srg.execution.kubernetes.KubernetesRegions}, and never shown.
 */
@JsonIgnoreProperties({"kubernetes"})
public record Region(String id, String name, boolean purchasable, List<Zone> zones, String backend) {
    public static final String DEFAULT_BACKEND = "local";

    public Region {
        zones = List.copyOf(zones);
        backend = backend == null ? DEFAULT_BACKEND : backend;
    }

    public Region(String id, String name, boolean purchasable, List<Zone> zones) {
        this(id, name, purchasable, zones, DEFAULT_BACKEND);
    }

    public boolean hasZone(String zoneId) {
        return zones.stream().anyMatch(z -> z.id().equals(zoneId));
    }
}
