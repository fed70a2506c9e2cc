package dev.srg.dataservice;

import static java.util.Objects.requireNonNull;

import dev.srg.datasource.DataSourceConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A data source as the worker connects to it: {@code key} is its id and a digest of what it is
 * connected with (a changed password or host is a new key, so the worker opens new connections and
 * closes the old ones); {@code details} travel once per worker connection (WorkerProtocol).
 */
record WorkerSource(String key, Map<String, Object> details) {
    WorkerSource {
        requireNonNull(key, "key is null");
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    static WorkerSource of(DataSourceConnection c) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("type", c.type().name());
        d.put("host", c.host());
        d.put("port", c.port());
        d.put("database", c.database());
        d.put("user", c.user());
        d.put("password", c.password());
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            d.values().forEach(v -> {
                digest.update(String.valueOf(v).getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            });
            return new WorkerSource(c.id() + "@" + HexFormat.of().formatHex(digest.digest(), 0, 12), d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The data source's id: the part of the key that stays when its credentials change. */
    static String idOf(String key) {
        int at = key.lastIndexOf('@');
        return at < 0 ? key : key.substring(0, at);
    }

    @Override
    public String toString() {
        return "WorkerSource[" + key + "]";
    }
}
