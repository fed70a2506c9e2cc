package dev.srg.access;

import static java.util.Objects.requireNonNull;

import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.function.BiFunction;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * The audit log (ACC-5): every change, and every refused attempt to change, with actor, time and
 * result. The one way entries are written, from the API's edge, the console and the managers
 * alike; the vocabulary is {@link AuditAction} and {@link AuditResult}.
 */
public final class AuditLog {
    private final Jdbi jdbi;
    private final Clock clock;

    public AuditLog(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Records on its own, now (an HTTP request's outcome, a sign-in). */
    public void record(AuditEntry entry) {
        requireNonNull(entry, "entry is null");
        Instant now = clock.instant();
        jdbi.useHandle(h -> new AuditDao(h).insert(now, entry));
    }

    /** Records inside a caller's transaction, so the entry commits (or rolls back) with the change. */
    public static void record(Handle h, Instant time, AuditEntry entry) {
        new AuditDao(h).insert(requireNonNull(time, "time is null"), requireNonNull(entry, "entry is null"));
    }

    /**
     * The same entry written by another statement of the caller's, in its round trip: {@code sql}
     * with the entry's INSERT as a {@code WITH} query before it (PostgreSQL runs a data-modifying
     * {@code WITH} once whether or not the rest reads it), {@code sql}'s parameters bound by the
     * caller; the entry's are {@code time, actor, action, actionName, resourceId, result, detail}.
     */
    public static <S extends SqlStatement<S>> S recordWith(Handle h, Instant time, AuditEntry entry, String sql,
                                                         BiFunction<Handle, String, S> statement) {
        return AuditDao.bind(statement.apply(h, "WITH audited AS (" + AuditDao.INSERT + ") " + sql),
                requireNonNull(time, "time is null"), requireNonNull(entry, "entry is null"));
    }

    /**
     * The same, for callers that still name the action by its text (the resource-group lifecycle).
     *
     * @throws IllegalArgumentException when the action or the result is not in the vocabulary
     */
    public static void record(Handle h, Instant time, String actor, String action, String resourceId, String result,
                              String detail) {
        record(h, time, new AuditEntry(actor, AuditAction.Named.of(action), resourceId, AuditResult.parse(result), detail));
    }

    public Page<AuditEvent> list(Principal caller, Instant from, Instant to, String actor, PageRequest page) {
        caller.requireAll("read the audit log", Policy.AdministratorAccess);
        long after;
        try {
            after = page.afterId().isEmpty() ? 0 : Long.parseLong(page.afterId());
        } catch (NumberFormatException e) {
            throw SrgException.invalid("pageToken", "InvalidParameter.PageToken", "pageToken is not a token this server issued");
        }
        return jdbi.withHandle(h -> page.page(new AuditDao(h).list(after, from, to, actor, page.limit()), AuditEvent::id));
    }
}
