package dev.srg.network;

/** How a route reaches its destination network. */
public enum RouteVia { VPC_PEERING, VPN_GATEWAY, EXPRESS_CONNECT, CEN }
