package dev.srg.access;

import static java.util.Objects.requireNonNull;

import dev.srg.error.SrgException;
import dev.srg.store.IdempotencyKeys;
import dev.srg.store.Ids;
import dev.srg.store.PageRequest;
import dev.srg.store.PageRequest.Page;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Users, their policies and bearer tokens (stored only as SHA-256 hashes), passwords for the
 * console, the bootstrap administrator and the service-linked role (ACC-4).
 */
public final class AccessManager {
    public static final String SERVICE_LINKED_ROLE = "SrgServiceRoleForResourceGroups";
    private static final Pattern USER_NAME = Pattern.compile("[a-z][a-z0-9._-]{1,63}");

    private final Jdbi jdbi;
    private final Clock clock;

    public AccessManager(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public record CreateUserRequest(String name, List<Policy> policies, String password, String clientToken) {}

    /**
     * Creates the bootstrap administrator when the store has no user yet, writing its token to
     * {@code tokenFile} (mode 0600). Returns the token when it was created now.
     */
    public Optional<String> bootstrap(Path tokenFile) throws IOException {
        Optional<String> token = jdbi.inTransaction(h -> {
            h.execute("LOCK TABLE users IN EXCLUSIVE MODE");
            long users = h.createQuery("SELECT count(*) FROM users").mapTo(Long.class).one();
            if (users > 0) {
                return Optional.<String>empty();
            }
            Instant now = clock.instant();
            String id = insertUser(h, "admin", EnumSet.allOf(Policy.class), null, now);
            AuditLog.record(h, now, AuditEntry.system(AuditAction.Named.USER_BOOTSTRAP, id, "bootstrap administrator 'admin'"));
            return Optional.of(insertToken(h, id, now));
        });
        if (token.isPresent()) {
            Files.createDirectories(tokenFile.getParent());
            Files.deleteIfExists(tokenFile);
            Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tokenFile, token.get() + "\n", StandardOpenOption.TRUNCATE_EXISTING);
        }
        return token;
    }

    /** The caller behind a bearer token, if the token is valid. */
    public Optional<Principal> authenticate(String token) {
        if (token == null || token.isBlank() || token.length() > 200) {
            return Optional.empty();
        }
        return jdbi.withHandle(h -> h.createQuery("""
                SELECT u.id, u.name, u.policies FROM tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = :hash AND t.revoked_at IS NULL""")
                .bind("hash", IdempotencyKeys.sha256(token))
                .map((rs, ctx) -> new Principal(rs.getString(1), rs.getString(2), parsePolicies(rs.getString(3))))
                .findOne());
    }

    /** The user with this name and password (console sign-in), if they match. */
    public Optional<Principal> authenticatePassword(String name, String password) {
        if (name == null || password == null) {
            return Optional.empty();
        }
        record Row(Principal principal, String hash) {}
        Optional<Row> row = jdbi.withHandle(h -> h.createQuery("SELECT id, name, policies, password_hash FROM users WHERE name = :name")
                .bind("name", name)
                .map((rs, ctx) -> new Row(new Principal(rs.getString(1), rs.getString(2), parsePolicies(rs.getString(3))),
                        rs.getString(4)))
                .findOne());
        // an unknown user (or one without a password) costs the same hashing as a wrong password,
        // so the answer's timing does not tell which user names exist
        String hash = row.map(Row::hash).orElse(null);
        boolean matches = Passwords.verify(password, hash == null ? DUMMY_HASH : hash);
        return matches && hash != null ? row.map(Row::principal) : Optional.empty();
    }

    private static final String DUMMY_HASH = Passwords.hash("not a password of anyone: only spends the time a check takes");

    public UserInfo createUser(Principal caller, CreateUserRequest request) {
        caller.requireAll("create users", Policy.AdministratorAccess);
        if (request.name() == null) {
            throw SrgException.invalid("name", "MissingParameter", "name is required");
        }
        if (!USER_NAME.matcher(request.name()).matches()) {
            throw SrgException.invalid("name", "InvalidParameter.User.Name",
                    "name must be 2 to 64 characters: a lowercase letter, then lowercase letters, digits, '.', '_' or '-'");
        }
        Set<Policy> policies = policies(request.policies());
        validatePassword(request.password());
        String[] token = new String[1];
        String id = IdempotencyKeys.createOnce(jdbi, caller.userId(), "user", request.clientToken(),
                request.name() + "|" + policies + "|" + (request.password() == null ? "" : IdempotencyKeys.sha256(request.password())),
                clock::instant, h -> {
                    if (h.createQuery("SELECT count(*) FROM users WHERE name = :name").bind("name", request.name())
                            .mapTo(Long.class).one() > 0) {
                        throw SrgException.conflict("User.AlreadyExists", "name", "a user named '" + request.name() + "' exists");
                    }
                    Instant now = clock.instant();
                    String newId = insertUser(h, request.name(), policies,
                            request.password() == null ? null : Passwords.hash(request.password()), now);
                    token[0] = insertToken(h, newId, now);
                    return newId;
                });
        UserInfo user = getUser(caller, id);
        // a repeat of an idempotent create does not show the token again: it is shown once
        return token[0] == null ? user : user.withToken(token[0]);
    }

    public Page<UserInfo> listUsers(Principal caller, PageRequest page) {
        caller.requireAll("list users", Policy.AdministratorAccess);
        return jdbi.withHandle(h -> page.page(h.createQuery(
                "SELECT id, name, policies, created_at FROM users WHERE id > :after ORDER BY id LIMIT :limit")
                .bind("after", page.afterId()).bind("limit", page.limit())
                .map(USER).list(), UserInfo::id));
    }

    public UserInfo getUser(Principal caller, String id) {
        if (!caller.userId().equals(id)) {
            caller.requireAll("read other users", Policy.AdministratorAccess);
        }
        return jdbi.withHandle(h -> findUser(h, id)).orElseThrow(() -> SrgException.notFound("User", id));
    }

    public UserInfo setPolicies(Principal caller, String id, List<Policy> requested) {
        caller.requireAll("change policies", Policy.AdministratorAccess);
        Set<Policy> policies = policies(requested);
        jdbi.useTransaction(h -> {
            h.execute("LOCK TABLE users IN EXCLUSIVE MODE");
            UserInfo user = findUser(h, id).orElseThrow(() -> SrgException.notFound("User", id));
            if (user.policies().contains(Policy.AdministratorAccess) && !policies.contains(Policy.AdministratorAccess)
                    && countAdministrators(h) <= 1) {
                throw SrgException.conflict("User.LastAdministrator", "policies",
                        "'" + user.name() + "' is the last administrator: grant AdministratorAccess to another user first");
            }
            h.createUpdate("UPDATE users SET policies = :p WHERE id = :id").bind("p", join(policies)).bind("id", id).execute();
        });
        return getUser(caller, id);
    }

    public UserInfo issueToken(Principal caller, String userId) {
        if (!caller.userId().equals(userId)) {
            caller.requireAll("issue tokens for other users", Policy.AdministratorAccess);
        }
        String token = jdbi.inTransaction(h -> {
            findUser(h, userId).orElseThrow(() -> SrgException.notFound("User", userId));
            return insertToken(h, userId, clock.instant());
        });
        return getUser(caller, userId).withToken(token);
    }

    public void setPassword(Principal caller, String userId, String password) {
        if (!caller.userId().equals(userId)) {
            caller.requireAll("set other users' passwords", Policy.AdministratorAccess);
        }
        if (password == null) {
            throw SrgException.invalid("password", "MissingParameter", "password is required");
        }
        validatePassword(password);
        String hash = Passwords.hash(password);
        int rows = jdbi.withHandle(h -> h.createUpdate("UPDATE users SET password_hash = :h WHERE id = :id")
                .bind("h", hash).bind("id", userId).execute());
        if (rows == 0) {
            throw SrgException.notFound("User", userId);
        }
    }

    /**
     * ACC-4: the first purchase creates the service-linked role, which needs
     * ServiceLinkedRoleAccess; once it exists, purchases reuse it. Runs in the purchase's transaction.
     */
    public void ensureServiceLinkedRole(Handle h, Principal buyer) {
        h.execute("LOCK TABLE service_linked_role IN EXCLUSIVE MODE");
        boolean exists = h.createQuery("SELECT count(*) FROM service_linked_role").mapTo(Long.class).one() > 0;
        if (exists) {
            return;
        }
        if (!buyer.has(Policy.ServiceLinkedRoleAccess)) {
            throw SrgException.forbidden("ServiceLinkedRole.NotExist",
                    "the service-linked role " + SERVICE_LINKED_ROLE + " does not exist yet and user '" + buyer.name()
                            + "' may not create it (needs ServiceLinkedRoleAccess): ask an administrator to authorize it"
                            + " by making the first purchase, or to grant you ServiceLinkedRoleAccess");
        }
        Instant now = clock.instant();
        h.createUpdate("INSERT INTO service_linked_role (name, created_by, created_at) VALUES (:n, :by, :now)")
                .bind("n", SERVICE_LINKED_ROLE).bind("by", buyer.userId()).bind("now", now).execute();
        AuditLog.record(h, now, new AuditEntry(buyer.name(), AuditAction.Named.SERVICE_LINKED_ROLE_CREATE, SERVICE_LINKED_ROLE,
                AuditResult.OK, null));
    }

    public boolean serviceLinkedRoleExists() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM service_linked_role").mapTo(Long.class).one() > 0);
    }

    public boolean userExists(Handle h, String userId) {
        return findUser(h, userId).isPresent();
    }

    private static Set<Policy> policies(List<Policy> requested) {
        if (requested == null) {
            throw SrgException.invalid("policies", "MissingParameter", "policies is required (it may be empty)");
        }
        if (requested.stream().anyMatch(p -> p == null)) {
            throw SrgException.invalid("policies", "InvalidParameter.Policy", "policies may not contain null; valid: "
                    + Arrays.toString(Policy.values()));
        }
        return requested.isEmpty() ? EnumSet.noneOf(Policy.class) : EnumSet.copyOf(requested);
    }

    private static void validatePassword(String password) {
        if (password != null && (password.length() < 8 || password.length() > 200)) {
            throw SrgException.invalid("password", "InvalidParameter.Password", "password must be 8 to 200 characters");
        }
    }

    private static String insertUser(Handle h, String name, Set<Policy> policies, String passwordHash, Instant now) {
        String id = Ids.next("u", now.toEpochMilli());
        h.createUpdate("""
                INSERT INTO users (id, name, policies, password_hash, created_at)
                VALUES (:id, :name, :policies, :hash, :now)""")
                .bind("id", id).bind("name", name).bind("policies", join(policies))
                .bind("hash", passwordHash).bind("now", now).execute();
        return id;
    }

    private static String insertToken(Handle h, String userId, Instant now) {
        String token = Passwords.newToken();
        h.createUpdate("INSERT INTO tokens (id, user_id, token_hash, created_at) VALUES (:id, :user, :hash, :now)")
                .bind("id", Ids.next("tok", now.toEpochMilli())).bind("user", userId)
                .bind("hash", IdempotencyKeys.sha256(token)).bind("now", now).execute();
        return token;
    }

    private static long countAdministrators(Handle h) {
        return h.createQuery("SELECT policies FROM users").mapTo(String.class).list().stream()
                .filter(p -> parsePolicies(p).contains(Policy.AdministratorAccess)).count();
    }

    private static Optional<UserInfo> findUser(Handle h, String id) {
        return h.createQuery("SELECT id, name, policies, created_at FROM users WHERE id = :id")
                .bind("id", id).map(USER).findOne();
    }

    private static final RowMapper<UserInfo> USER = (rs, ctx) -> new UserInfo(rs.getString("id"), rs.getString("name"),
            List.copyOf(parsePolicies(rs.getString("policies"))), rs.getTimestamp("created_at").toInstant(), null);

    private static String join(Set<Policy> policies) {
        return policies.stream().map(Enum::name).collect(Collectors.joining(","));
    }

    private static Set<Policy> parsePolicies(String s) {
        Set<Policy> set = EnumSet.noneOf(Policy.class);
        if (s != null && !s.isBlank()) {
            for (String p : s.split(",")) {
                set.add(Policy.valueOf(p));
            }
        }
        return set;
    }
}
