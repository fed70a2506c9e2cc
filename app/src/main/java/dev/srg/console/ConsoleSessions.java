package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AccessManager;
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
 * Console sign-in sessions, kept in memory: a restart signs everyone out, which a console can
 * afford, and no table or migration is needed. Sessions are found by the SHA-256 of the cookie's
 * value, so what is held here cannot be replayed as a cookie. Each request re-reads the user
 * (policies may have changed; a token session re-checks its token, so revoking it ends the session).
 */
final class ConsoleSessions {
    static final Duration IDLE = Duration.ofHours(8);
    static final Duration ABSOLUTE = Duration.ofHours(24);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One signed-in browser. {@code token} is set when the user signed in with a bearer token. */
    static final class Session {
        final String userId;
        final String token;
        final String csrf;
        final Instant created;
        volatile Instant lastSeen;
        volatile Flash flash;
        volatile FormState form;

        Session(String userId, String token, Instant now) {
            this.userId = userId;
            this.token = token;
            this.csrf = random();
            this.created = now;
            this.lastSeen = now;
        }
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AccessManager access;
    private final Clock clock;

    /** @param clock the console's wall clock (see {@link Console}): sessions expire on it, not on a simulated server clock */
    ConsoleSessions(AccessManager access, Clock clock) {
        this.access = requireNonNull(access, "access is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** A new session (a new id at every sign-in, so a planted cookie is never promoted); returns the cookie value. */
    String create(Principal principal, String token) {
        sweep();
        String id = random();
        sessions.put(hash(id), new Session(principal.userId(), token, now()));
        return id;
    }

    Optional<Session> find(String cookie) {
        if (cookie == null || cookie.isEmpty() || cookie.length() > 100) {
            return Optional.empty();
        }
        String key = hash(cookie);
        Session s = sessions.get(key);
        if (s == null) {
            return Optional.empty();
        }
        Instant now = now();
        if (now.isAfter(s.lastSeen.plus(IDLE)) || now.isAfter(s.created.plus(ABSOLUTE))) {
            sessions.remove(key);
            return Optional.empty();
        }
        s.lastSeen = now;
        return Optional.of(s);
    }

    /** Who the session's user is now; empty when the user or the token is gone. */
    Optional<Principal> principal(Session s) {
        if (s.token != null) {
            return access.authenticate(s.token).filter(p -> p.userId().equals(s.userId));
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
        }
    }

    int size() {
        return sessions.size();
    }

    private void sweep() {
        Instant now = now();
        sessions.values().removeIf(s -> now.isAfter(s.lastSeen.plus(IDLE)) || now.isAfter(s.created.plus(ABSOLUTE)));
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
