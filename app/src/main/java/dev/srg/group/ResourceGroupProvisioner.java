package dev.srg.group;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provisions new groups in the background (CREATING → RUNNING), retrying each second while it
 * fails. Provisioning a local group prepares nothing that can fail yet; the delay models the time
 * a real provisioning takes and is configurable. Groups left CREATING by a crash are provisioned
 * at start ({@link ResourceGroupManager#resumeProvisioning}).
 */
public final class ResourceGroupProvisioner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceGroupProvisioner.class);
    private final Duration delay;
    private final ScheduledExecutorService executor =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("srg-provisioner").daemon().factory());

    public ResourceGroupProvisioner(Duration delay) {
        this.delay = requireNonNull(delay, "delay is null");
    }

    /** After the delay, {@code provision} moves the group to RUNNING (true) or finds it no longer CREATING (false). */
    void schedule(String groupId, Predicate<String> provision) {
        executor.schedule(() -> provision(groupId, provision), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void provision(String groupId, Predicate<String> provision) {
        try {
            if (provision.test(groupId)) {
                LOG.info("resource group {} provisioned", groupId);
            }
        } catch (RuntimeException e) {
            LOG.warn("provisioning {} failed, retrying: {}", groupId, e.toString());
            executor.schedule(() -> provision(groupId, provision), 1, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
