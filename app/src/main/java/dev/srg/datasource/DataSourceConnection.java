package dev.srg.datasource;

import static java.util.Objects.requireNonNull;

/**
 * A data source with its password in clear: only for the launch of a sync, which writes it to a
 * file that only the task's uid can read. Its {@code toString} leaves the password out, so that a
 * log line can never carry it.
 */
public record DataSourceConnection(String id, String name, DataSourceType type, String host, Integer port, String database,
                                   String user, String password, String path) {
    public DataSourceConnection {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
    }

    @Override
    public String toString() {
        return "DataSourceConnection[" + id + " " + name + " " + type + " " + host + ":" + port + "/" + database
                + " user=" + user + " path=" + path + "]";
    }
}
