package dev.srg.network;

/** An internet NAT gateway with its elastic IP: the only way tasks reach the internet (NET-7). */
public record NatGateway(String eip) {}
