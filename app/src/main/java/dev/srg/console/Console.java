package dev.srg.console;

import static java.util.Objects.requireNonNull;

import dev.srg.access.AuditAction;
import dev.srg.access.AuditEntry;
import dev.srg.access.AuditResult;
import dev.srg.access.Principal;
import dev.srg.api.ApiServer;
import dev.srg.error.SrgException;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console: server-rendered pages under {@code /console} in the API's own Javalin app. Like
 * the API it is a thin edge over the feature managers, called with the signed-in user's
 * {@link Principal}, so the managers' rules and authorization apply unchanged.
 *
 * <p>Every page needs a session (an HttpOnly, SameSite=Lax cookie; Secure behind https); every
 * state-changing request carries the session's CSRF token and comes from this origin; every change
 * is written to the audit log like the API's.
 */
public final class Console implements AutoCloseable {
    static final String HOME = "/console/groups";
    static final String SIGN_IN = "/console/sign-in";
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    final ApiServer.Features features;
    final ConsoleExtensions extensions;
    final Clock clock;
    final ConsoleSessions sessions;
    final SignInThrottle throttle;
    final Assets assets;
    private final TemplateEngine templates;
    private final byte[] signInKey;
    private final boolean forceSecureCookies;
    private RoutesConfig routes;

    /**
     * @param clock the server's clock (simulated in tests of time): windows of usage, bills and the
     *     audit log are read on it
     * @param wallClock the clock sessions and the sign-in throttle run on: the real one in a server,
     *     so that moving a simulated clock forward a month does not sign everyone out; a test may move it
     * @param forceSecureCookies mark cookies Secure over plain http too (behind a TLS-terminating proxy)
     */
    public Console(ApiServer.Features features, ConsoleExtensions extensions, Clock clock, Clock wallClock,
                   boolean forceSecureCookies) {
        this.features = requireNonNull(features, "features is null");
        this.extensions = requireNonNull(extensions, "extensions is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.sessions = new ConsoleSessions(features.access(), wallClock);
        this.throttle = new SignInThrottle(wallClock);
        this.assets = new Assets();
        this.templates = TemplateEngine.createPrecompiled(null, ContentType.Html, null, "dev.srg.console.templates");
        this.signInKey = Base64.getUrlDecoder().decode(ConsoleSessions.random());
        this.forceSecureCookies = forceSecureCookies;
    }

    /** Adds the console's routes to the app (called by {@link ApiServer} while it configures Javalin). */
    public void register(JavalinConfig cfg) {
        this.routes = cfg.routes;
        routes.get("/", ctx -> ctx.redirect(HOME, HttpStatus.FOUND));
        routes.get("/console", ctx -> ctx.redirect(HOME, HttpStatus.FOUND));
        routes.get("/console/", ctx -> ctx.redirect(HOME, HttpStatus.FOUND));
        routes.get("/console/assets/{version}/{name}", this::asset);
        SignInPages.register(this, routes);
        GroupPages.register(this);
        InstancePages.register(this);
        WorkspacePages.register(this);
        NetworkPages.register(this);
        ImagePages.register(this);
        AccessPages.register(this);
        ExtensionPages.register(this);
        BeyondPages.register(this);
        DataServicePages.register(this);
        DataSourcePages.register(this);
    }

    /** A page handler of a signed-in user. */
    interface Handler {
        void handle(ConsoleRequest r) throws Exception;
    }

    /** A page (GET). */
    void page(String path, Handler handler) {
        routes.get(path, ctx -> serve(ctx, handler, null));
    }

    /**
     * A change (POST from a form): checked for the CSRF token and the origin, and audited under
     * {@code name} (what the audit page shows, e.g. "Scale a resource group").
     */
    void action(String path, String name, Handler handler) {
        String label = requireNonNull(name, "name is null");
        routes.post(path, ctx -> serve(ctx, handler, label));
    }

    /** A change audited with words made from its path; prefer {@link #action(String, String, Handler)}. */
    void action(String path, Handler handler) {
        routes.post(path, ctx -> serve(ctx, handler, ""));
    }

    /** @param changeName the audit name of a change (blank: words from the path), null for a page */
    private void serve(Context ctx, Handler handler, String changeName) throws Exception {
        boolean change = changeName != null;
        headers(ctx);
        String cookie = sessionCookie(ctx);
        Optional<ConsoleSessions.Session> session = sessions.find(cookie);
        Optional<Principal> caller = session.flatMap(sessions::principal);
        if (caller.isEmpty()) {
            sessions.invalidate(cookie);
            String next = change ? "" : "?next=" + java.net.URLEncoder.encode(
                    ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString()), StandardCharsets.UTF_8);
            if (ctx.header("HX-Request") != null) {
                ctx.header("HX-Redirect", SIGN_IN + next).status(401);
                return;
            }
            ctx.redirect(SIGN_IN + next, HttpStatus.SEE_OTHER);
            return;
        }
        ConsoleRequest r = new ConsoleRequest(this, ctx, caller.get(), session.get());
        if (change) {
            String token = ctx.formParam("_csrf");
            if (token == null) {
                token = ctx.header("X-CSRF-Token");
            }
            if (!ConsoleSessions.same(token, r.session.csrf) || !sameOrigin(ctx)) {
                features.audit().record(new AuditEntry(r.caller.name(), AuditAction.console("POST", ctx.path(), changeName), null,
                        AuditResult.of(403, "Forbidden.Csrf"), null));
                error(ctx, r.page("Refused", ""), 403, "This form is not valid any more (or came from another site). "
                        + "Go back, reload the page and try again.");
                return;
            }
        }
        try {
            handler.handle(r);
        } catch (SrgException e) {
            r.failed(e);
            if (change) {
                r.session.flash = Flash.error(e.detail());
                r.redirect(back(ctx));
            } else {
                error(ctx, r.page(e.status() == 404 ? "Not found" : "Refused", ""), e.status(), e.detail());
            }
        } catch (Exception e) {
            String reference = UUID.randomUUID().toString();
            LOG.error("console: unexpected error {} on {} {}", reference, ctx.method(), ctx.path(), e);
            r.failed(new SrgException(500, "InternalError", null, "internal error"));
            error(ctx, r.page("Error", ""), 500, "Something went wrong on the server; its log has the details under reference "
                    + reference + ".");
        } finally {
            if (change) {
                String resource = r.auditResource();
                if (resource == null) {
                    resource = ctx.pathParamMap().values().stream().reduce((a, b) -> b).orElse(null);
                }
                features.audit().record(new AuditEntry(r.caller.name(), AuditAction.console("POST", ctx.path(), changeName), resource,
                        r.auditResult(), null));
            }
        }
    }

    void error(Context ctx, Page page, int status, String message) {
        ctx.status(status).contentType("text/html; charset=utf-8")
                .result(render("error.jte", Map.of("page", page, "status", status, "message", message)));
    }

    String render(String template, Map<String, Object> params) {
        StringOutput out = new StringOutput(16 * 1024);
        templates.render(template, params, out);
        return out.toString();
    }

    /** Where to go back after a refused action: the page it came from when that is ours, else home. */
    private static String back(Context ctx) {
        String referer = ctx.header("Referer");
        if (referer != null) {
            try {
                java.net.URI uri = java.net.URI.create(referer);
                String host = ctx.header("Host");
                if (host != null && host.equals(uri.getRawAuthority()) && uri.getRawPath() != null
                        && uri.getRawPath().startsWith("/console/")) {
                    return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
                }
            } catch (IllegalArgumentException e) {
                // not a URI: go home
            }
        }
        return HOME;
    }

    /** Refuses requests that a browser says come from another site (on top of the CSRF token). */
    static boolean sameOrigin(Context ctx) {
        String site = ctx.header("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return false;
        }
        String origin = ctx.header("Origin");
        if (origin == null || origin.equals("null")) {
            return origin == null;
        }
        String host = ctx.header("Host");
        try {
            return host != null && host.equalsIgnoreCase(java.net.URI.create(origin).getRawAuthority());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static void headers(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("Cache-Control", "no-store");
    }

    boolean secure(Context ctx) {
        return forceSecureCookies || "https".equalsIgnoreCase(ctx.scheme())
                || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    }

    String sessionCookieName(Context ctx) {
        // the __Host- prefix makes the browser refuse the cookie unless Secure, host-only and Path=/
        return secure(ctx) ? "__Host-srg_session" : "srg_session";
    }

    /** The stored key of this request's session (the SHA-256 of its cookie), or null. */
    String sessionHash(Context ctx) {
        String cookie = sessionCookie(ctx);
        return cookie == null ? null : ConsoleSessions.hash(cookie);
    }

    private String sessionCookie(Context ctx) {
        String c = ctx.cookie("__Host-srg_session");
        return c != null ? c : ctx.cookie("srg_session");
    }

    void setCookie(Context ctx, String name, String value, String path, int maxAgeSeconds, String sameSite) {
        StringBuilder sb = new StringBuilder(name).append('=').append(value).append("; Path=").append(path)
                .append("; HttpOnly; SameSite=").append(sameSite);
        if (maxAgeSeconds >= 0) {
            sb.append("; Max-Age=").append(maxAgeSeconds);
        }
        if (secure(ctx)) {
            sb.append("; Secure");
        }
        ctx.res().addHeader("Set-Cookie", sb.toString());
    }

    /** The CSRF token of the sign-in form: an HMAC of the pre-sign-in cookie (double submit, unforgeable). */
    String signInToken(String preCookie) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(signInKey, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(preCookie.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    Page anonymousPage(String title, Flash flash) {
        return new Page(title, "", null, "", flash, java.util.List.of(), assets.version());
    }

    private void asset(Context ctx) {
        Assets.Asset a = assets.get(ctx.pathParam("name"));
        if (a == null) {
            ctx.status(404).contentType("text/plain").result("no such asset");
            return;
        }
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Cache-Control", ctx.pathParam("version").equals(assets.version())
                ? "public, max-age=31536000, immutable" : "no-cache");
        ctx.contentType(a.contentType()).result(a.bytes());
    }

    @Override
    public void close() {
        // sessions live in memory only; nothing to release
    }
}
