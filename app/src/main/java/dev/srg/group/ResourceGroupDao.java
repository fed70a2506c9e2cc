package dev.srg.group;

import dev.srg.admission.QueuePolicy;
import dev.srg.admission.UsageType;
import dev.srg.quantity.ComputeUnits;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/** SQL for resource groups and their network bindings. */
final class ResourceGroupDao {
    private static final String COLUMNS = """
            id, name, remark, status, billing_mode, spec_milli_cu, max_milli_cu, region_id, zone_id, cycle_unit,
            cycle_count, auto_renew, expires_at, scheduling_max_running, created_at, updated_at, target_spec_milli_cu,
            transition_ends_at, frozen_at, released_at, queue_policy, share_half_life_seconds""";
    private final Handle h;

    ResourceGroupDao(Handle h) {
        this.h = h;
    }

    void insert(ResourceGroupInfo g, String createdBy) {
        h.createUpdate("""
                INSERT INTO resource_groups (id, name, remark, status, billing_mode, spec_milli_cu, max_milli_cu,
                    region_id, zone_id, cycle_unit, cycle_count, auto_renew, expires_at, scheduling_max_running,
                    created_by, created_at, updated_at, queue_policy)
                VALUES (:id, :name, :remark, :status, :mode, :spec, :max, :region, :zone, :cycleUnit, :cycleCount,
                    :autoRenew, :expiresAt, :smr, :createdBy, :createdAt, :createdAt, :queuePolicy)""")
                .bind("queuePolicy", g.queuePolicy().name())
                .bind("id", g.id()).bind("name", g.name()).bind("remark", g.remark()).bind("status", g.status().name())
                .bind("mode", g.billingMode().name())
                .bind("spec", g.specCu() == null ? null : g.specCu().milli())
                .bind("max", g.maxCu() == null ? null : g.maxCu().milli())
                .bind("region", g.regionId()).bind("zone", g.zoneId())
                .bind("cycleUnit", g.billingCycle() == null ? null : g.billingCycle().unit().name())
                .bind("cycleCount", g.billingCycle() == null ? null : g.billingCycle().count())
                .bind("autoRenew", Boolean.TRUE.equals(g.autoRenew())).bind("expiresAt", g.expiresAt())
                .bind("smr", g.schedulingMaxRunning()).bind("createdBy", createdBy).bind("createdAt", g.createdAt())
                .execute();
    }

    void insertNetwork(String groupId, GroupNetwork n) {
        h.createUpdate("""
                INSERT INTO resource_group_networks (id, resource_group_id, vpc_id, vswitch_id, data_service, created_at)
                VALUES (:id, :group, :vpc, :vsw, :ds, :now)""")
                .bind("id", n.id()).bind("group", groupId).bind("vpc", n.vpcId()).bind("vsw", n.vswitchId())
                .bind("ds", n.dataService()).bind("now", n.createdAt()).execute();
    }

    int deleteNetwork(String groupId, String networkId) {
        return h.createUpdate("DELETE FROM resource_group_networks WHERE id = :id AND resource_group_id = :group")
                .bind("id", networkId).bind("group", groupId).execute();
    }

    Optional<ResourceGroupInfo> find(String id, boolean forUpdate) {
        return h.createQuery("SELECT " + COLUMNS + " FROM resource_groups WHERE id = :id" + (forUpdate ? " FOR UPDATE" : ""))
                .bind("id", id).map((rs, ctx) -> row(rs)).findOne().map(this::complete);
    }

    /** Lists groups; {@code visibleTo} (a user id) limits them to the caller's workspaces when not null. */
    List<ResourceGroupInfo> list(String regionId, GroupStatus status, String visibleTo, String afterId, int limit) {
        List<ResourceGroupInfo> page = h.createQuery("SELECT " + COLUMNS + """
                 FROM resource_groups g
                WHERE id > :after
                  AND (CAST(:region AS text) IS NULL OR region_id = :region)
                  AND (CAST(:status AS text) IS NULL OR status = :status)
                  AND (CAST(:user AS text) IS NULL OR EXISTS (
                        SELECT 1 FROM workspace_resource_groups wr
                        JOIN workspace_members m ON m.workspace_id = wr.workspace_id
                        WHERE wr.resource_group_id = g.id AND m.user_id = :user))
                ORDER BY id LIMIT :limit""")
                .bind("after", afterId).bind("region", regionId).bind("status", status == null ? null : status.name())
                .bind("user", visibleTo).bind("limit", limit)
                .map((rs, ctx) -> row(rs)).list();
        return complete(page);
    }

    boolean visibleTo(String groupId, String userId) {
        return h.createQuery("""
                SELECT count(*) FROM workspace_resource_groups wr
                JOIN workspace_members m ON m.workspace_id = wr.workspace_id
                WHERE wr.resource_group_id = :group AND m.user_id = :user""")
                .bind("group", groupId).bind("user", userId).mapTo(Long.class).one() > 0;
    }

    void rename(String id, String name, String remark, Instant now) {
        h.createUpdate("UPDATE resource_groups SET name = coalesce(:name, name), remark = coalesce(:remark, remark), updated_at = :now WHERE id = :id")
                .bind("name", name).bind("remark", remark).bind("now", now).bind("id", id).execute();
    }

    /** The group's queue policy (docs/rules.md#queue-policy). */
    void setQueuePolicy(String id, QueuePolicy policy, Instant now) {
        h.createUpdate("UPDATE resource_groups SET queue_policy = :policy, updated_at = :now WHERE id = :id")
                .bind("policy", policy.name()).bind("now", now).bind("id", id).execute();
    }

    /** The half-life of the group's FAIR_SHARE shares (docs/rules.md#queue-policy). */
    void setShareHalfLife(String id, long seconds, Instant now) {
        h.createUpdate("UPDATE resource_groups SET share_half_life_seconds = :s, updated_at = :now WHERE id = :id")
                .bind("s", seconds).bind("now", now).bind("id", id).execute();
    }

    /** Per group, the workspaces given a weight other than the default (docs/rules.md#queue-policy). */
    Map<String, Map<String, Integer>> shareWeights(Collection<String> groupIds) {
        Map<String, Map<String, Integer>> out = new HashMap<>();
        h.createQuery("SELECT resource_group_id, workspace_id, weight FROM workspace_share_weights WHERE resource_group_id = ANY(:ids)")
                .bindArray("ids", String.class, List.copyOf(groupIds))
                .map((rs, ctx) -> out.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), rs.getInt(3)))
                .list();
        return out;
    }

    /** Sets a workspace's weight in a group; returns the weight before (null: the default). */
    Integer setShareWeight(String groupId, String workspaceId, int weight, Instant now) {
        Integer before = h.createQuery("SELECT weight FROM workspace_share_weights WHERE resource_group_id = :g AND workspace_id = :w FOR UPDATE")
                .bind("g", groupId).bind("w", workspaceId).mapTo(Integer.class).findOne().orElse(null);
        h.createUpdate("""
                INSERT INTO workspace_share_weights (resource_group_id, workspace_id, weight, updated_at) VALUES (:g, :w, :weight, :now)
                ON CONFLICT (resource_group_id, workspace_id) DO UPDATE SET weight = :weight, updated_at = :now""")
                .bind("g", groupId).bind("w", workspaceId).bind("weight", weight).bind("now", now).execute();
        return before;
    }

    /** Back to the default weight; returns the weight before (null: it had the default). */
    Integer resetShareWeight(String groupId, String workspaceId) {
        return h.createQuery("DELETE FROM workspace_share_weights WHERE resource_group_id = :g AND workspace_id = :w RETURNING weight")
                .bind("g", groupId).bind("w", workspaceId).mapTo(Integer.class).findOne().orElse(null);
    }

    /** Compare-and-set of the status: true when the group was in {@code from}. */
    boolean transition(String id, GroupStatus from, GroupStatus to, Instant now) {
        return h.createUpdate("UPDATE resource_groups SET status = :to, updated_at = :now WHERE id = :id AND status = :from")
                .bind("to", to.name()).bind("from", from.name()).bind("now", now).bind("id", id).execute() == 1;
    }

    QuotaSettings quotas(String groupId) {
        return quotas(List.of(groupId)).get(groupId);
    }

    /** The quotas of several groups in one statement; every one of {@code groupIds} is in the answer (none: empty). */
    Map<String, QuotaSettings> quotas(Collection<String> groupIds) {
        Map<String, Map<UsageType, QuotaSettings.Quota>> byGroup = new HashMap<>();
        groupIds.forEach(id -> byGroup.put(id, new EnumMap<>(UsageType.class)));
        h.createQuery("""
                SELECT resource_group_id, usage_type, min_milli_cu, max_milli_cu FROM resource_group_quotas
                 WHERE resource_group_id = ANY(:ids)""")
                .bindArray("ids", String.class, List.copyOf(groupIds))
                .map((rs, ctx) -> {
                    long min = rs.getLong("min_milli_cu");
                    ComputeUnits minCu = rs.wasNull() ? null : ComputeUnits.ofMilli(min);
                    long max = rs.getLong("max_milli_cu");
                    ComputeUnits maxCu = rs.wasNull() ? null : ComputeUnits.ofMilli(max);
                    byGroup.get(rs.getString("resource_group_id"))
                            .put(UsageType.valueOf(rs.getString("usage_type")), new QuotaSettings.Quota(minCu, maxCu));
                    return null;
                }).list();
        Map<String, QuotaSettings> out = new HashMap<>();
        byGroup.forEach((id, quotas) -> out.put(id, new QuotaSettings(quotas)));
        return out;
    }

    /**
     * Several groups in one statement, as admission needs them: their own columns only, without the
     * networks and workspaces a full read adds.
     */
    List<ResourceGroupInfo> forAdmission(Collection<String> groupIds) {
        return h.createQuery("SELECT " + COLUMNS + " FROM resource_groups WHERE id = ANY(:ids)")
                .bindArray("ids", String.class, List.copyOf(groupIds)).map((rs, ctx) -> row(rs)).list();
    }

    /** A group as a submission checks it: its own columns, quotas and quota schedule (none: empty). */
    record ForSubmit(ResourceGroupInfo group, QuotaSettings quotas, Optional<QuotaScheduleManager.Stored> schedule) {}

    /**
     * One group for a submission in one statement (issue 17: it was five, the networks and
     * workspaces among them, which a submission does not use): the group's own columns, its quotas
     * as arrays, its schedule by a join.
     */
    Optional<ForSubmit> findForSubmit(String id) {
        return h.createQuery(forSubmitSql(":group")).bind("group", id).map(FOR_SUBMIT).findOne();
    }

    /** {@link #findForSubmit}'s statement for the group whose id is {@code idExpression} (SQL). */
    static String forSubmitSql(String idExpression) {
        return "SELECT r.*, s.time_zone AS schedule_zone, s.profiles::text AS schedule_profiles,"
                + " s.applied AS schedule_applied,"
                + " ARRAY(SELECT usage_type FROM resource_group_quotas q WHERE q.resource_group_id = r.id ORDER BY usage_type) AS quota_types,"
                + " ARRAY(SELECT min_milli_cu FROM resource_group_quotas q WHERE q.resource_group_id = r.id ORDER BY usage_type) AS quota_mins,"
                + " ARRAY(SELECT max_milli_cu FROM resource_group_quotas q WHERE q.resource_group_id = r.id ORDER BY usage_type) AS quota_maxs"
                + " FROM (SELECT " + COLUMNS + " FROM resource_groups WHERE id = " + idExpression + ") r"
                + " LEFT JOIN quota_schedules s ON s.resource_group_id = r.id";
    }

    /** A row of {@link #forSubmitSql}. */
    static final RowMapper<ForSubmit> FOR_SUBMIT = (rs, ctx) -> {
        String[] types = (String[]) rs.getArray("quota_types").getArray();
        Long[] mins = (Long[]) rs.getArray("quota_mins").getArray();
        Long[] maxs = (Long[]) rs.getArray("quota_maxs").getArray();
        Map<UsageType, QuotaSettings.Quota> quotas = new EnumMap<>(UsageType.class);
        for (int i = 0; i < types.length; i++) {
            quotas.put(UsageType.valueOf(types[i]), new QuotaSettings.Quota(
                    mins[i] == null ? null : ComputeUnits.ofMilli(mins[i]), maxs[i] == null ? null : ComputeUnits.ofMilli(maxs[i])));
        }
        String zone = rs.getString("schedule_zone");
        return new ForSubmit(row(rs), new QuotaSettings(quotas), zone == null ? Optional.empty()
                : Optional.of(QuotaScheduleManager.stored(zone, rs.getString("schedule_profiles"), rs.getString("schedule_applied"))));
    };

    void replaceQuotas(String groupId, QuotaSettings quotas) {
        h.createUpdate("DELETE FROM resource_group_quotas WHERE resource_group_id = :id").bind("id", groupId).execute();
        quotas.quotas().forEach((type, q) -> h.createUpdate("""
                INSERT INTO resource_group_quotas (resource_group_id, usage_type, min_milli_cu, max_milli_cu)
                VALUES (:id, :type, :min, :max)""")
                .bind("id", groupId).bind("type", type.name())
                .bind("min", q.minCu() == null ? null : q.minCu().milli())
                .bind("max", q.maxCu() == null ? null : q.maxCu().milli()).execute());
    }

    void setSchedulingMaxRunning(String groupId, int n, Instant now) {
        h.createUpdate("UPDATE resource_groups SET scheduling_max_running = :n, updated_at = :now WHERE id = :id")
                .bind("n", n).bind("now", now).bind("id", groupId).execute();
    }

    List<String> idsInStatus(GroupStatus status) {
        return h.createQuery("SELECT id FROM resource_groups WHERE status = :s ORDER BY id").bind("s", status.name())
                .mapTo(String.class).list();
    }

    private ResourceGroupInfo complete(ResourceGroupInfo g) {
        return complete(List.of(g)).get(0);
    }

    /** Adds networks and workspaces to a page of groups: two queries for the page, not two per group. */
    private List<ResourceGroupInfo> complete(List<ResourceGroupInfo> groups) {
        if (groups.isEmpty()) {
            return groups;
        }
        List<String> ids = groups.stream().map(ResourceGroupInfo::id).toList();
        java.util.Map<String, List<GroupNetwork>> networks = new java.util.HashMap<>();
        h.createQuery("""
                SELECT resource_group_id, id, vpc_id, vswitch_id, data_service, created_at FROM resource_group_networks
                WHERE resource_group_id = ANY(:ids) ORDER BY created_at, id""")
                .bindArray("ids", String.class, ids)
                .map((rs, ctx) -> networks.computeIfAbsent(rs.getString("resource_group_id"), k -> new java.util.ArrayList<>())
                        .add(new GroupNetwork(rs.getString("id"), rs.getString("vpc_id"), rs.getString("vswitch_id"),
                                rs.getBoolean("data_service"), rs.getTimestamp("created_at").toInstant())))
                .list();
        java.util.Map<String, List<String>> workspaces = new java.util.HashMap<>();
        h.createQuery("""
                SELECT resource_group_id, workspace_id FROM workspace_resource_groups
                WHERE resource_group_id = ANY(:ids) ORDER BY workspace_id""")
                .bindArray("ids", String.class, ids)
                .map((rs, ctx) -> workspaces.computeIfAbsent(rs.getString("resource_group_id"), k -> new java.util.ArrayList<>())
                        .add(rs.getString("workspace_id")))
                .list();
        return groups.stream().map(g -> new ResourceGroupInfo(g.id(), g.name(), g.remark(), g.status(), g.billingMode(),
                g.specCu(), g.maxCu(), g.regionId(), g.zoneId(), networks.getOrDefault(g.id(), List.of()), g.billingCycle(),
                g.autoRenew(), g.expiresAt(), g.schedulingMaxRunning(), g.createdAt(), g.updatedAt(),
                workspaces.getOrDefault(g.id(), List.of()), g.targetSpecCu(), g.transitionEndsAt(), g.frozenAt(),
                g.releasedAt(), g.queuePolicy(), g.shareHalfLifeSeconds())).toList();
    }

    private static ResourceGroupInfo row(ResultSet rs) throws SQLException {
        BillingMode mode = BillingMode.valueOf(rs.getString("billing_mode"));
        long spec = rs.getLong("spec_milli_cu");
        ComputeUnits specCu = rs.wasNull() ? null : ComputeUnits.ofMilli(spec);
        long max = rs.getLong("max_milli_cu");
        ComputeUnits maxCu = rs.wasNull() ? null : ComputeUnits.ofMilli(max);
        String unit = rs.getString("cycle_unit");
        BillingCycle cycle = unit == null ? null : new BillingCycle(BillingCycle.Unit.valueOf(unit), rs.getInt("cycle_count"));
        long target = rs.getLong("target_spec_milli_cu");
        ComputeUnits targetCu = rs.wasNull() ? null : ComputeUnits.ofMilli(target);
        return new ResourceGroupInfo(rs.getString("id"), rs.getString("name"), rs.getString("remark"),
                GroupStatus.valueOf(rs.getString("status")), mode, specCu, maxCu, rs.getString("region_id"),
                rs.getString("zone_id"), List.of(), cycle, mode == BillingMode.SUBSCRIPTION ? rs.getBoolean("auto_renew") : null,
                instant(rs.getTimestamp("expires_at")), rs.getInt("scheduling_max_running"),
                rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant(), List.of(), targetCu,
                instant(rs.getTimestamp("transition_ends_at")), instant(rs.getTimestamp("frozen_at")),
                instant(rs.getTimestamp("released_at")), QueuePolicy.valueOf(rs.getString("queue_policy")),
                rs.getInt("share_half_life_seconds"));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
