package dev.srg.task;

import static java.util.Objects.requireNonNull;

import dev.srg.group.GroupWorkload;
import java.time.Clock;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A group's tasks as the lifecycle sees them: what runs, what it uses, and cancelling the queue on release. */
public final class InstanceWorkload implements GroupWorkload {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceWorkload.class);
    private final Jdbi jdbi;
    private final Clock clock;
    private final InstanceDispatcher dispatcher;

    public InstanceWorkload(Jdbi jdbi, Clock clock, InstanceDispatcher dispatcher) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.dispatcher = requireNonNull(dispatcher, "dispatcher is null");
    }

    @Override
    public int running(String groupId) {
        return dispatcher.running(groupId);
    }

    @Override
    public long usedMilliCu(String groupId) {
        return dispatcher.snapshot(groupId).usedMilliCu();
    }

    @Override
    public int cancelQueued(String groupId, String why) {
        int cancelled = 0;
        String after = "";
        while (true) {
            String from = after;
            List<InstanceDao.Row> queued = jdbi.withHandle(h -> new InstanceDao(h, clock)
                    .list(groupId, InstanceStatus.QUEUED, null, null, from, 500));
            for (InstanceDao.Row row : queued) {
                if (row.info().status() == InstanceStatus.QUEUED && dispatcher.cancel(row.id())) {
                    cancelled++;
                }
                after = row.id();
            }
            if (queued.size() < 500) {
                break;
            }
        }
        if (cancelled > 0) {
            LOG.info("cancelled {} queued instance(s) of {}: {}", cancelled, groupId, why);
        }
        return cancelled;
    }
}
