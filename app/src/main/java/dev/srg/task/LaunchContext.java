package dev.srg.task;

import dev.srg.execution.NetworkContext;

/** What a launch of a group's instance runs in, beyond the instance itself. */
@FunctionalInterface
public interface LaunchContext {
    /** The group's networks (bound VPCs, NAT, routes, private-zone records). */
    NetworkContext network(String groupId);
}
