package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.group.GroupActivitySource;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
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
        if (groupIds.isEmpty()) {
            return new HashMap<>();
        }
        // the DAO stamps "now" from a clock; the caller's now is the one to report
        return jdbi.withHandle(h -> new InstanceDao(h, Clock.fixed(now, java.time.ZoneOffset.UTC)).lastActivity(groupIds));
    }
}
