package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AccessManager;
import dev.srg.access.ConsoleSessionStore;
import dev.srg.access.Principal;
import dev.srg.access.UserInfo;
import dev.srg.error.SrgException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Console sign-in sessions, kept in the database ({@link ConsoleSessionStore}): every server of a
 * cluster knows them, so a browser stays signed in when another server answers, and a restart
 * signs nobody out. Sessions are found by the SHA-256 of the cookie's value, and a token session
 * keeps only the token's hash, so nothing stored can be replayed as a cookie or a token. Each
 * request re-reads the user (policies may have changed; a token session re-checks its token, so
 * revoking it ends the session). The one-time notice after a change and a refused form's values
 * stay in this server's memory: they may contain a secret shown once, which is not to be stored.
 */
final class ConsoleSessions {
    static final Duration IDLE = Duration.ofHours(8);
    static final Duration ABSOLUTE = Duration.ofHours(24);
    static final Duration TOUCH_EVERY = Duration.ofMinutes(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One signed-in browser. {@code token} is set when the user signed in with a bearer token. */
    static final class Session {
        final String userId;
        final String tokenHash;
        final String csrf;
        final Instant created;
        volatile Instant lastSeen;
        volatile Flash flash;
        volatile FormState form;

        Session(String userId, String tokenHash, String csrf, Instant created, Instant lastSeen) {
            this.userId = userId;
            this.tokenHash = tokenHash;
            this.csrf = csrf;
            this.created = created;
            this.lastSeen = lastSeen;
        }
    }

    /** This server's copies (for the notice and the form state); the store decides whether a session exists. */
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final ConsoleSessionStore store;
    private final AccessManager access;
    private final Clock clock;

    /** @param clock the console's wall clock (see {@link Console}): sessions expire on it, not on a simulated server clock */
    ConsoleSessions(AccessManager access, Clock clock) {
        this.access = requireNonNull(access, "access is null");
        this.store = access.consoleSessions();
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** A new session (a new id at every sign-in, so a planted cookie is never promoted); returns the cookie value. */
    String create(Principal principal, String token) {
        sweep();
        String id = random();
        Instant now = now();
        Session s = new Session(principal.userId(), token == null ? null : dev.srg.store.IdempotencyKeys.sha256(token), random(), now, now);
        store.create(hash(id), new ConsoleSessionStore.Stored(s.userId, s.tokenHash, s.csrf, now, now));
        sessions.put(hash(id), s);
        return id;
    }

    Optional<Session> find(String cookie) {
        if (cookie == null || cookie.isEmpty() || cookie.length() > 100) {
            return Optional.empty();
        }
        String key = hash(cookie);
        Optional<ConsoleSessionStore.Stored> stored = store.find(key);
        if (stored.isEmpty()) {
            sessions.remove(key); // signed out on another server
            return Optional.empty();
        }
        ConsoleSessionStore.Stored st = stored.get();
        Instant now = now();
        if (now.isAfter(st.lastSeenAt().plus(IDLE)) || now.isAfter(st.createdAt().plus(ABSOLUTE))) {
            sessions.remove(key);
            store.delete(key);
            return Optional.empty();
        }
        Session s = sessions.computeIfAbsent(key, k -> new Session(st.userId(), st.tokenHash(), st.csrf(), st.createdAt(), st.lastSeenAt()));
        // a write per request would be a lot for a page view: the idle limit is hours, a minute's precision does
        if (now.isAfter(st.lastSeenAt().plus(TOUCH_EVERY))) {
            store.touch(key, now);
        }
        s.lastSeen = now;
        return Optional.of(s);
    }

    /** Who the session's user is now; empty when the user or the token is gone. */
    Optional<Principal> principal(Session s) {
        if (s.tokenHash != null) {
            return store.principalByTokenHash(s.tokenHash).filter(p -> p.userId().equals(s.userId));
        }
        try {
            UserInfo u = access.getUser(new Principal(s.userId, s.userId, EnumSet.noneOf(dev.srg.access.Policy.class)), s.userId);
            return Optional.of(new Principal(u.id(), u.name(), u.policies().isEmpty()
                    ? EnumSet.noneOf(dev.srg.access.Policy.class) : EnumSet.copyOf(u.policies())));
        } catch (SrgException e) {
            return Optional.empty();
        }
    }

    void invalidate(String cookie) {
        if (cookie != null) {
            sessions.remove(hash(cookie));
            store.delete(hash(cookie));
        }
    }

    int size() {
        return store.count();
    }

    private void sweep() {
        Instant now = now();
        sessions.values().removeIf(s -> now.isAfter(s.lastSeen.plus(IDLE)) || now.isAfter(s.created.plus(ABSOLUTE)));
        store.deleteExpired(now.minus(IDLE), now.minus(ABSOLUTE));
    }

    private Instant now() {
        return clock.instant();
    }

    static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String hash(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean same(String a, String b) {
        return a != null && b != null
                && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
