package dev.srg.console;

import static dev.srg.console.ConsoleRequest.model;

import dev.srg.access.AccessManager;
import dev.srg.access.AuditEvent;
import dev.srg.access.Policy;
import dev.srg.access.TokenInfo;
import dev.srg.access.UserInfo;
import dev.srg.error.SrgException;
import dev.srg.store.PageRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** Users, their policies, passwords and tokens; one's own account; the audit log. */
final class AccessPages {
    static final int AUDIT_SHOWN = 200;

    private AccessPages() {}

    static void register(Console c) {
        c.page("/console/users", r -> {
            UsersPage shown = usersPage(c.features.access(), r.caller);
            r.render("users.jte", model("page", r.page("Users and tokens", "users"), "users", shown.users(), "tokens", shown.tokens(),
                    "form", r.takeForm(), "policies", Policy.values(), "clientToken", ConsoleSessions.random()));
        });
        c.action("/console/users", "Create a user", r -> {
            FormInput in = r.form();
            try {
                UserInfo u = c.features.access().createUser(r.caller, new AccessManager.CreateUserRequest(in.text("name"),
                        policies(in), in.raw("password") == null || in.raw("password").isEmpty() ? null : in.raw("password"),
                        in.text("clientToken")));
                r.auditResource(u.id());
                showToken(r, "User " + u.name() + " created.", u);
                r.redirect("/console/users");
            } catch (SrgException e) {
                r.refused("create", in, e, List.of("name", "policies", "password"), "/console/users");
            }
        });
        c.action("/console/users/{id}/policies", "Replace a user's policies", r -> {
            String id = r.path("id");
            FormInput in = r.form();
            try {
                c.features.access().setPolicies(r.caller, id, policies(in));
                r.done("Policies saved.", "/console/users#user-" + id);
            } catch (SrgException e) {
                r.refused("policies-" + id, in, e, List.of("policies"), "/console/users");
            }
        });
        c.action("/console/users/{id}/tokens", "Issue a new token for a user", r -> {
            UserInfo u = c.features.access().issueToken(r.caller, r.path("id"));
            showToken(r, "A new token for " + u.name() + ".", u);
            r.redirect(r.path("id").equals(r.caller.userId()) ? "/console/account" : "/console/users");
        });
        c.action("/console/users/{id}/tokens/{tokenId}/revoke", "Revoke a user's token", r -> {
            String id = r.path("id");
            String tokenId = r.path("tokenId");
            FormInput in = r.form();
            String back = id.equals(r.caller.userId()) && r.query("from") != null ? "/console/account" : "/console/users";
            try {
                c.features.access().revokeToken(r.caller, id, tokenId);
                r.done("Token " + tokenId + " revoked: it authenticates nothing from now on.",
                        back.equals("/console/users") ? back + "#user-" + id : back);
            } catch (SrgException e) {
                r.refused("tokens-" + id, in, e, List.of(), back);
            }
        });
        c.action("/console/users/{id}/password", "Set a user's console password", r -> {
            String id = r.path("id");
            FormInput in = r.form();
            String back = id.equals(r.caller.userId()) && r.query("from") != null ? "/console/account" : "/console/users";
            try {
                // the session that changes its own user's password stays; every other one signed in with a password ends
                c.features.access().setPassword(r.caller, id, in.raw("password"),
                        id.equals(r.caller.userId()) ? c.sessionHash(r.ctx) : null);
                r.done("Password set.", back);
            } catch (SrgException e) {
                r.refused("password-" + id, in, e, List.of("password"), back);
            }
        });
        c.page("/console/account", r -> r.render("account.jte", model("page", r.page("Your account", "account"),
                "user", c.features.access().getUser(r.caller, r.caller.userId()), "tokens", tokens(c, r, r.caller.userId()),
                "form", r.takeForm())));
        c.page("/console/audit", r -> audit(c, r));
    }

    /** What the users page shows: the users and each one's tokens, newest first. */
    record UsersPage(List<UserInfo> users, java.util.Map<String, List<TokenInfo>> tokens) {}

    static UsersPage usersPage(AccessManager access, dev.srg.access.Principal caller) {
        List<UserInfo> users = access.listUsers(caller, PageRequest.first(PageRequest.MAX_SIZE)).items();
        // one statement for every user's tokens (it was one per user)
        java.util.Map<String, List<TokenInfo>> tokens = new java.util.HashMap<>();
        access.tokensOfUsers(caller, users.stream().map(UserInfo::id).toList(), PageRequest.MAX_SIZE)
                .forEach((user, list) -> tokens.put(user, list.reversed()));
        return new UsersPage(users, tokens);
    }

    /** A user's tokens, newest first (a console shows a few; the API pages them all). */
    private static List<TokenInfo> tokens(Console c, ConsoleRequest r, String userId) {
        return c.features.access().listTokens(r.caller, userId, PageRequest.first(PageRequest.MAX_SIZE)).items().reversed();
    }

    private static void showToken(ConsoleRequest r, String message, UserInfo u) {
        // shown once, on the next page only; it never reaches a log or the audit trail
        r.session.flash = new Flash(Flash.Kind.SECRET, message + " Copy the token now; it is not shown again: " + u.token(), java.util.List.of(), null);
    }

    private static List<Policy> policies(FormInput in) {
        List<Policy> list = new ArrayList<>();
        for (String p : in.all("policies")) {
            list.add(new FormInput(java.util.Map.of("policies", List.of(p))).enumValue("policies", Policy.class));
        }
        return list;
    }

    private static void audit(Console c, ConsoleRequest r) {
        Instant to = time("to", r.query("to"));
        Instant from = time("from", r.query("from"));
        if (from == null && to == null) {
            // the entries are stamped with the server's clock (simulated or not): the last day on it
            from = c.clock.instant().minus(Duration.ofDays(1));
        }
        String actor = r.query("actor");
        // the log pages oldest first: read the window through and show its newest entries first
        List<AuditEvent> all = new ArrayList<>();
        PageRequest page = PageRequest.first(500);
        boolean truncated = false;
        for (int i = 0; i < 40; i++) {
            var p = c.features.audit().list(r.caller, from, to, actor, page);
            all.addAll(p.items());
            if (all.size() > 4 * AUDIT_SHOWN) {
                all = new ArrayList<>(all.subList(all.size() - AUDIT_SHOWN, all.size()));
                truncated = true;
            }
            if (p.nextPageToken() == null) {
                break;
            }
            page = PageRequest.parse("500", p.nextPageToken());
        }
        if (all.size() > AUDIT_SHOWN) {
            all = new ArrayList<>(all.subList(all.size() - AUDIT_SHOWN, all.size()));
            truncated = true;
        }
        r.render("audit.jte", model("page", r.page("Audit log", "audit"), "events", all.reversed(),
                "from", r.query("from") == null ? (from == null ? "" : from.toString()) : r.query("from"),
                "to", r.query("to") == null ? "" : r.query("to"), "actor", actor == null ? "" : actor, "truncated", truncated,
                "names", r.names()));
    }

    /** RFC 3339, or the browser's datetime-local (read as UTC). */
    static Instant time(String field, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw SrgException.invalid(field, "InvalidParameter.Time",
                        field + " must be an RFC 3339 UTC time such as 2026-01-31T12:00:00Z");
            }
        }
    }
}
