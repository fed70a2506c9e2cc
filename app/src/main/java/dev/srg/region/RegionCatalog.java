package dev.srg.region;

import dev.srg.error.SrgException;
import dev.srg.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;

/**
 * The regions and zones of this installation, from a JSON file
 * ({@code [{"id", "name", "purchasable", "zones": [{"id", "name"}], "backend"}]}, {@code backend}
 * optional: the execution backend of the region, {@code local} by default) or the default catalog:
 * a purchasable {@code local} region with two zones and a {@code th-bangkok} region that is
 * listed but closed to purchases (as the guide's Bangkok region is).
 */
public final class RegionCatalog {
    private final List<Region> regions;

    public RegionCatalog(List<Region> regions) {
        this.regions = List.copyOf(regions);
    }

    public static RegionCatalog defaults() {
        return new RegionCatalog(List.of(
                new Region("local", "Local", true, List.of(new Zone("local-a", "Local Zone A"), new Zone("local-b", "Local Zone B"))),
                new Region("th-bangkok", "Thailand (Bangkok)", false, List.of(new Zone("th-bangkok-a", "Bangkok Zone A")))));
    }

    /** Loads a regions file; every problem in it is reported at once. */
    public static RegionCatalog load(Path file) throws IOException {
        List<Region> regions;
        try {
            regions = Json.MAPPER.readValue(Files.readString(file), new TypeReference<List<Region>>() {});
        } catch (JacksonException e) {
            throw new IOException("regions file " + file + " is not valid: " + e.getOriginalMessage());
        }
        List<String> problems = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> zoneIds = new HashSet<>();
        if (regions == null || regions.isEmpty()) {
            problems.add("it lists no region");
        } else {
            for (Region r : regions) {
                if (r.id() == null || !r.id().matches("[a-z0-9-]{2,40}")) {
                    problems.add("region id '" + r.id() + "' must be 2 to 40 lowercase letters, digits or '-'");
                } else if (!ids.add(r.id())) {
                    problems.add("region id '" + r.id() + "' appears twice");
                }
                if (!r.backend().matches("[a-z][a-z0-9-]{0,39}")) {
                    problems.add("region '" + r.id() + "' names backend '" + r.backend()
                            + "': a backend name is lowercase letters, digits or '-'");
                }
                if (r.zones().isEmpty()) {
                    problems.add("region '" + r.id() + "' has no zone");
                }
                for (Zone z : r.zones()) {
                    if (z.id() == null || !zoneIds.add(z.id())) {
                        problems.add("zone id '" + z.id() + "' of region '" + r.id() + "' is missing or not unique");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException("regions file " + file + ": " + String.join("; ", problems));
        }
        return new RegionCatalog(regions);
    }

    public List<Region> list() {
        return regions;
    }

    /** The backend a region's instances run on; {@code local} for a region not in the catalog. */
    public String backendOf(String regionId) {
        return find(regionId).map(Region::backend).orElse(Region.DEFAULT_BACKEND);
    }

    public Optional<Region> find(String id) {
        return regions.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    /** The region named by a request field, or a 400 naming that field. */
    public Region require(String field, String id) {
        if (id == null) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required");
        }
        return find(id).orElseThrow(() -> SrgException.invalid(field, "InvalidParameter.Region",
                "region '" + id + "' does not exist; regions: " + regions.stream().map(Region::id).toList()));
    }
}
