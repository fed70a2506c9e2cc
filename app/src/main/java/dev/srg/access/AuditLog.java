package dev.srg.access;

import static java.util.Objects.requireNonNull;

import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Clock;
import java.time.Instant;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** The audit log: every change (and every refused attempt to change) with actor, time and result. */
public final class AuditLog {
    private final Jdbi jdbi;
    private final Clock clock;

    public AuditLog(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public void record(String actor, String action, String resourceId, String result, String detail) {
        jdbi.useHandle(h -> record(h, clock.instant(), actor, action, resourceId, result, detail));
    }

    /** Records inside a caller's transaction, so the entry commits with the change. */
    public static void record(Handle h, Instant time, String actor, String action, String resourceId, String result,
                              String detail) {
        h.createUpdate("""
                INSERT INTO audit_events (time, actor, action, resource_id, result, detail)
                VALUES (:time, :actor, :action, :resourceId, :result, :detail)""")
                .bind("time", time).bind("actor", actor).bind("action", action)
                .bind("resourceId", resourceId).bind("result", result)
                .bind("detail", detail == null || detail.length() <= 2000 ? detail : detail.substring(0, 2000))
                .execute();
    }

    public Page<AuditEvent> list(Principal caller, Instant from, Instant to, String actor, PageRequest page) {
        caller.requireAll("read the audit log", Policy.AdministratorAccess);
        long after;
        try {
            after = page.afterId().isEmpty() ? 0 : Long.parseLong(page.afterId());
        } catch (NumberFormatException e) {
            throw SrgException.invalid("pageToken", "InvalidParameter.PageToken", "pageToken is not a token this server issued");
        }
        return jdbi.withHandle(h -> page.page(h.createQuery("""
                SELECT id, time, actor, action, resource_id, result, detail FROM audit_events
                WHERE id > :after
                  AND (CAST(:from AS timestamptz) IS NULL OR time >= :from)
                  AND (CAST(:to AS timestamptz) IS NULL OR time < :to)
                  AND (CAST(:actor AS text) IS NULL OR actor = :actor)
                ORDER BY id LIMIT :limit""")
                .bind("after", after).bind("from", from).bind("to", to).bind("actor", actor)
                .bind("limit", page.limit())
                .map((rs, ctx) -> new AuditEvent(Long.toString(rs.getLong("id")),
                        rs.getTimestamp("time").toInstant(), rs.getString("actor"), rs.getString("action"),
                        rs.getString("resource_id"), rs.getString("result"), rs.getString("detail")))
                .list(), AuditEvent::id));
    }
}
