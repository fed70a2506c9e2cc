package dev.srg.store;

import dev.srg.error.SrgException;
import dev.srg.trace.SubmitTrace;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Idempotent creates (API: {@code clientToken}). Used inside the creating transaction: the first
 * request with a token claims it and records the id it creates; a repeat with the same body gets
 * that id back; a repeat with another body is 409. Two concurrent first requests serialise on the
 * primary key, so only one creates.
 */
public final class IdempotencyKeys {
    private IdempotencyKeys() {}

    /** Returns the id created earlier for this token, or empty when the caller must create it now. */
    public static Optional<String> lookup(Handle h, String actorId, String scope, String clientToken, String request) {
        if (clientToken == null) {
            return Optional.empty();
        }
        String hash = sha256(request);
        var existing = h.createQuery("""
                SELECT request_hash, resource_id FROM idempotency_keys
                WHERE actor_id = :actor AND scope = :scope AND client_token = :token""")
                .bind("actor", actorId).bind("scope", scope).bind("token", clientToken)
                .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)})
                .findOne();
        if (existing.isPresent()) {
            if (!existing.get()[0].equals(hash)) {
                throw SrgException.conflict("IdempotentParameterMismatch", "clientToken",
                        "clientToken '" + clientToken + "' was used before with a different request");
            }
            return Optional.of(existing.get()[1]);
        }
        return Optional.empty();
    }

    /**
     * Records the token for the id just created. Returns false when a concurrent request with the
     * same token won: the caller must roll back and answer with {@link #lookup} instead.
     */
    public static boolean record(Handle h, String actorId, String scope, String clientToken, String request,
                                 String resourceId, Instant now) {
        if (clientToken == null) {
            return true;
        }
        if (clientToken.isEmpty() || clientToken.length() > 64) {
            throw SrgException.invalid("clientToken", "InvalidParameter.ClientToken",
                    "clientToken must be 1 to 64 characters");
        }
        int rows = h.createUpdate("""
                INSERT INTO idempotency_keys (actor_id, scope, client_token, request_hash, resource_id, created_at)
                VALUES (:actor, :scope, :token, :hash, :id, :now)
                ON CONFLICT DO NOTHING""")
                .bind("actor", actorId).bind("scope", scope).bind("token", clientToken)
                .bind("hash", sha256(request)).bind("id", resourceId).bind("now", now)
                .execute();
        return rows == 1;
    }

    /**
     * Runs {@code create} (which returns the new resource's id) once per client token: a repeat
     * returns the first id. Without a token it simply creates.
     */
    public static String createOnce(org.jdbi.v3.core.Jdbi jdbi, String actorId, String scope, String clientToken,
                                    String request, java.util.function.Supplier<Instant> now,
                                    java.util.function.Function<Handle, String> create) {
        for (int attempt = 0; ; attempt++) {
            try {
                return jdbi.inTransaction(h -> {
                    SubmitTrace.mark(SubmitTrace.Phase.TX_BEGUN);
                    Optional<String> earlier = lookup(h, actorId, scope, clientToken, request);
                    if (earlier.isPresent()) {
                        return earlier.get();
                    }
                    String id = create.apply(h);
                    if (!record(h, actorId, scope, clientToken, request, id, now.get())) {
                        throw new LostRace();
                    }
                    SubmitTrace.mark(SubmitTrace.Phase.TX_STATEMENTS);
                    return id;
                });
            } catch (LostRace e) {
                if (attempt > 0) {
                    throw new IllegalStateException("client token race did not settle", e);
                }
            }
        }
    }

    private static final class LostRace extends RuntimeException {
        LostRace() {
            super(null, null, false, false);
        }
    }

    public static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
