package dev.srg.console;

import dev.srg.access.AuditAction;
import dev.srg.access.AuditEntry;
import dev.srg.access.AuditResult;
import dev.srg.access.Principal;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Sign-in (a user name and password set by an administrator, or a bearer token) and sign-out.
 * The form is protected against login CSRF by a pre-sign-in cookie and its HMAC in the form;
 * failures are rate-limited per name and address; a token typed here is never logged or audited.
 */
final class SignInPages {
    private static final String PRE = "srg_signin";

    private SignInPages() {}

    static void register(Console console, RoutesConfig routes) {
        routes.get(Console.SIGN_IN, ctx -> show(console, ctx));
        routes.post(Console.SIGN_IN, ctx -> signIn(console, ctx));
        console.action("/console/sign-out", r -> {
            console.sessions.invalidate(r.ctx.cookie(console.sessionCookieName(r.ctx)));
            console.sessions.invalidate(r.ctx.cookie("srg_session"));
            console.setCookie(r.ctx, console.sessionCookieName(r.ctx), "", "/", 0, "Lax");
            r.redirect(Console.SIGN_IN + "?signedOut=1");
        });
    }

    private static void show(Console console, Context ctx) {
        Console.headers(ctx);
        String next = safeNext(ctx.queryParam("next"));
        Flash flash = ctx.queryParam("signedOut") != null ? Flash.ok("You are signed out.") : null;
        render(console, ctx, 200, flash, "password", "", next, null);
    }

    private static void render(Console console, Context ctx, int status, Flash flash, String method, String name, String next,
                               String error) {
        String pre = ConsoleSessions.random();
        console.setCookie(ctx, PRE, pre, Console.SIGN_IN, 3600, "Strict");
        Page page = console.anonymousPage("Sign in", flash);
        ctx.status(status).contentType("text/html; charset=utf-8").result(console.render("signin.jte", Map.of(
                "page", page, "csrf", console.signInToken(pre), "method", method, "name", name, "next", next,
                "error", error == null ? "" : error)));
    }

    private static void signIn(Console console, Context ctx) {
        Console.headers(ctx);
        String method = "token".equals(ctx.formParam("method")) ? "token" : "password";
        String name = Optional.ofNullable(ctx.formParam("name")).orElse("").strip();
        String next = safeNext(ctx.formParam("next"));
        String pre = ctx.cookie(PRE);
        String csrf = ctx.formParam("_csrf");
        if (pre == null || !ConsoleSessions.same(csrf, console.signInToken(pre)) || !Console.sameOrigin(ctx)) {
            render(console, ctx, 403, null, method, name, next,
                    "The sign-in form expired or your browser refused its cookie. Please try again.");
            return;
        }
        if (dev.srg.error.Names.badText(name) != null) {
            // a NUL reached the database's query and the audit's insert (500): no user has such a name
            console.features.audit().record(new AuditEntry("(invalid name)", AuditAction.Named.CONSOLE_SIGN_IN, null,
                    AuditResult.of(400, "InvalidParameter.Characters"), method));
            render(console, ctx, 400, null, method, "", next, "A user name " + dev.srg.error.Names.badText(name) + ".");
            return;
        }
        String who = method.equals("token") ? "(token)" : name;
        String address = ctx.ip();
        Optional<Duration> wait = console.throttle.blocked(who, address);
        if (wait.isPresent()) {
            long minutes = Math.max(1, (wait.get().toSeconds() + 59) / 60);
            console.features.audit().record(new AuditEntry(who, AuditAction.Named.CONSOLE_SIGN_IN, null,
                    AuditResult.of(429, "SignIn.Throttled"), method));
            render(console, ctx, 429, null, method, name, next,
                    "Too many failed sign-ins. Try again in " + minutes + " minute" + (minutes == 1 ? "" : "s") + ".");
            return;
        }
        Optional<Principal> principal;
        String token = null;
        if (method.equals("token")) {
            token = Optional.ofNullable(ctx.formParam("token")).orElse("").strip();
            principal = console.features.access().authenticate(token);
        } else {
            principal = console.features.access().authenticatePassword(name, Optional.ofNullable(ctx.formParam("password")).orElse(""));
        }
        if (principal.isEmpty()) {
            console.throttle.failed(who, address);
            console.features.audit().record(new AuditEntry(who, AuditAction.Named.CONSOLE_SIGN_IN, null,
                    AuditResult.of(401, "Unauthorized"), method));
            render(console, ctx, 401, null, method, name, next, method.equals("token")
                    ? "That token is not valid." : "Wrong user name or password.");
            return;
        }
        console.throttle.succeeded(who);
        String id = console.sessions.create(principal.get(), token);
        console.setCookie(ctx, console.sessionCookieName(ctx), id, "/", -1, "Lax");
        console.setCookie(ctx, PRE, "", Console.SIGN_IN, 0, "Strict");
        console.features.audit().record(new AuditEntry(principal.get().name(), AuditAction.Named.CONSOLE_SIGN_IN,
                principal.get().userId(), AuditResult.OK, method));
        ctx.redirect(next, HttpStatus.SEE_OTHER);
    }

    /** Only a path of the console itself: never another site (no open redirect). */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/console/") || next.startsWith("//") || next.contains("\\")
                || next.startsWith(Console.SIGN_IN) || next.chars().anyMatch(c -> c < 0x20)) {
            return Console.HOME;
        }
        return next;
    }
}
