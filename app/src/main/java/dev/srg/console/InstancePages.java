package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.console.Views.Filters;

import dev.srg.admission.UsageType;
import dev.srg.error.SrgException;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.store.PageRequest;
import dev.srg.sync.SyncMonitor;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager;
import dev.srg.task.InstanceManager.LogChunk;
import dev.srg.task.InstanceStatus;
import dev.srg.task.SubmitRequest;
import dev.srg.workspace.WorkspaceInfo;
import dev.srg.workspace.WorkspaceRole;
import java.util.List;

/** Task instances: the list (live), running a task, an instance's details and its live log. */
final class InstancePages {
    static final List<String> SUBMIT_FIELDS = List.of("workspaceId", "resourceGroupId", "type", "name", "cu", "priority",
            "timeoutSeconds", "script");
    private static final int LOG_CHUNK = 64 * 1024;

    private InstancePages() {}


    static void register(Console c) {
        c.page("/console/instances", r -> list(c, r, false));
        c.page("/console/instances/rows", r -> list(c, r, true));
        c.page("/console/instances/new", r -> newForm(c, r));
        c.action("/console/instances", "Run a task", r -> submit(c, r));
        c.page("/console/instances/{id}", r -> details(c, r, false));
        c.page("/console/instances/{id}/facts", r -> details(c, r, true));
        c.page("/console/instances/{id}/log", r -> log(c, r));
        c.action("/console/instances/{id}/cancel", "Cancel a task instance", r -> {
            InstanceInfo i = c.features.instances().cancel(r.caller, r.path("id"));
            r.done("Cancelling " + i.id() + ".", "/console/instances/" + i.id());
        });
    }

    private static void list(Console c, ConsoleRequest r, boolean fragment) {
        Filters f = new Filters(r.query("resourceGroupId"), r.query("status"), r.query("usageType"), r.query("pageToken"));
        FormInput q = new FormInput(r.ctx.queryParamMap());
        var page = c.features.instances().list(r.caller, f.resourceGroupId(), q.enumValue("status", InstanceStatus.class),
                q.enumValue("usageType", UsageType.class), PageRequest.parse("100", f.pageToken()));
        // newest first on this page of the keyset (ids grow with time)
        List<InstanceInfo> items = page.items().reversed();
        if (fragment) {
            r.render("instances/rows.jte", model("items", items, "names", r.names()));
            return;
        }
        List<ResourceGroupInfo> groups = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        r.render("instances/list.jte", model("page", r.page("Instances", "instances"), "items", items, "filters", f,
                "groups", groups, "statuses", InstanceStatus.values(), "usageTypes", UsageType.values(),
                "nextPageToken", page.nextPageToken() == null ? "" : page.nextPageToken(), "names", r.names()));
    }

    private static void newForm(Console c, ConsoleRequest r) {
        FormState form = r.takeForm().of("submit");
        List<WorkspaceInfo> workspaces = c.features.workspaces().list(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items()
                .stream().filter(w -> r.caller.isAdministrator() || w.members().stream()
                        .anyMatch(m -> m.userId().equals(r.caller.userId()) && m.role() != WorkspaceRole.VISITOR))
                .toList();
        List<ResourceGroupInfo> groups = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        String group = r.query("resourceGroupId");
        String workspace = workspaces.stream().filter(w -> group != null && w.resourceGroupIds().contains(group))
                .map(WorkspaceInfo::id).findFirst().orElse("");
        r.render("instances/new.jte", model("page", r.page("Run a task", "instances").crumb("Instances", "/console/instances"),
                "form", form, "workspaces", workspaces, "groups", groups, "types", c.features.instances().kinds(),
                "resourceGroupId", group == null ? "" : group, "workspaceId", workspace, "clientToken", ConsoleSessions.random()));
    }

    /** The "Run a task" form as a submission (also what its estimate dry-runs). */
    static SubmitRequest submitRequest(FormInput in) {
        String script = in.raw("script");
        return new SubmitRequest(in.text("workspaceId"), in.text("resourceGroupId"), in.text("type"),
                script == null ? null : script.replace("\r\n", "\n"), null, in.cu("cu"), in.integer("priority"),
                in.integer("timeoutSeconds"), null, in.text("name"), in.text("clientToken"));
    }

    private static void submit(Console c, ConsoleRequest r) {
        FormInput in = r.form();
        try {
            InstanceInfo i = c.features.instances().submit(r.caller, submitRequest(in));
            r.auditResource(i.id());
            String warning = i.warnings().isEmpty() ? "" : " Note: " + String.join("; ", i.warnings()) + ".";
            r.done("Submitted " + i.id() + " (" + i.status() + ")." + warning, "/console/instances/" + i.id());
        } catch (SrgException e) {
            r.refused("submit", in, e, SUBMIT_FIELDS, "/console/instances/new");
        }
    }

    /**
     * SPEC BEY-4: right-sizing advice for a workspace's recurring tasks (or the one named); none for
     * a viewer the workspace does not let read it.
     */
    static List<InstanceManager.TaskAdvice> advice(Console c, ConsoleRequest r, String workspaceId, String name) {
        try {
            return c.features.instances().advise(r.caller, workspaceId, name);
        } catch (SrgException e) {
            return List.of();
        }
    }

    /** The first dirty records a sync's page shows (all of them: GET /instances/{id}/dirty-records). */
    private static final int DIRTY_SHOWN = 20;

    private static void details(Console c, ConsoleRequest r, boolean fragment) {
        // a sync's progress and dirty records (SPEC DI-4, DI-5), read from its worker's log like the API's
        InstanceInfo i = c.features.syncs().withProgress(r.caller, c.features.instances().get(r.caller, r.path("id")));
        if (fragment) {
            r.render("instances/facts.jte", model("i", i, "page", r.page(i.id(), "instances"), "names", r.names()));
            return;
        }
        List<SyncMonitor.DirtyRecord> dirty = i.progress() == null || Fmt.count(i.progress(), "dirtyRecords") == 0 ? List.of()
                : dirtyShown(c, r, i);
        r.render("instances/detail.jte", model("page", r.page(i.id(), "instances").crumb("Instances", "/console/instances"),
                "i", i, "dirty", dirty, "names", r.names(), "advice",
                i.name() == null ? List.of() : advice(c, r, i.workspaceId(), i.name())));
    }

    /** The first dirty records, or none for a viewer without a role in the task's workspace (as for its log). */
    private static List<SyncMonitor.DirtyRecord> dirtyShown(Console c, ConsoleRequest r, InstanceInfo i) {
        try {
            return c.features.syncs().dirtyRecords(r.caller, i.id()).items().stream().limit(DIRTY_SHOWN).toList();
        } catch (SrgException e) {
            if (e.status() != 403) {
                throw e;
            }
            return List.of();
        }
    }

    /** A chunk of the log from {@code offset}, for the page's live reader (X-Next-Offset says where to go on). */
    private static void log(Console c, ConsoleRequest r) {
        long offset;
        try {
            offset = r.query("offset") == null ? 0 : Long.parseLong(r.query("offset"));
        } catch (NumberFormatException e) {
            throw SrgException.invalid("offset", "InvalidParameter.Offset", "offset must be a number of bytes, 0 or more");
        }
        LogChunk chunk = c.features.instances().log(r.caller, r.path("id"), offset, LOG_CHUNK);
        r.ctx.header("X-Next-Offset", Long.toString(chunk.nextOffset()));
        r.ctx.header("X-Instance-Finished", Boolean.toString(chunk.finished()));
        r.ctx.contentType("text/plain; charset=utf-8").result(chunk.bytes());
    }
}
