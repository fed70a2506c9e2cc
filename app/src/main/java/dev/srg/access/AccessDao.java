package dev.srg.access;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for users, their tokens (hashes only) and the service-linked role. Policies are stored comma-separated. */
final class AccessDao {
    private final Handle h;

    AccessDao(Handle h) {
        this.h = h;
    }

    /** A user who may sign in with a password: who, and the PBKDF2 hash (null when the user has none). */
    record Credentials(Principal principal, String passwordHash) {}

    /** Serializes changes that count users (the bootstrap, the last administrator). */
    void lockUsers() {
        h.execute("LOCK TABLE users IN EXCLUSIVE MODE");
    }

    long countUsers() {
        return h.createQuery("SELECT count(*) FROM users").mapTo(Long.class).one();
    }

    boolean nameTaken(String name) {
        return h.createQuery("SELECT count(*) FROM users WHERE name = :name").bind("name", name).mapTo(Long.class).one() > 0;
    }

    /**
     * False when the name is taken: also by a concurrent create that committed while this one was
     * between {@link #nameTaken}'s read and its INSERT (the INSERT waits for it on the unique index
     * and then inserts nothing, instead of failing with a unique violation, a 500).
     */
    boolean insertUser(String id, String name, Set<Policy> policies, String passwordHash, Instant now) {
        return h.createUpdate("""
                INSERT INTO users (id, name, policies, password_hash, created_at)
                VALUES (:id, :name, :policies, :hash, :now)
                ON CONFLICT (name) DO NOTHING""")
                .bind("id", id).bind("name", name).bind("policies", join(policies))
                .bind("hash", passwordHash).bind("now", now).execute() == 1;
    }

    void insertToken(String id, String userId, String tokenHash, Instant now) {
        h.createUpdate("INSERT INTO tokens (id, user_id, token_hash, created_at) VALUES (:id, :user, :hash, :now)")
                .bind("id", id).bind("user", userId).bind("hash", tokenHash).bind("now", now).execute();
    }

    private static final RowMapper<TokenInfo> TOKEN = (rs, ctx) -> new TokenInfo(rs.getString("id"),
            rs.getTimestamp("created_at").toInstant(),
            rs.getTimestamp("revoked_at") == null ? null : rs.getTimestamp("revoked_at").toInstant());

    /** A user's tokens, revoked ones too, oldest first (ids sort by creation time). */
    List<TokenInfo> listTokens(String userId, String afterId, int limit) {
        return h.createQuery("""
                SELECT id, created_at, revoked_at FROM tokens WHERE user_id = :user AND id > :after ORDER BY id LIMIT :limit""")
                .bind("user", userId).bind("after", afterId).bind("limit", limit).map(TOKEN).list();
    }

    record UserToken(String userId, TokenInfo token) {}

    /** The tokens of these users, per user the first {@code perUser} by id (oldest first), in one statement. */
    List<UserToken> tokensOfUsers(List<String> userIds, int perUser) {
        return h.createQuery("""
                SELECT user_id, id, created_at, revoked_at FROM (
                    SELECT user_id, id, created_at, revoked_at, row_number() OVER (PARTITION BY user_id ORDER BY id) AS n
                      FROM tokens WHERE user_id = ANY(:users)) t
                 WHERE n <= :limit ORDER BY user_id, id""")
                .bindArray("users", String.class, userIds).bind("limit", perUser)
                .map((rs, ctx) -> new UserToken(rs.getString("user_id"), TOKEN.map(rs, ctx))).list();
    }

    /** The token with this id if it is the user's. */
    Optional<TokenInfo> findToken(String userId, String tokenId) {
        return h.createQuery("SELECT id, created_at, revoked_at FROM tokens WHERE id = :id AND user_id = :user")
                .bind("id", tokenId).bind("user", userId).map(TOKEN).findOne();
    }

    void revokeToken(String tokenId, Instant now) {
        h.createUpdate("UPDATE tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("id", tokenId).bind("now", now).execute();
    }

    /**
     * How many live tokens administrators hold, leaving out the token {@code exceptTokenId} and every
     * token of the user {@code exceptUserId} (either may be null: nothing left out).
     */
    long countLiveAdministratorTokens(String exceptTokenId, String exceptUserId) {
        return h.createQuery("""
                SELECT u.policies FROM tokens t JOIN users u ON u.id = t.user_id
                WHERE t.revoked_at IS NULL AND t.id IS DISTINCT FROM :token AND u.id IS DISTINCT FROM :user""")
                .bind("token", exceptTokenId).bind("user", exceptUserId).mapTo(String.class).list().stream()
                .filter(p -> parsePolicies(p).contains(Policy.AdministratorAccess)).count();
    }

    /** The user behind a token that is not revoked. */
    Optional<Principal> principalByToken(String tokenHash) {
        return h.createQuery("""
                SELECT u.id, u.name, u.policies FROM tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = :hash AND t.revoked_at IS NULL""")
                .bind("hash", tokenHash)
                .map((rs, ctx) -> new Principal(rs.getString(1), rs.getString(2), parsePolicies(rs.getString(3))))
                .findOne();
    }

    Optional<Credentials> credentials(String name) {
        return h.createQuery("SELECT id, name, policies, password_hash FROM users WHERE name = :name")
                .bind("name", name)
                .map((rs, ctx) -> new Credentials(new Principal(rs.getString(1), rs.getString(2), parsePolicies(rs.getString(3))),
                        rs.getString(4)))
                .findOne();
    }

    Optional<UserInfo> findUser(String id) {
        return h.createQuery("SELECT id, name, policies, created_at FROM users WHERE id = :id")
                .bind("id", id).map(USER).findOne();
    }

    List<UserInfo> listUsers(String afterId, int limit) {
        return h.createQuery("SELECT id, name, policies, created_at FROM users WHERE id > :after ORDER BY id LIMIT :limit")
                .bind("after", afterId).bind("limit", limit).map(USER).list();
    }

    void setPolicies(String id, Set<Policy> policies) {
        h.createUpdate("UPDATE users SET policies = :p WHERE id = :id").bind("p", join(policies)).bind("id", id).execute();
    }

    /** Returns whether the user exists. */
    boolean setPasswordHash(String id, String hash) {
        return h.createUpdate("UPDATE users SET password_hash = :h WHERE id = :id").bind("h", hash).bind("id", id).execute() > 0;
    }

    /** Ends the user's console sessions that signed in with a password, but {@code keepIdHash} (may be null). */
    int endPasswordSessions(String userId, String keepIdHash) {
        return h.createUpdate("""
                DELETE FROM console_sessions WHERE user_id = :user AND token_hash IS NULL
                   AND id_hash IS DISTINCT FROM :keep""")
                .bind("user", userId).bind("keep", keepIdHash).execute();
    }

    long countAdministrators() {
        return h.createQuery("SELECT policies FROM users").mapTo(String.class).list().stream()
                .filter(p -> parsePolicies(p).contains(Policy.AdministratorAccess)).count();
    }

    /** Serializes the first purchases, which race to create the role. */
    void lockServiceLinkedRole() {
        h.execute("LOCK TABLE service_linked_role IN EXCLUSIVE MODE");
    }

    boolean serviceLinkedRoleExists() {
        return h.createQuery("SELECT count(*) FROM service_linked_role").mapTo(Long.class).one() > 0;
    }

    void insertServiceLinkedRole(String name, String createdBy, Instant now) {
        h.createUpdate("INSERT INTO service_linked_role (name, created_by, created_at) VALUES (:n, :by, :now)")
                .bind("n", name).bind("by", createdBy).bind("now", now).execute();
    }

    private static final RowMapper<UserInfo> USER = (rs, ctx) -> new UserInfo(rs.getString("id"), rs.getString("name"),
            List.copyOf(parsePolicies(rs.getString("policies"))), rs.getTimestamp("created_at").toInstant(), null);

    private static String join(Set<Policy> policies) {
        return policies.stream().map(Enum::name).collect(Collectors.joining(","));
    }

    private static Set<Policy> parsePolicies(String s) {
        Set<Policy> set = EnumSet.noneOf(Policy.class);
        if (s != null && !s.isBlank()) {
            for (String p : s.split(",")) {
                set.add(Policy.valueOf(p));
            }
        }
        return set;
    }
}
