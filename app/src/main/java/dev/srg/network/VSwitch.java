package dev.srg.network;

import java.time.Instant;

public record VSwitch(String id, String vpcId, String name, String zoneId, Cidr cidr, Instant createdAt) {}
