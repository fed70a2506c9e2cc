package dev.srg.datasource;

import java.time.Instant;

/**
 * A data source as the API shows it: never its password, only whether one is set (SPEC DI-1).
 * {@code host}, {@code port}, {@code database}, {@code user} for a database; {@code path} (a
 * directory of CSV files on the group's machines) for CSV.
 */
public record DataSourceInfo(String id, String workspaceId, String name, DataSourceType type, String host, Integer port,
                             String database, String user, boolean passwordSet, String path, String createdBy,
                             Instant createdAt, Instant updatedAt) {}
