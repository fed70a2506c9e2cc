package dev.srg.api;

import static dev.srg.api.Requests.caller;

import dev.srg.access.AuditLog;
import dev.srg.access.AuditResult;
import dev.srg.access.Policy;
import dev.srg.backup.OnlineBackup;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.SQLException;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /admin/backups}: a backup of this server, streamed as it is taken (docs/upgrading.md,
 * "Backup and restore"). Administrators only; audited, a backup cut short as failed.
 */
final class BackupResource {
    private static final Logger LOG = LoggerFactory.getLogger(BackupResource.class);
    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private BackupResource() {}

    static void register(ApiRoutes api, OnlineBackup backups, AuditLog audit) {
        api.post("/admin/backups", "admin", "Take a backup (administrators): the embedded database copied consistently while"
                        + " the server runs, its password and the regions file, the data-source key only with includeKey=true;"
                        + " streamed as a tar whose last entry (srg-backup-end.json) makes it complete. 409 Backup.ExternalDatabase"
                        + " on an external database, Backup.InProgress while another runs",
                ApiRoutes.NONE, 200, ApiRoutes.ARCHIVE, ctx -> take(ctx, backups, audit, api), "includeKey");
    }

    private static void take(Context ctx, OnlineBackup backups, AuditLog audit, ApiRoutes routes) throws IOException {
        caller(ctx).requireAll("take a backup", Policy.AdministratorAccess);
        boolean withKey = Requests.booleanParam(ctx, "includeKey");
        try (OnlineBackup.Started backup = backups.begin()) {
            ctx.status(200);
            ctx.contentType("application/x-tar");
            ctx.header("Cache-Control", "no-store");
            ctx.header("Content-Disposition", "attachment; filename=\"srg-backup-" + FILE_TIME.format(java.time.Instant.now())
                    + ".tar\"");
            OutputStream out = ctx.res().getOutputStream();
            try {
                backup.writeTo(withKey, out);
                out.flush();
            } catch (IOException | SQLException | RuntimeException e) {
                // the answer's 200 is sent: the client learns of the failure by the stream's abort and the missing end entry
                LOG.warn("backup failed after {} : {}", ctx.res().isCommitted() ? "its answer began" : "nothing was sent", e.toString());
                ApiServer.audited(ctx, audit, routes, AuditResult.of(500, "Backup.Failed"));
                ServletContextRequest.getServletContextRequest(ctx.req()).getServletChannel().abort(e);
                return;
            }
            ApiServer.audited(ctx, audit, routes, AuditResult.of(200, null));
        }
    }
}
