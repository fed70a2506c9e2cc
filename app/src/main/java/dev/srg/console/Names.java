package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.UserInfo;
import dev.srg.dataservice.DataServiceManager.AppInfo;
import dev.srg.datasource.DataSourceInfo;
import dev.srg.group.ResourceGroupInfo;
import dev.srg.store.PageRequest;
import dev.srg.workspace.WorkspaceInfo;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names for the ids a page shows (issue 19: ids where names would do): groups and workspaces the
 * viewer may read, users when the viewer may list them (else only the viewer's own name). Read
 * once per page, on first use; an id without a readable name stays an id.
 */
public final class Names {
    private final Console console;
    private final ConsoleRequest request;
    private Map<String, String> groups;
    private Map<String, String> workspaces;
    private Map<String, String> users;
    private Map<String, String> dataSources;
    private Map<String, String> apps;

    Names(Console console, ConsoleRequest request) {
        this.console = requireNonNull(console, "console is null");
        this.request = requireNonNull(request, "request is null");
    }

    /** The group's name, or null when the viewer may not read it. */
    public String group(String id) {
        return id == null ? null : groups().get(id);
    }

    /** Every group the viewer may read, id to name, in the order the API lists them (a form's choices). */
    public Map<String, String> groups() {
        if (groups == null) {
            groups = new LinkedHashMap<>();
            for (ResourceGroupInfo g : console.features.groups().list(request.caller, null, null,
                    PageRequest.first(PageRequest.MAX_SIZE)).items()) {
                groups.put(g.id(), g.name());
            }
        }
        return groups;
    }

    /** The data source's name, or null when the viewer may not read it (or data sources are not served). */
    public String dataSource(String id) {
        if (dataSources == null) {
            dataSources = new HashMap<>();
            if (console.features.dataSources() != null) {
                for (DataSourceInfo d : console.features.dataSources().list(request.caller, null,
                        PageRequest.first(PageRequest.MAX_SIZE)).items()) {
                    dataSources.put(d.id(), d.name());
                }
            }
        }
        return id == null ? null : dataSources.get(id);
    }

    /** The DataService app's name, or null when the viewer may not read it (or DataService is not served). */
    public String app(String id) {
        if (apps == null) {
            apps = new HashMap<>();
            if (console.features.dataService() != null) {
                for (AppInfo a : console.features.dataService().manager().listApps(request.caller,
                        PageRequest.first(PageRequest.MAX_SIZE)).items()) {
                    apps.put(a.id(), a.name());
                }
            }
        }
        return id == null ? null : apps.get(id);
    }

    /** The workspace's name, or null when the viewer may not read it. */
    public String workspace(String id) {
        if (workspaces == null) {
            workspaces = new HashMap<>();
            for (WorkspaceInfo w : console.features.workspaces().list(request.caller, PageRequest.first(PageRequest.MAX_SIZE)).items()) {
                workspaces.put(w.id(), w.name());
            }
        }
        return id == null ? null : workspaces.get(id);
    }

    /** The user's name, or null when the viewer may not list users and it is not the viewer. */
    public String user(String id) {
        if (users == null) {
            users = new HashMap<>();
            users.put(request.caller.userId(), request.caller.name());
            if (request.caller.isAdministrator()) {
                for (UserInfo u : console.features.access().listUsers(request.caller, PageRequest.first(PageRequest.MAX_SIZE)).items()) {
                    users.put(u.id(), u.name());
                }
            }
        }
        return id == null ? null : users.get(id);
    }

    /** The name of a group, workspace or user with this id (an audit entry's resource), or null. */
    public String any(String id) {
        if (id == null) {
            return null;
        }
        String n = group(id);
        if (n == null) {
            n = workspace(id);
        }
        return n != null ? n : user(id);
    }
}
