package dev.srg.group;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;

/** SQL of lifecycle transitions. Every status change is a compare-and-set on the current status. */
final class LifecycleDao {
    private final Handle h;

    LifecycleDao(Handle h) {
        this.h = h;
    }

    boolean startScaling(String id, long targetMilli, Instant endsAt, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'SCALING', target_spec_milli_cu = :target, transition_ends_at = :ends,
                       updated_at = :now
                 WHERE id = :id AND status = 'RUNNING'""")
                .bind("target", targetMilli).bind("ends", endsAt).bind("now", now).bind("id", id).execute() == 1;
    }

    boolean completeScaling(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RUNNING', spec_milli_cu = target_spec_milli_cu, target_spec_milli_cu = NULL,
                       transition_ends_at = NULL, updated_at = :now
                 WHERE id = :id AND status = 'SCALING'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    boolean startConverting(String id, long targetMilli, BillingCycle cycle, boolean autoRenew, Instant expiresAt,
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
    boolean completeConverting(String id, Instant now) {
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

    void setExpiry(String id, Instant expiresAt, Instant now) {
        h.createUpdate("UPDATE resource_groups SET expires_at = :expires, updated_at = :now WHERE id = :id")
                .bind("expires", expiresAt).bind("now", now).bind("id", id).execute();
    }

    void setAutoRenew(String id, boolean autoRenew, Instant now) {
        h.createUpdate("UPDATE resource_groups SET auto_renew = :a, updated_at = :now WHERE id = :id")
                .bind("a", autoRenew).bind("now", now).bind("id", id).execute();
    }

    /** RUNNING or SCALING → EXPIRED; a scale under way takes effect first. */
    boolean expire(String id, GroupStatus from, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'EXPIRED', spec_milli_cu = coalesce(target_spec_milli_cu, spec_milli_cu),
                       target_spec_milli_cu = NULL, transition_ends_at = NULL, updated_at = :now
                 WHERE id = :id AND status = :from""")
                .bind("from", from.name()).bind("now", now).bind("id", id).execute() == 1;
    }

    boolean renewExpired(String id, Instant now) {
        return h.createUpdate("UPDATE resource_groups SET status = 'RUNNING', updated_at = :now WHERE id = :id AND status = 'EXPIRED'")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    boolean freeze(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'FROZEN', frozen_at = :now, updated_at = :now
                 WHERE id = :id AND status = 'RUNNING' AND billing_mode = 'PAY_AS_YOU_GO'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    boolean enable(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RUNNING', frozen_at = NULL, active_since = :now, updated_at = :now
                 WHERE id = :id AND status = 'FROZEN'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    boolean startRelease(String id, GroupStatus from, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RELEASING', target_spec_milli_cu = NULL, transition_ends_at = NULL,
                       updated_at = :now
                 WHERE id = :id AND status = :from""")
                .bind("from", from.name()).bind("now", now).bind("id", id).execute() == 1;
    }

    boolean released(String id, Instant now) {
        return h.createUpdate("""
                UPDATE resource_groups SET status = 'RELEASED', released_at = :now, updated_at = :now
                 WHERE id = :id AND status = 'RELEASING'""")
                .bind("now", now).bind("id", id).execute() == 1;
    }

    long minimumsMilliCu(String id) {
        return h.createQuery("SELECT coalesce(sum(min_milli_cu), 0) FROM resource_group_quotas WHERE resource_group_id = :id")
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

    private List<String> ids(String sql, Instant now) {
        return h.createQuery(sql).bind("now", now).mapTo(String.class).list();
    }
}
