package dev.srg.workspace;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AccessManager;
import dev.srg.access.Policy;
import dev.srg.access.Principal;
import dev.srg.error.Names;
import dev.srg.error.SrgException;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.group.ResourceGroupManager;
import dev.srg.region.RegionCatalog;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.OneTrip;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Workspaces, their members and the resource groups associated with them (WS-1, WS-2, NET-2,
 * ACC-3). A platform administrator counts as an administrator of every workspace.
 */
public final class WorkspaceManager {
    private final Jdbi jdbi;
    private final RegionCatalog regions;
    private final ResourceGroupManager groups;
    private final AccessManager access;
    private final Clock clock;

    public WorkspaceManager(Jdbi jdbi, RegionCatalog regions, ResourceGroupManager groups, AccessManager access, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.regions = requireNonNull(regions, "regions is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.access = requireNonNull(access, "access is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public record CreateRequest(String name, String regionId, String defaultResourceGroupId, String clientToken) {}

    public record MemberRequest(WorkspaceRole role) {}

    public record AssociateRequest(String resourceGroupId, String clientToken) {}

    /** PATCH: a field left out is unchanged; {@code defaultResourceGroupId: ""} clears the default. */
    public record UpdateRequest(String name, String defaultResourceGroupId) {}

    public WorkspaceInfo create(Principal caller, CreateRequest r) {
        String name = Names.require("name", r.name());
        String regionId = regions.require("regionId", r.regionId()).id();
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "workspace", r.clientToken(),
                name + "|" + regionId + "|" + r.defaultResourceGroupId(), clock::instant, h -> {
                    Instant now = clock.instant();
                    String newId = Ids.next("ws", now.toEpochMilli());
                    new WorkspaceDao(h).insert(newId, name, regionId, caller.userId(), now);
                    if (!Principal.SYSTEM.userId().equals(caller.userId())) {
                        putMember(h, newId, caller.userId(), WorkspaceRole.ADMIN);
                    }
                    if (r.defaultResourceGroupId() != null) {
                        // SPEC WS-2: the default must be associable (NET-2); naming it associates it
                        associate(h, caller, newId, regionId, r.defaultResourceGroupId(), "defaultResourceGroupId", now);
                        new WorkspaceDao(h).setDefaultResourceGroup(newId, r.defaultResourceGroupId());
                    }
                    return newId;
                });
        return get(caller, id);
    }

    public WorkspaceInfo get(Principal caller, String id) {
        return jdbi.withHandle(h -> {
            WorkspaceInfo ws = new WorkspaceDao(h).findNamed(id).orElseThrow(() -> SrgException.notFound("Workspace", id));
            if (!caller.isAdministrator() && ws.members().stream().noneMatch(m -> m.userId().equals(caller.userId()))) {
                throw SrgException.notFound("Workspace", id);
            }
            return ws;
        });
    }

    public Page<WorkspaceInfo> list(Principal caller, PageRequest page) {
        String member = caller.isAdministrator() ? null : caller.userId();
        return jdbi.withHandle(h -> {
            WorkspaceDao dao = new WorkspaceDao(h);
            return page.page(dao.listIds(page.afterId(), member, page.limit()).stream()
                    .map(id -> dao.findNamed(id).orElseThrow()).toList(), WorkspaceInfo::id);
        });
    }

    public WorkspaceInfo putMember(Principal caller, String id, String userId, MemberRequest r) {
        if (r.role() == null) {
            throw SrgException.invalid("role", "MissingParameter", "role is required: ADMIN, DEVELOPER, OPERATOR or VISITOR");
        }
        jdbi.useTransaction(h -> {
            WorkspaceInfo ws = requireAdmin(h, caller, id, "manage members");
            if (!access.userExists(h, userId)) {
                throw SrgException.notFound("User", userId);
            }
            requireAnotherAdmin(ws, userId, r.role());
            putMember(h, id, userId, r.role());
        });
        return get(caller, id);
    }

    public void removeMember(Principal caller, String id, String userId) {
        jdbi.useTransaction(h -> {
            WorkspaceInfo ws = requireAdmin(h, caller, id, "manage members");
            if (ws.members().stream().noneMatch(m -> m.userId().equals(userId))) {
                throw SrgException.notFound("Workspace.Member", userId);
            }
            requireAnotherAdmin(ws, userId, null);
            new WorkspaceDao(h).removeMember(id, userId);
        });
    }

    public WorkspaceInfo associate(Principal caller, String id, AssociateRequest r) {
        IdempotencyKeys.createOnce(jdbi, caller.userId(), "workspace-group:" + id, r.clientToken(), String.valueOf(r.resourceGroupId()),
                clock::instant, h -> {
            // SPEC ACC-3
            WorkspaceInfo ws = requireAdmin(h, caller, id, "associate resource groups");
            if (r.resourceGroupId() == null) {
                throw SrgException.invalid("resourceGroupId", "MissingParameter", "resourceGroupId is required");
            }
            associate(h, caller, id, ws.regionId(), r.resourceGroupId(), "resourceGroupId", clock.instant());
            return r.resourceGroupId();
        });
        return get(caller, id);
    }

    public boolean isAssociated(String workspaceId, String groupId) {
        return jdbi.withHandle(h -> isAssociated(h, workspaceId, groupId));
    }

    public void dissociate(Principal caller, String id, String groupId) {
        jdbi.useTransaction(h -> {
            // SPEC ACC-3
            WorkspaceInfo ws = requireAdmin(h, caller, id, "dissociate resource groups");
            if (!ws.resourceGroupIds().contains(groupId)) {
                throw SrgException.notFound("Workspace.ResourceGroup", groupId);
            }
            if (groupId.equals(ws.defaultResourceGroupId())) {
                throw SrgException.conflict("Workspace.DefaultResourceGroup",
                        "resource group '" + groupId + "' is the workspace's default; choose another default first");
            }
            new WorkspaceDao(h).dissociate(id, groupId);
        });
    }

    /**
     * A resource group was released (SPEC RG-8): no workspace uses it any more, nor names it as
     * its default. Runs inside the releasing transaction.
     */
    public void groupReleased(org.jdbi.v3.core.Handle h, String groupId) {
        new WorkspaceDao(h).forgetGroup(groupId);
    }

    public WorkspaceInfo update(Principal caller, String id, UpdateRequest r) {
        String name = r.name() == null ? null : Names.require("name", r.name());
        if (name == null && r.defaultResourceGroupId() == null) {
            throw SrgException.invalid(null, "MissingParameter", "nothing to change: give name and/or defaultResourceGroupId");
        }
        jdbi.useTransaction(h -> {
            // SPEC ACC-3: changing the default needs a workspace administrator
            WorkspaceInfo ws = requireAdmin(h, caller, id, "change the workspace");
            if (r.defaultResourceGroupId() != null) {
                String rg = r.defaultResourceGroupId().isEmpty() ? null : r.defaultResourceGroupId();
                if (rg != null && !ws.resourceGroupIds().contains(rg)) {
                    throw SrgException.conflict("Workspace.ResourceGroupNotAssociated", "defaultResourceGroupId",
                            "resource group '" + rg + "' is not associated with workspace '" + id + "'; associate it first");
                }
                if (rg != null && !rg.equals(ws.defaultResourceGroupId())) {
                    // SPEC WS-2: as at creation, a group being released is no new default (its tasks would all be refused)
                    ResourceGroupInfo g = groups.find(h, rg, false)
                            .orElseThrow(() -> SrgException.notFound("ResourceGroup", rg, "defaultResourceGroupId"));
                    ResourceGroupManager.requireNotReleased(g, "defaultResourceGroupId");
                }
                new WorkspaceDao(h).setDefaultResourceGroup(id, rg);
            }
            if (name != null) {
                new WorkspaceDao(h).rename(id, name);
            }
        });
        return get(caller, id);
    }

    /** The workspace's role of a user, if a member (for other features' rules). */
    public Optional<WorkspaceRole> role(String workspaceId, String userId) {
        return jdbi.withHandle(h -> new WorkspaceDao(h).role(workspaceId, userId));
    }

    public Optional<WorkspaceInfo> find(String id) {
        return jdbi.withHandle(h -> find(h, id));
    }

    /**
     * {@link #find} as a read to send with others in one round trip ({@link OneTrip}); its parameter
     * is {@code :workspace}, the workspace's id.
     */
    public static OneTrip.Read<WorkspaceInfo> findRead() {
        return WorkspaceDao.FIND;
    }

    /**
     * The caller's role in a workspace for other features' rules: a member's own role, ADMIN for an
     * administrator who is not a member; 404 for anyone else, so a workspace one cannot use is not
     * told apart from one that does not exist.
     */
    public WorkspaceRole requireMember(Principal caller, String workspaceId) {
        if (find(workspaceId).isEmpty()) {
            throw SrgException.notFound("Workspace", workspaceId, "workspaceId");
        }
        Optional<WorkspaceRole> role = role(workspaceId, caller.userId());
        if (role.isPresent()) {
            return role.get();
        }
        if (caller.isAdministrator()) {
            return WorkspaceRole.ADMIN;
        }
        throw SrgException.notFound("Workspace", workspaceId, "workspaceId");
    }

    private void associate(Handle h, Principal caller, String workspaceId, String workspaceRegion, String groupId, String field,
                           Instant now) {
        ResourceGroupInfo g = groups.find(h, groupId, true)
                .orElseThrow(() -> SrgException.notFound("ResourceGroup", groupId, field));
        requireMayAssociate(h, caller, groupId, field);
        ResourceGroupManager.requireNotReleased(g, field);
        if (!g.regionId().equals(workspaceRegion)) {
            // SPEC NET-2
            throw SrgException.invalid(field, "InvalidParameter.Workspace.RegionMismatch",
                    "resource group '" + groupId + "' is in region '" + g.regionId() + "' but the workspace is in '"
                            + workspaceRegion + "'; they must be in the same region");
        }
        new WorkspaceDao(h).associate(workspaceId, groupId, now);
    }

    /**
     * SPEC ACC-3: being a workspace's administrator is needed, not enough. An association lets the
     * workspace's members spend the group's CU (and its owner's money), so it also needs the policy
     * that manages groups; otherwise any user could make a workspace of their own and run tasks on
     * any group whose id they learned. A group the caller cannot see is a 404, as everywhere.
     */
    private void requireMayAssociate(Handle h, Principal caller, String groupId, String field) {
        if (caller.has(Policy.ResourceGroupFullAccess)) {
            return;
        }
        if (!groups.visibleTo(h, groupId, caller.userId())) {
            throw SrgException.notFound("ResourceGroup", groupId, field);
        }
        throw new SrgException(403, "Forbidden.MissingPolicy", field, "user '" + caller.name()
                + "' may not associate resource group '" + groupId + "' with a workspace: missing policy "
                + Policy.ResourceGroupFullAccess.name() + " (a workspace administrator may use only the groups a"
                + " holder of that policy associates)");
    }

    private static boolean isAssociated(Handle h, String workspaceId, String groupId) {
        return new WorkspaceDao(h).isAssociated(workspaceId, groupId);
    }

    private WorkspaceInfo requireAdmin(Handle h, Principal caller, String id, String action) {
        WorkspaceDao dao = new WorkspaceDao(h);
        if (!dao.lock(id)) {
            throw SrgException.notFound("Workspace", id);
        }
        WorkspaceInfo ws = dao.find(id).orElseThrow();
        boolean member = ws.members().stream().anyMatch(m -> m.userId().equals(caller.userId()));
        boolean admin = ws.members().stream().anyMatch(m -> m.userId().equals(caller.userId()) && m.role() == WorkspaceRole.ADMIN);
        if (!caller.isAdministrator() && !admin) {
            if (!member) {
                throw SrgException.notFound("Workspace", id);
            }
            throw SrgException.forbidden("Forbidden.WorkspaceAdmin",
                    "only an administrator of workspace '" + id + "' may " + action + "; user '" + caller.name() + "' is not one");
        }
        return ws;
    }

    private static void requireAnotherAdmin(WorkspaceInfo ws, String userId, WorkspaceRole newRole) {
        boolean wasAdmin = ws.members().stream().anyMatch(m -> m.userId().equals(userId) && m.role() == WorkspaceRole.ADMIN);
        long admins = ws.members().stream().filter(m -> m.role() == WorkspaceRole.ADMIN).count();
        if (wasAdmin && newRole != WorkspaceRole.ADMIN && admins <= 1) {
            throw SrgException.conflict("Workspace.LastAdmin", "role",
                    "user '" + userId + "' is the workspace's only administrator; make another member ADMIN first");
        }
    }

    private static void putMember(Handle h, String workspaceId, String userId, WorkspaceRole role) {
        new WorkspaceDao(h).putMember(workspaceId, userId, role);
    }

    private static Optional<WorkspaceInfo> find(Handle h, String id) {
        return new WorkspaceDao(h).find(id);
    }
}
