package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.group.GroupActivitySource;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * SPEC RG-7: task instances of every usage type keep a group awake — scheduling and compute tasks,
 * data integration, data analysis queries, connectivity tests, metadata collection, development
 * environments, data services and model services all run as instances of their usage type. An
 * instance that is starting or running is activity now; one that ended was active until it ended.
 * Queued instances are not activity (nothing runs).
 */
public final class InstanceActivity implements GroupActivitySource {
    private final Jdbi jdbi;

    public InstanceActivity(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    @Override
    public String name() {
        return "task instances";
    }

    @Override
    public Map<String, Instant> lastActivity(Collection<String> groupIds, Instant now) {
        Map<String, Instant> last = new HashMap<>();
        if (groupIds.isEmpty()) {
            return last;
        }
        jdbi.useHandle(h -> h.createQuery("""
                SELECT resource_group_id, bool_or(status IN ('STARTING', 'RUNNING')) AS active,
                       max(coalesce(finished_at, started_at)) AS last_end
                  FROM instances
                 WHERE resource_group_id = ANY(:ids) AND started_at IS NOT NULL
                 GROUP BY resource_group_id""")
                .bindArray("ids", String.class, List.copyOf(groupIds))
                .map((rs, ctx) -> last.put(rs.getString(1), rs.getBoolean(2) ? now : rs.getTimestamp(3).toInstant()))
                .list());
        return last;
    }
}
