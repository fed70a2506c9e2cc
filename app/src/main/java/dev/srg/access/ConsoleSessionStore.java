package dev.srg.access;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Where the console's sign-in sessions are kept: in the database, so that every server of a
 * cluster knows them (SPEC HA-1) and a restart signs nobody out. Keyed by the SHA-256 of the
 * cookie's value; a session that signed in with a bearer token keeps the token's hash only, and
 * ends when the token is revoked.
 */
public final class ConsoleSessionStore {
    /** One stored session. {@code tokenHash} is set when the user signed in with a bearer token. */
    public record Stored(String userId, String tokenHash, String csrf, Instant createdAt, Instant lastSeenAt) {}

    private final Jdbi jdbi;

    ConsoleSessionStore(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    public void create(String idHash, Stored s) {
        jdbi.useHandle(h -> h.createUpdate("""
                INSERT INTO console_sessions (id_hash, user_id, token_hash, csrf, created_at, last_seen_at)
                VALUES (:id, :user, :token, :csrf, :created, :seen)""")
                .bind("id", idHash).bind("user", s.userId()).bind("token", s.tokenHash()).bind("csrf", s.csrf())
                .bind("created", s.createdAt()).bind("seen", s.lastSeenAt()).execute());
    }

    public Optional<Stored> find(String idHash) {
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT user_id, token_hash, csrf, created_at, last_seen_at FROM console_sessions WHERE id_hash = :id""")
                .bind("id", idHash)
                .map((rs, ctx) -> new Stored(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant()))
                .findOne());
    }

    public void touch(String idHash, Instant at) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE console_sessions SET last_seen_at = :at WHERE id_hash = :id AND last_seen_at < :at")
                .bind("id", idHash).bind("at", at).execute());
    }

    public void delete(String idHash) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM console_sessions WHERE id_hash = :id").bind("id", idHash).execute());
    }

    /** Forgets the sessions idle since {@code idleBefore} or created before {@code createdBefore}. */
    public void deleteExpired(Instant idleBefore, Instant createdBefore) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM console_sessions WHERE last_seen_at < :idle OR created_at < :created")
                .bind("idle", idleBefore).bind("created", createdBefore).execute());
    }

    /** Who holds the (unrevoked) token with this hash. */
    public Optional<Principal> principalByTokenHash(String tokenHash) {
        return jdbi.withHandle(h -> new AccessDao(h).principalByToken(tokenHash));
    }

    public int count() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM console_sessions").mapTo(Integer.class).one());
    }
}
