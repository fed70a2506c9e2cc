package dev.srg.group;

import java.time.Instant;

/**
 * A VPC bound to a group (NET-5). {@code dataService} marks a subscription group's first binding,
 * the one DataService APIs use, which can never be removed (NET-6).
 */
public record GroupNetwork(String id, String vpcId, String vswitchId, boolean dataService, Instant createdAt) {}
