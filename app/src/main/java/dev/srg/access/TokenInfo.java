package dev.srg.access;

import java.time.Instant;

/**
 * A user's bearer token as the API lists it: never the token nor its hash. {@code revokedAt} is
 * set once the token is revoked (it then authenticates nothing). There is no last-used time: it
 * would cost a write on every authenticated request.
 */
public record TokenInfo(String id, Instant createdAt, Instant revokedAt) {}
