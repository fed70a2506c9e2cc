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
 * that id back; a repeat with another body is 409. The claim is the transaction's first statement
 * and comes before the create: two concurrent first requests serialise on the key's primary key,
 * so the second waits for the first's commit and answers with its id, without running the create
 * (whose own checks, a name already taken or a CIDR overlapping, would otherwise see the first's
 * row and refuse, or its unique index answer a 500).
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
     * Runs {@code create} (which returns the new resource's id) once per client token: a repeat
     * returns the first id. Without a token it simply creates.
     */
    public static String createOnce(org.jdbi.v3.core.Jdbi jdbi, String actorId, String scope, String clientToken,
                                    String request, java.util.function.Supplier<Instant> now,
                                    java.util.function.Function<Handle, String> create) {
        if (clientToken != null && (clientToken.isEmpty() || clientToken.length() > 64)) {
            throw SrgException.invalid("clientToken", "InvalidParameter.ClientToken",
                    "clientToken must be 1 to 64 characters");
        }
        for (int attempt = 0; ; attempt++) {
            try {
                return jdbi.inTransaction(h -> {
                    SubmitTrace.mark(SubmitTrace.Phase.TX_BEGUN);
                    if (clientToken != null && !claim(h, actorId, scope, clientToken, request, now.get())) {
                        // a request with this token committed first (this INSERT waited for it)
                        return lookup(h, actorId, scope, clientToken, request).orElseThrow(LostRace::new);
                    }
                    String id = create.apply(h);
                    if (clientToken != null) {
                        h.createUpdate("""
                                UPDATE idempotency_keys SET resource_id = :id
                                WHERE actor_id = :actor AND scope = :scope AND client_token = :token""")
                                .bind("id", id).bind("actor", actorId).bind("scope", scope).bind("token", clientToken)
                                .execute();
                    }
                    SubmitTrace.mark(SubmitTrace.Phase.TX_STATEMENTS);
                    return id;
                });
            } catch (LostRace e) {
                // the claim was there and is gone again (nothing deletes one today): try once more
                if (attempt > 0) {
                    throw new IllegalStateException("client token race did not settle", e);
                }
            }
        }
    }

    /**
     * Claims the token for this transaction, before anything is created: true when this request is
     * the first with it. A concurrent request's uncommitted claim makes the INSERT wait for that
     * transaction: false once it committed (the caller answers with its id), true if it rolled back.
     * The same number of statements as a lookup first and a record after (an UPDATE of the id
     * replaces the SELECT), so the submit path with a token pays nothing more (issue 17).
     */
    private static boolean claim(Handle h, String actorId, String scope, String clientToken, String request, Instant now) {
        return h.createUpdate("""
                INSERT INTO idempotency_keys (actor_id, scope, client_token, request_hash, resource_id, created_at)
                VALUES (:actor, :scope, :token, :hash, '', :now)
                ON CONFLICT DO NOTHING""")
                .bind("actor", actorId).bind("scope", scope).bind("token", clientToken)
                .bind("hash", sha256(request)).bind("now", now)
                .execute() == 1;
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
