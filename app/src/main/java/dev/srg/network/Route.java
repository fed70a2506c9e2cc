package dev.srg.network;

import java.time.Instant;

/** A declared connection from a VPC to another network (NET-8): peering, VPN or leased line. */
public record Route(String id, String vpcId, Cidr destinationCidr, RouteVia via, Instant createdAt) {}
