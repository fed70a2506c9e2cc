package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.connectivity.ConnectivityTests;
import dev.srg.datasource.DataSourceInfo;
import dev.srg.datasource.DataSourceManager;
import dev.srg.datasource.DataSourceType;
import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import java.util.List;
import java.util.Locale;

/**
 * Data sources (SPEC DI-1): the list with a create form, a data source with its edit form, delete,
 * and a connectivity test from a group. The password is a write-only field: never shown back, left
 * empty to keep it; a refused form is shown again without it (FormInput.values).
 */
final class DataSourcePages {
    private static final List<String> FIELDS = List.of("name", "workspaceId", "type", "host", "port", "database", "user", "path");

    private DataSourcePages() {}

    static void register(Console c) {
        c.page("/console/data-sources", r -> list(c, r));
        c.action("/console/data-sources", r -> {
            FormInput in = r.form();
            try {
                DataSourceInfo ds = c.features.dataSources().create(r.caller, new DataSourceManager.CreateRequest(in.text("name"),
                        in.text("workspaceId"), type(in.text("type")), in.text("host"), in.integer("port"), in.text("database"),
                        in.text("user"), password(in), in.text("path"), in.text("clientToken")));
                r.auditResource(ds.id());
                r.done("Data source " + ds.name() + " created.", "/console/data-sources/" + ds.id());
            } catch (SrgException e) {
                r.refused("create", in, e, FIELDS, "/console/data-sources");
            }
        });
        c.page("/console/data-sources/{id}", r -> details(c, r));
        c.action("/console/data-sources/{id}", r -> {
            String id = r.path("id");
            FormInput in = r.form();
            try {
                // an empty password field keeps the password; the checkbox removes it
                String password = in.checkbox("removePassword") ? "" : password(in);
                c.features.dataSources().update(r.caller, id, new DataSourceManager.UpdateRequest(in.text("name"), in.text("host"),
                        in.integer("port"), in.text("database"), in.text("user"), password, in.text("path")));
                r.auditResource(id);
                r.done("Data source saved.", "/console/data-sources/" + id);
            } catch (SrgException e) {
                r.refused("edit", in, e, FIELDS, "/console/data-sources/" + id);
            }
        });
        c.action("/console/data-sources/{id}/delete", r -> {
            c.features.dataSources().delete(r.caller, r.path("id"));
            r.done("Data source deleted.", "/console/data-sources");
        });
        c.action("/console/data-sources/{id}/test", r -> test(c, r));
    }

    /** The password as typed (blanks are part of it); an empty field is none. */
    private static String password(FormInput in) {
        String typed = in.raw("password");
        return typed == null || typed.isEmpty() ? null : typed;
    }

    private static DataSourceType type(String text) {
        try {
            return text == null ? null : DataSourceType.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw SrgException.invalid("type", "InvalidParameter.DataSource.Type", "type must be POSTGRESQL, MYSQL or CSV; got " + text);
        }
    }

    private static void list(Console c, ConsoleRequest r) {
        List<DataSourceInfo> sources = c.features.dataSources().list(r.caller, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        var workspaces = c.features.workspaces().list(r.caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        r.render("datasources/list.jte", model("page", r.page("Data sources", "data-sources"), "sources", sources,
                "workspaces", workspaces, "form", r.takeForm().of("create"), "names", r.names()));
    }

    private static void details(Console c, ConsoleRequest r) {
        DataSourceInfo ds = c.features.dataSources().get(r.caller, r.path("id"));
        var groups = c.features.groups().list(r.caller, null, null, PageRequest.first(PageRequest.MAX_SIZE)).items();
        FormState form = r.takeForm();
        r.render("datasources/detail.jte", model("page", r.page(ds.name(), "data-sources").crumb("Data sources",
                "/console/data-sources"), "ds", ds, "groups", groups, "form", form.of("edit"), "testForm", form.of("test"), "names", r.names()));
    }

    /** SPEC DI-1, DI-8: a real connection to the data source from inside the group's network, as the API's test. */
    private static void test(Console c, ConsoleRequest r) {
        String id = r.path("id");
        FormInput in = r.form();
        try {
            if (in.text("resourceGroupId") == null) {
                throw SrgException.invalid("resourceGroupId", "MissingParameter", "choose the group to test from");
            }
            var result = c.features.connectivityTests().test(r.caller, in.text("resourceGroupId"),
                    new ConnectivityTests.Request(null, null, id, null));
            String message = result.reachable() ? "Reachable from the group (path " + result.path() + ")."
                    : "Not reachable from the group: " + result.reason() + ".";
            Flash.Link instance = result.instanceId() == null ? null
                    : new Flash.Link("/console/instances/" + result.instanceId(), "the test's instance");
            r.auditResource(result.instanceId());
            r.done(new Flash(result.reachable() ? Flash.Kind.OK : Flash.Kind.ERROR, message, List.of(), instance),
                    "/console/data-sources/" + id);
        } catch (SrgException e) {
            r.refused("test", in, e, List.of("resourceGroupId"), "/console/data-sources/" + id);
        }
    }
}
