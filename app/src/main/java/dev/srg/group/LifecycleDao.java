package dev.srg.group;

import dev.srg.access.AuditLog;
import dev.srg.quantity.ComputeUnits;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** SQL of lifecycle transitions. Every status change is a compare-and-set on the current status. */
final class LifecycleDao {
    private final Handle h;

    LifecycleDao(Handle h) {
        this.h = h;
    }

    /** The group as the deciders see it, locked for the rest of the transaction when {@code forUpdate}. */
    Optional<GroupState> state(String id, boolean forUpdate) {
        return h.createQuery("""
                SELECT id, status, billing_mode, spec_milli_cu, max_milli_cu, target_spec_milli_cu, transition_ends_at,
                       cycle_unit, cycle_count, auto_renew, expires_at, coalesce(active_since, created_at) AS since, payg_until
                  FROM resource_groups WHERE id = :id""" + (forUpdate ? " FOR UPDATE" : ""))
                .bind("id", id).map((rs, ctx) -> state(rs)).findOne();
    }

    private static GroupState state(ResultSet rs) throws SQLException {
        String unit = rs.getString("cycle_unit");
        return new GroupState(rs.getString("id"), GroupStatus.valueOf(rs.getString("status")),
                BillingMode.valueOf(rs.getString("billing_mode")), cu(rs, "spec_milli_cu"), cu(rs, "max_milli_cu"),
                cu(rs, "target_spec_milli_cu"), instant(rs.getTimestamp("transition_ends_at")),
                unit == null ? null : new BillingCycle(BillingCycle.Unit.valueOf(unit), rs.getInt("cycle_count")),
                rs.getBoolean("auto_renew"), instant(rs.getTimestamp("expires_at")), instant(rs.getTimestamp("since")),
                instant(rs.getTimestamp("payg_until")));
    }

    private static ComputeUnits cu(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : ComputeUnits.ofMilli(v);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /** SPEC BEY-6: whether a group resumes by itself when a task is submitted while it is FROZEN. */
    boolean resumeOnDemand(String id) {
        return h.createQuery("SELECT resume_on_demand FROM resource_groups WHERE id = :id").bind("id", id)
                .mapTo(Boolean.class).findOne().orElse(false);
    }

    void setResumeOnDemand(String id, boolean on, Instant now) {
        h.createUpdate("UPDATE resource_groups SET resume_on_demand = :on, updated_at = :now WHERE id = :id")
                .bind("on", on).bind("now", now).bind("id", id).execute();
    }

    /**
     * Applies a decision in the caller's transaction: each change as a compare-and-set, then its
     * orders and its audit entries; returns the ids of the orders. Empty when a change found the
     * group in another status than the decision expected: the caller must then roll back.
     */
    Optional<List<String>> apply(String id, LifecycleDecision d, PurchaseLedger ledger, Instant now) {
        for (LifecycleChange c : d.changes()) {
            if (!apply(id, c, now)) {
                return Optional.empty();
            }
        }
        List<String> orders = new ArrayList<>();
        for (Purchase p : d.purchases()) {
            orders.add(ledger.record(h, p));
        }
        for (LifecycleDecision.Audit a : d.audit()) {
            AuditLog.record(h, a.at(), a.actor(), a.action(), id, "OK", a.detail());
        }
        return Optional.of(orders);
    }

    private boolean apply(String id, LifecycleChange change, Instant now) {
        return switch (change) {
            case LifecycleChange.StartScaling c -> startScaling(id, c.target().milli(), c.endsAt(), now);
            case LifecycleChange.CompleteScaling c -> completeScaling(id, now);
            case LifecycleChange.StartConverting c -> startConverting(id, c.target().milli(), c.cycle(), c.autoRenew(), c.expiresAt(),
                    c.endsAt(), now);
            case LifecycleChange.CompleteConverting c -> completeConverting(id, now);
            case LifecycleChange.SetExpiry c -> {
                setExpiry(id, c.expiresAt(), now);
                yield true;
            }
            case LifecycleChange.SetAutoRenew c -> {
                setAutoRenew(id, c.autoRenew(), now);
                yield true;
            }
            case LifecycleChange.RenewExpired c -> renewExpired(id, now);
            case LifecycleChange.Expire c -> expire(id, c.from(), now);
            case LifecycleChange.Freeze c -> freeze(id, now);
            case LifecycleChange.Enable c -> enable(id, now);
            case LifecycleChange.StartRelease c -> startRelease(id, c.from(), now);
            case LifecycleChange.Released c -> released(id, now);
        };
    }

    private boolean startScaling(String id, long targetMilli, Instant endsAt, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'SCALING', target_spec_milli_cu = :target, transition_ends_at = :ends,
                       updated_at = :now
                 WHERE id = :id AND status = 'RUNNING'""")
                .bind("target", targetMilli).bind("ends", endsAt).bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean completeScaling(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RUNNING', spec_milli_cu = target_spec_milli_cu, target_spec_milli_cu = NULL,
                       transition_ends_at = NULL, updated_at = :now
                 WHERE id = :id AND status = 'SCALING'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean startConverting(String id, long targetMilli, BillingCycle cycle, boolean autoRenew, Instant expiresAt,
                            Instant endsAt, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'CONVERTING', target_spec_milli_cu = :target, transition_ends_at = :ends,
                       cycle_unit = :unit, cycle_count = :count, auto_renew = :autoRenew, expires_at = :expires,
                       payg_until = :now, updated_at = :now
                 WHERE id = :id AND status = 'RUNNING' AND billing_mode = 'PAY_AS_YOU_GO'""")
                .bind("target", targetMilli).bind("ends", endsAt).bind("unit", cycle.unit().name())
                .bind("count", cycle.count()).bind("autoRenew", autoRenew).bind("expires", expiresAt)
                .bind("now", now).bind("id", id).execute() == 1;
    }

    /** CONVERTING → RUNNING as a subscription; its first VPC becomes the DataService one (NET-6). */
    private boolean completeConverting(String id, Instant now) {
        boolean done = h.createUpdate("""
                UPDATE resource_groups SET status = 'RUNNING', billing_mode = 'SUBSCRIPTION', spec_milli_cu = target_spec_milli_cu,
                       max_milli_cu = NULL, target_spec_milli_cu = NULL, transition_ends_at = NULL, updated_at = :now
                 WHERE id = :id AND status = 'CONVERTING'""")
                .bind("now", now).bind("id", id).execute() == 1;
        if (done) {
            h.createUpdate("""
                    UPDATE resource_group_networks SET data_service = true
                     WHERE id = (SELECT id FROM resource_group_networks WHERE resource_group_id = :id ORDER BY created_at, id LIMIT 1)""")
                    .bind("id", id).execute();
        }
        return done;
    }

    private void setExpiry(String id, Instant expiresAt, Instant now) {
        h.createUpdate("UPDATE resource_groups SET expires_at = :expires, updated_at = :now WHERE id = :id")
                .bind("expires", expiresAt).bind("now", now).bind("id", id).execute();
    }

    private void setAutoRenew(String id, boolean autoRenew, Instant now) {
        h.createUpdate("UPDATE resource_groups SET auto_renew = :a, updated_at = :now WHERE id = :id")
                .bind("a", autoRenew).bind("now", now).bind("id", id).execute();
    }

    /** RUNNING or SCALING → EXPIRED; a scale under way takes effect first. */
    private boolean expire(String id, GroupStatus from, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'EXPIRED', spec_milli_cu = coalesce(target_spec_milli_cu, spec_milli_cu),
                       target_spec_milli_cu = NULL, transition_ends_at = NULL, updated_at = :now
                 WHERE id = :id AND status = :from""")
                .bind("from", from.name()).bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean renewExpired(String id, Instant now) {
        return h.createUpdate("UPDATE resource_groups SET status = 'RUNNING', updated_at = :now WHERE id = :id AND status = 'EXPIRED'")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean freeze(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'FROZEN', frozen_at = :now, updated_at = :now
                 WHERE id = :id AND status = 'RUNNING' AND billing_mode = 'PAY_AS_YOU_GO'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean enable(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RUNNING', frozen_at = NULL, active_since = :now, updated_at = :now
                 WHERE id = :id AND status = 'FROZEN'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean startRelease(String id, GroupStatus from, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RELEASING', target_spec_milli_cu = NULL, transition_ends_at = NULL,
                       updated_at = :now
                 WHERE id = :id AND status = :from""")
                .bind("from", from.name()).bind("now", now).bind("id", id).execute() == 1;
    }

    private boolean released(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RELEASED', released_at = :now, updated_at = :now
                 WHERE id = :id AND status = 'RELEASING'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    /** RG-5: the periods the group's subscription orders paid for that end after {@code now}, oldest first. */
    List<PaidPeriod> paidPeriods(String id, Instant now) {
        return h.createQuery("""
                SELECT period_start, period_end, cycle_unit, cycle_count FROM orders
                 WHERE resource_group_id = :id AND billing_mode = 'SUBSCRIPTION'
                   AND type IN ('CREATE', 'CONVERT', 'RENEW', 'AUTO_RENEW')
                   AND period_start IS NOT NULL AND cycle_unit IS NOT NULL AND period_end > :now AND period_end > period_start
                 ORDER BY period_start, id""")
                .bind("id", id).bind("now", now)
                .map((rs, ctx) -> new PaidPeriod(rs.getTimestamp(1).toInstant(), rs.getTimestamp(2).toInstant(),
                        new BillingCycle(BillingCycle.Unit.valueOf(rs.getString(3)), rs.getInt(4))))
                .list();
    }

    /**
     * RG-3: when the paid periods that end at {@code expiresAt} began, one after another without a
     * gap (the purchase, or the renewal that revived an expired group): the day of the month the
     * renewals keep. Null when no paid period ends there.
     */
    Instant billingAnchor(String id, Instant expiresAt) {
        if (expiresAt == null) {
            return null;
        }
        List<Instant[]> periods = h.createQuery("""
                SELECT period_start, period_end FROM orders
                 WHERE resource_group_id = :id AND billing_mode = 'SUBSCRIPTION'
                   AND type IN ('CREATE', 'CONVERT', 'RENEW', 'AUTO_RENEW')
                   AND period_start IS NOT NULL AND period_end IS NOT NULL AND period_end <= :expires
                 ORDER BY period_end DESC, id DESC""")
                .bind("id", id).bind("expires", expiresAt)
                .map((rs, ctx) -> new Instant[] {rs.getTimestamp(1).toInstant(), rs.getTimestamp(2).toInstant()}).list();
        Instant start = null;
        Instant end = expiresAt;
        for (Instant[] p : periods) {
            if (p[1].equals(end) && p[0].isBefore(end)) {
                start = p[0];
                end = p[0];
            } else if (p[1].isBefore(end)) {
                break;
            }
        }
        return start;
    }

    long minimumsMilliCu(String id) {
        // a scheduled profile's minimums must fit the capacity too (SPEC BEY-2)
        return h.createQuery("""
                SELECT greatest((SELECT coalesce(sum(min_milli_cu), 0) FROM resource_group_quotas WHERE resource_group_id = :id),
                                (SELECT coalesce(max(max_minimums_milli_cu), 0) FROM quota_schedules WHERE resource_group_id = :id))""")
                .bind("id", id).mapTo(Long.class).one();
    }

    /** Groups due for a time-driven step. */
    List<String> transitionsDue(Instant now) {
        return ids("SELECT id FROM resource_groups WHERE status IN ('SCALING', 'CONVERTING') AND transition_ends_at <= :now ORDER BY id", now);
    }

    List<String> autoRenewalsDue(Instant now, java.time.Duration lead) {
        return h.createQuery("""
                SELECT id FROM resource_groups
                 WHERE billing_mode = 'SUBSCRIPTION' AND auto_renew AND status IN ('RUNNING', 'SCALING')
                   AND expires_at <= :limit ORDER BY id""")
                .bind("limit", now.plus(lead)).mapTo(String.class).list();
    }

    List<String> expiriesDue(Instant now) {
        return ids("""
                SELECT id FROM resource_groups
                 WHERE billing_mode = 'SUBSCRIPTION' AND status IN ('RUNNING', 'SCALING') AND expires_at <= :now ORDER BY id""", now);
    }

    List<String> releasesDue(Instant now, java.time.Duration retention) {
        return h.createQuery("SELECT id FROM resource_groups WHERE status = 'EXPIRED' AND expires_at <= :limit ORDER BY id")
                .bind("limit", now.minus(retention)).mapTo(String.class).list();
    }

    /** Pay-as-you-go groups that could be frozen, with the start of their idle window. */
    java.util.Map<String, Instant> freezeCandidates() {
        java.util.Map<String, Instant> m = new java.util.LinkedHashMap<>();
        h.createQuery("""
                SELECT id, coalesce(active_since, created_at) AS since FROM resource_groups
                 WHERE billing_mode = 'PAY_AS_YOU_GO' AND status = 'RUNNING' ORDER BY id""")
                .map((rs, ctx) -> m.put(rs.getString(1), rs.getTimestamp(2).toInstant())).list();
        return m;
    }

    List<String> releasing() {
        return h.createQuery("SELECT id FROM resource_groups WHERE status = 'RELEASING' ORDER BY id").mapTo(String.class).list();
    }

    /**
     * RELEASING or RELEASED groups with a QUEUED task: one a submission committed after the release
     * had cancelled the queue (it read the group RUNNING before the release's commit). One index
     * probe per released group (instances_group_status).
     */
    List<String> releasedWithQueued() {
        return h.createQuery("""
                SELECT g.id FROM resource_groups g
                WHERE g.status IN ('RELEASING', 'RELEASED')
                  AND EXISTS (SELECT 1 FROM instances i WHERE i.resource_group_id = g.id AND i.status = 'QUEUED')
                ORDER BY g.id""").mapTo(String.class).list();
    }

    private List<String> ids(String sql, Instant now) {
        return h.createQuery(sql).bind("now", now).mapTo(String.class).list();
    }
}
