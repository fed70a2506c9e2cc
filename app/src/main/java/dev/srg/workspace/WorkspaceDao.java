package dev.srg.workspace;

import dev.srg.store.OneTrip;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** SQL for workspaces, their members and their associated resource groups. */
final class WorkspaceDao {
    private final Handle h;

    WorkspaceDao(Handle h) {
        this.h = h;
    }

    void insert(String id, String name, String regionId, String createdBy, Instant now) {
        h.createUpdate("""
                INSERT INTO workspaces (id, name, region_id, created_by, created_at)
                VALUES (:id, :name, :region, :by, :now)""")
                .bind("id", id).bind("name", name).bind("region", regionId).bind("by", createdBy).bind("now", now).execute();
    }

    /** Locks the workspace's row for a change; false when there is no such workspace. */
    boolean lock(String id) {
        return h.createQuery("SELECT id FROM workspaces WHERE id = :id FOR UPDATE").bind("id", id).mapTo(String.class)
                .findOne().isPresent();
    }

    /**
     * A workspace with its groups and members in one statement (issue 17: three before, on every
     * submission); the members' ids and roles come as two arrays in the same order.
     */
    Optional<WorkspaceInfo> find(String id) {
        return h.createQuery(FIND.sql()).bind("workspace", id).map(FIND.mapper()).findOne();
    }

    /** {@link #find} with the members' user names, for the workspace API's answers. */
    Optional<WorkspaceInfo> findNamed(String id) {
        return h.createQuery(FIND_NAMED.sql()).bind("workspace", id).map(FIND_NAMED.mapper()).findOne();
    }

    private static final String COLUMNS = """
            SELECT id, name, region_id, default_resource_group_id, created_at, task_gid,
                   ARRAY(SELECT resource_group_id FROM workspace_resource_groups g WHERE g.workspace_id = w.id
                         ORDER BY resource_group_id) AS groups,
                   ARRAY(SELECT user_id FROM workspace_members m WHERE m.workspace_id = w.id ORDER BY user_id) AS member_ids,
                   ARRAY(SELECT role FROM workspace_members m WHERE m.workspace_id = w.id ORDER BY user_id) AS member_roles""";

    /** {@link #find} as a read of its own: its parameter is {@code :workspace}, the id. */
    static final OneTrip.Read<WorkspaceInfo> FIND = new OneTrip.Read<>(COLUMNS + " FROM workspaces w WHERE id = :workspace",
            (rs, ctx) -> workspace(rs, false));

    /** {@link #FIND} and the members' names in the same order (a user deleted meanwhile: null, shown by id). */
    private static final OneTrip.Read<WorkspaceInfo> FIND_NAMED = new OneTrip.Read<>(COLUMNS + """
            ,
                   ARRAY(SELECT u.name FROM workspace_members m LEFT JOIN users u ON u.id = m.user_id
                         WHERE m.workspace_id = w.id ORDER BY m.user_id) AS member_names
              FROM workspaces w WHERE id = :workspace""", (rs, ctx) -> workspace(rs, true));

    private static WorkspaceInfo workspace(java.sql.ResultSet rs, boolean named) throws java.sql.SQLException {
        String[] memberIds = (String[]) rs.getArray("member_ids").getArray();
        String[] roles = (String[]) rs.getArray("member_roles").getArray();
        String[] names = named ? (String[]) rs.getArray("member_names").getArray() : null;
        List<WorkspaceInfo.Member> members = new ArrayList<>(memberIds.length);
        for (int i = 0; i < memberIds.length; i++) {
            members.add(new WorkspaceInfo.Member(memberIds[i], WorkspaceRole.valueOf(roles[i]), named ? names[i] : null));
        }
        return new WorkspaceInfo(rs.getString("id"), rs.getString("name"), rs.getString("region_id"),
                rs.getString("default_resource_group_id"), List.of((String[]) rs.getArray("groups").getArray()),
                members, rs.getTimestamp("created_at").toInstant(), rs.getLong("task_gid"));
    }

    /** Ids after {@code afterId}, in order; only those {@code memberId} belongs to unless it is null. */
    List<String> listIds(String afterId, String memberId, int limit) {
        return h.createQuery("""
                SELECT id FROM workspaces w WHERE id > :after
                  AND (CAST(:member AS text) IS NULL OR EXISTS (
                      SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.user_id = :member))
                ORDER BY id LIMIT :limit""")
                .bind("after", afterId).bind("member", memberId).bind("limit", limit)
                .mapTo(String.class).list();
    }

    void rename(String id, String name) {
        h.createUpdate("UPDATE workspaces SET name = :name WHERE id = :id").bind("name", name).bind("id", id).execute();
    }

    /** Sets (or, with null, clears) the default resource group. */
    void setDefaultResourceGroup(String id, String groupId) {
        h.createUpdate("UPDATE workspaces SET default_resource_group_id = :rg WHERE id = :id")
                .bind("rg", groupId).bind("id", id).execute();
    }

    void putMember(String workspaceId, String userId, WorkspaceRole role) {
        h.createUpdate("""
                INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (:ws, :u, :role)
                ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role""")
                .bind("ws", workspaceId).bind("u", userId).bind("role", role.name()).execute();
    }

    void removeMember(String workspaceId, String userId) {
        h.createUpdate("DELETE FROM workspace_members WHERE workspace_id = :ws AND user_id = :u")
                .bind("ws", workspaceId).bind("u", userId).execute();
    }

    Optional<WorkspaceRole> role(String workspaceId, String userId) {
        return h.createQuery("SELECT role FROM workspace_members WHERE workspace_id = :ws AND user_id = :u")
                .bind("ws", workspaceId).bind("u", userId).mapTo(String.class).findOne().map(WorkspaceRole::valueOf);
    }

    void associate(String workspaceId, String groupId, Instant now) {
        h.createUpdate("""
                INSERT INTO workspace_resource_groups (workspace_id, resource_group_id, associated_at)
                VALUES (:ws, :rg, :now) ON CONFLICT DO NOTHING""")
                .bind("ws", workspaceId).bind("rg", groupId).bind("now", now).execute();
    }

    void dissociate(String workspaceId, String groupId) {
        h.createUpdate("DELETE FROM workspace_resource_groups WHERE workspace_id = :ws AND resource_group_id = :rg")
                .bind("ws", workspaceId).bind("rg", groupId).execute();
    }

    boolean isAssociated(String workspaceId, String groupId) {
        return h.createQuery("SELECT count(*) FROM workspace_resource_groups WHERE workspace_id = :ws AND resource_group_id = :rg")
                .bind("ws", workspaceId).bind("rg", groupId).mapTo(Long.class).one() > 0;
    }

    /** A released group (SPEC RG-8): no workspace uses it, nor names it as its default. */
    void forgetGroup(String groupId) {
        h.createUpdate("UPDATE workspaces SET default_resource_group_id = NULL WHERE default_resource_group_id = :rg")
                .bind("rg", groupId).execute();
        h.createUpdate("DELETE FROM workspace_resource_groups WHERE resource_group_id = :rg").bind("rg", groupId).execute();
    }
}
