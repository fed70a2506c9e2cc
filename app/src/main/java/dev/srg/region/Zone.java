package dev.srg.region;

public record Zone(String id, String name) {}
