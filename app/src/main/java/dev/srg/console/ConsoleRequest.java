package dev.srg.console;

import dev.srg.access.AuditResult;
import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/** One request of a signed-in user: the caller (for the managers), the session, and how to answer. */
final class ConsoleRequest {
    final Context ctx;
    final Principal caller;
    final ConsoleSessions.Session session;
    final Viewer viewer;
    private final Console console;
    private AuditResult auditResult = AuditResult.OK;
    private String auditResource;
    private Names names;

    ConsoleRequest(Console console, Context ctx, Principal caller, ConsoleSessions.Session session) {
        this.console = console;
        this.ctx = ctx;
        this.caller = caller;
        this.session = session;
        this.viewer = Viewer.of(caller);
    }

    String path(String name) {
        return ctx.pathParam(name);
    }

    /** A query parameter, or null when absent or blank. */
    String query(String name) {
        String v = ctx.queryParam(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** Names for the ids this page shows, read on first use. */
    Names names() {
        if (names == null) {
            names = new Names(console, this);
        }
        return names;
    }

    FormInput form() {
        return new FormInput(ctx.formParamMap());
    }

    /** The layout's model; takes the one-time message. */
    Page page(String title, String section) {
        Flash flash = session.flash;
        session.flash = null;
        return new Page(title, section, viewer, session.csrf, flash, java.util.List.of(), console.assets.version());
    }

    /** The state of the form refused just before this page (once), or none. */
    FormState takeForm() {
        FormState f = session.form;
        session.form = null;
        return f == null ? FormState.NONE : f;
    }

    void render(String template, Map<String, Object> params) {
        ctx.contentType("text/html; charset=utf-8").result(console.render(template, params));
    }

    static Map<String, Object> model(Object... pairs) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    void redirect(String path) {
        ctx.redirect(path, HttpStatus.SEE_OTHER);
    }

    void done(String message, String path) {
        done(Flash.ok(message), path);
    }

    /** Shows {@code form} again at {@code path} with what was typed and {@code flash} (a quote: nothing was done). */
    void again(String form, FormInput input, Flash flash, String path) {
        session.form = new FormState(form, input.values(), Map.of(), null, null);
        done(flash, path);
    }

    void done(Flash flash, String path) {
        session.flash = flash;
        redirect(path);
    }

    /**
     * A refusal of {@code form}: shown again at {@code back} with the typed values and the message
     * next to the field it names; the audit entry records the refusal.
     */
    void refused(String form, FormInput input, SrgException e, Collection<String> fields, String back) {
        session.form = FormState.refused(form, input.values(), e, fields);
        auditResult = AuditResult.refused(e);
        redirect(back + "#" + form);
    }

    void auditResource(String id) {
        this.auditResource = id;
    }

    AuditResult auditResult() {
        return auditResult;
    }

    String auditResource() {
        return auditResource;
    }

    void failed(SrgException e) {
        auditResult = AuditResult.refused(e);
    }
}
