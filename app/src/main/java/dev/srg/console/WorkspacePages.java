package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.access.Policy;
import dev.srg.access.UserInfo;
import dev.srg.error.SrgException;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.store.PageRequest;
import dev.srg.workspace.WorkspaceInfo;
import dev.srg.workspace.WorkspaceManager;
import dev.srg.workspace.WorkspaceRole;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Workspaces: members and the resource groups associated with them (ACC-3: workspace administrators only). */
final class WorkspacePages {
    private WorkspacePages() {}

    static void register(Console c) {
        c.page("/console/workspaces", r -> list(c, r));
        c.action("/console/workspaces", "Create a workspace", r -> create(c, r));
        c.page("/console/workspaces/{id}", r -> details(c, r));
        c.action("/console/workspaces/{id}/rename", "Rename a workspace", r -> update(c, r, "rename"));
        c.action("/console/workspaces/{id}/default", "Set a workspace's default resource group", r -> update(c, r, "default"));
        c.action("/console/workspaces/{id}/members", "Add a workspace member", r -> putMember(c, r));
        c.action("/console/workspaces/{id}/members/{userId}/remove", "Remove a workspace member", r -> {
            c.features.workspaces().removeMember(r.caller, r.path("id"), r.path("userId"));
            r.done("Member removed.", "/console/workspaces/" + r.path("id"));
        });
        c.action("/console/workspaces/{id}/resource-groups", "Associate a resource group with a workspace", r -> associate(c, r));
        c.action("/console/workspaces/{id}/resource-groups/{rgId}/dissociate", "Dissociate a resource group from a workspace", r -> {
            c.features.workspaces().dissociate(r.caller, r.path("id"), r.path("rgId"));
            r.done("Resource group dissociated.", "/console/workspaces/" + r.path("id"));
        });
    }

    private static void list(Console c, ConsoleRequest r) {
        List<WorkspaceInfo> items = c.features.workspaces().list(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        List<ResourceGroupInfo> groups = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        r.render("workspaces/list.jte", model("page", r.page("Workspaces", "workspaces"), "items", items, "form", r.takeForm().of("create"),
                "regions", c.features.regions().list(), "groups", groups, "clientToken", ConsoleSessions.random(),
                "names", r.names()));
    }

    private static void create(Console c, ConsoleRequest r) {
        FormInput in = r.form();
        try {
            WorkspaceInfo ws = c.features.workspaces().create(r.caller, new WorkspaceManager.CreateRequest(in.text("name"),
                    in.text("regionId"), in.text("defaultResourceGroupId"), in.text("clientToken")));
            r.auditResource(ws.id());
            r.done("Workspace " + ws.name() + " created.", "/console/workspaces/" + ws.id());
        } catch (SrgException e) {
            r.refused("create", in, e, List.of("name", "regionId", "defaultResourceGroupId"), "/console/workspaces");
        }
    }

    private static void details(Console c, ConsoleRequest r) {
        WorkspaceInfo ws = c.features.workspaces().get(r.caller, r.path("id"));
        Map<String, String> userNames = new HashMap<>();
        List<UserInfo> users = List.of();
        if (r.caller.isAdministrator()) {
            users = c.features.access().listUsers(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
            users.forEach(u -> userNames.put(u.id(), u.name()));
        }
        userNames.put(r.caller.userId(), r.caller.name());
        Map<String, ResourceGroupInfo> groups = new HashMap<>();
        List<ResourceGroupInfo> visible = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        visible.forEach(g -> groups.put(g.id(), g));
        List<ResourceGroupInfo> associable = visible.stream()
                .filter(g -> g.regionId().equals(ws.regionId()) && !ws.resourceGroupIds().contains(g.id()))
                .filter(g -> r.caller.has(Policy.ResourceGroupFullAccess)) // SPEC ACC-3: what the form may associate
                .toList();
        r.render("workspaces/detail.jte", model("page", r.page(ws.name(), "workspaces").crumb("Workspaces", "/console/workspaces"),
                "ws", ws, "form", r.takeForm(), "admin", GroupPages.isAdmin(r.caller, ws), "userNames", userNames, "users", users,
                "groups", groups, "associable", associable, "roles", WorkspaceRole.values(),
                "advice", InstancePages.advice(c, r, ws.id(), null)));
    }

    private static void update(Console c, ConsoleRequest r, String form) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            if (form.equals("rename")) {
                c.features.workspaces().update(r.caller, id, new WorkspaceManager.UpdateRequest(in.text("name"), null));
            } else {
                String rg = in.text("defaultResourceGroupId");
                c.features.workspaces().update(r.caller, id, new WorkspaceManager.UpdateRequest(null, rg == null ? "" : rg));
            }
            r.done("Saved.", "/console/workspaces/" + id);
        } catch (SrgException e) {
            r.refused(form, in, e, List.of("name", "defaultResourceGroupId"), "/console/workspaces/" + id);
        }
    }

    private static void putMember(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            String user = in.text("userId");
            if (user == null) {
                throw SrgException.invalid("userId", "MissingParameter", "userId is required");
            }
            c.features.workspaces().putMember(r.caller, id, user,
                    new WorkspaceManager.MemberRequest(in.enumValue("role", WorkspaceRole.class)));
            r.auditResource(user);
            r.done("Member saved.", "/console/workspaces/" + id + "#members");
        } catch (SrgException e) {
            r.refused("member", in, e, List.of("userId", "role"), "/console/workspaces/" + id);
        }
    }

    private static void associate(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            c.features.workspaces().associate(r.caller, id, new WorkspaceManager.AssociateRequest(in.text("resourceGroupId"), in.text("clientToken")));
            r.done("Resource group associated.", "/console/workspaces/" + id + "#groups");
        } catch (SrgException e) {
            r.refused("associate", in, e, List.of("resourceGroupId"), "/console/workspaces/" + id);
        }
    }
}
