package dev.srg.group;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provisions new groups in the background (CREATING → RUNNING). Provisioning a local group
 * prepares nothing that can fail yet; the delay models the time a real provisioning takes and is
 * configurable. Groups left CREATING by a crash are provisioned at start.
 */
public final class ResourceGroupProvisioner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceGroupProvisioner.class);
    private final ResourceGroupManager groups;
    private final Duration delay;
    private final ScheduledExecutorService executor =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-provisioner").daemon().factory());

    public ResourceGroupProvisioner(ResourceGroupManager groups, Duration delay) {
        this.groups = requireNonNull(groups, "groups is null");
        this.delay = requireNonNull(delay, "delay is null");
        groups.setProvisioner(this);
    }

    public void start() {
        groups.creating().forEach(this::schedule);
    }

    void schedule(String groupId) {
        executor.schedule(() -> provision(groupId), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void provision(String groupId) {
        try {
            if (groups.markProvisioned(groupId)) {
                LOG.info("resource group {} provisioned", groupId);
            }
        } catch (RuntimeException e) {
            LOG.warn("provisioning {} failed, retrying: {}", groupId, e.toString());
            executor.schedule(() -> provision(groupId), 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
