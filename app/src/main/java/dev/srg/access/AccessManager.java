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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

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
            AccessDao dao = new AccessDao(h);
            dao.lockUsers();
            if (dao.countUsers() > 0) {
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
        return jdbi.withHandle(h -> new AccessDao(h).principalByToken(IdempotencyKeys.sha256(token)));
    }

    /** The console's sessions, kept in the database (any server of a cluster knows them). */
    public ConsoleSessionStore consoleSessions() {
        return new ConsoleSessionStore(jdbi);
    }

    /** The user with this name and password (console sign-in), if they match. */
    public Optional<Principal> authenticatePassword(String name, String password) {
        if (name == null || password == null) {
            return Optional.empty();
        }
        Optional<AccessDao.Credentials> row = jdbi.withHandle(h -> new AccessDao(h).credentials(name));
        // an unknown user (or one without a password) costs the same hashing as a wrong password,
        // so the answer's timing does not tell which user names exist
        String hash = row.map(AccessDao.Credentials::passwordHash).orElse(null);
        boolean matches = Passwords.verify(password, hash == null ? DUMMY_HASH : hash);
        return matches && hash != null ? row.map(AccessDao.Credentials::principal) : Optional.empty();
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
                    if (new AccessDao(h).nameTaken(request.name())) {
                        throw userExists(request.name());
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
        return jdbi.withHandle(h -> page.page(new AccessDao(h).listUsers(page.afterId(), page.limit()), UserInfo::id));
    }

    public UserInfo getUser(Principal caller, String id) {
        if (!caller.userId().equals(id)) {
            caller.requireAll("read other users", Policy.AdministratorAccess);
        }
        return jdbi.withHandle(h -> new AccessDao(h).findUser(id)).orElseThrow(() -> SrgException.notFound("User", id));
    }

    public UserInfo setPolicies(Principal caller, String id, List<Policy> requested) {
        caller.requireAll("change policies", Policy.AdministratorAccess);
        Set<Policy> policies = policies(requested);
        jdbi.useTransaction(h -> {
            AccessDao dao = new AccessDao(h);
            dao.lockUsers();
            UserInfo user = dao.findUser(id).orElseThrow(() -> SrgException.notFound("User", id));
            boolean demoted = user.policies().contains(Policy.AdministratorAccess) && !policies.contains(Policy.AdministratorAccess);
            if (demoted && dao.countAdministrators() <= 1) {
                throw SrgException.conflict("User.LastAdministrator", "policies",
                        "'" + user.name() + "' is the last administrator: grant AdministratorAccess to another user first");
            }
            // as a revocation (same lock): some administrator keeps a live token, or nobody could administer any more
            if (demoted && dao.countLiveAdministratorTokens(null, id) == 0) {
                throw SrgException.conflict("User.LastAdministratorToken", "policies",
                        "'" + user.name() + "' holds the administrators' last live token: issue a token for another"
                                + " administrator first (POST /api/v1/users/{id}/tokens)");
            }
            dao.setPolicies(id, policies);
        });
        return getUser(caller, id);
    }

    public UserInfo issueToken(Principal caller, String userId) {
        if (!caller.userId().equals(userId)) {
            caller.requireAll("issue tokens for other users", Policy.AdministratorAccess);
        }
        String token = jdbi.inTransaction(h -> {
            new AccessDao(h).findUser(userId).orElseThrow(() -> SrgException.notFound("User", userId));
            return insertToken(h, userId, clock.instant());
        });
        return getUser(caller, userId).withToken(token);
    }

    /** A user's tokens, revoked ones too, without the tokens or their hashes; who may issue them may list them. */
    public Page<TokenInfo> listTokens(Principal caller, String userId, PageRequest page) {
        if (!caller.userId().equals(userId)) {
            caller.requireAll("list other users' tokens", Policy.AdministratorAccess);
        }
        return jdbi.withHandle(h -> {
            AccessDao dao = new AccessDao(h);
            dao.findUser(userId).orElseThrow(() -> SrgException.notFound("User", userId));
            return page.page(dao.listTokens(userId, page.afterId(), page.limit()), TokenInfo::id);
        });
    }

    /**
     * The tokens of several users, revoked ones too, in one statement: per user (every one asked
     * for has an entry) the first {@code perUser} oldest first, as {@link #listTokens}' first page.
     * Administrators only (it is the console's users page).
     */
    public Map<String, List<TokenInfo>> tokensOfUsers(Principal caller, List<String> userIds, int perUser) {
        caller.requireAll("list other users' tokens", Policy.AdministratorAccess);
        Map<String, List<TokenInfo>> byUser = new LinkedHashMap<>();
        userIds.forEach(id -> byUser.put(id, new ArrayList<>()));
        if (!userIds.isEmpty()) {
            jdbi.withHandle(h -> new AccessDao(h).tokensOfUsers(userIds, perUser))
                    .forEach(t -> byUser.computeIfAbsent(t.userId(), k -> new ArrayList<>()).add(t.token()));
        }
        return byUser;
    }

    /**
     * Revokes a user's token: from the commit on, no server of a cluster authenticates it (each
     * request reads the token's row; nothing caches it), and a console session signed in with it
     * ends. Revoking a revoked token changes nothing (the DELETE is idempotent, the first
     * revocation's time stays). Refused when no administrator would keep a live token.
     */
    public void revokeToken(Principal caller, String userId, String tokenId) {
        if (!caller.userId().equals(userId)) {
            caller.requireAll("revoke other users' tokens", Policy.AdministratorAccess);
        }
        jdbi.useTransaction(h -> {
            AccessDao dao = new AccessDao(h);
            // serializes with other revocations and with policy changes, which count administrators
            dao.lockUsers();
            UserInfo user = dao.findUser(userId).orElseThrow(() -> SrgException.notFound("User", userId));
            TokenInfo token = dao.findToken(userId, tokenId).orElseThrow(() -> SrgException.notFound("Token", tokenId));
            if (token.revokedAt() != null) {
                return;
            }
            if (user.policies().contains(Policy.AdministratorAccess) && dao.countLiveAdministratorTokens(tokenId, null) == 0) {
                throw SrgException.conflict("User.LastAdministratorToken", "tokenId",
                        "this is the last live token of an administrator ('" + user.name()
                                + "'): issue a new token first, then revoke this one");
            }
            dao.revokeToken(tokenId, clock.instant());
        });
    }

    public void setPassword(Principal caller, String userId, String password) {
        setPassword(caller, userId, password, null);
    }

    /**
     * Sets a user's console password and ends the console sessions that signed in with a password
     * (a reset is what one does about a stolen session or password), except {@code keepSessionHash}
     * (the SHA-256 of the cookie of the console session that changes its own user's password), in one
     * transaction. Sessions signed in with a token end with the token's revocation instead.
     */
    public void setPassword(Principal caller, String userId, String password, String keepSessionHash) {
        if (!caller.userId().equals(userId)) {
            caller.requireAll("set other users' passwords", Policy.AdministratorAccess);
        }
        if (password == null) {
            throw SrgException.invalid("password", "MissingParameter", "password is required");
        }
        validatePassword(password);
        String hash = Passwords.hash(password);
        if (!jdbi.inTransaction(h -> {
            if (!new AccessDao(h).setPasswordHash(userId, hash)) {
                return false;
            }
            new AccessDao(h).endPasswordSessions(userId, keepSessionHash);
            return true;
        })) {
            throw SrgException.notFound("User", userId);
        }
    }

    /**
     * ACC-4: the first purchase creates the service-linked role, which needs
     * ServiceLinkedRoleAccess; once it exists, purchases reuse it. Runs in the purchase's transaction.
     */
    public void ensureServiceLinkedRole(Handle h, Principal buyer) {
        AccessDao dao = new AccessDao(h);
        dao.lockServiceLinkedRole();
        if (dao.serviceLinkedRoleExists()) {
            return;
        }
        if (!buyer.has(Policy.ServiceLinkedRoleAccess)) {
            throw SrgException.forbidden("ServiceLinkedRole.NotExist",
                    "the service-linked role " + SERVICE_LINKED_ROLE + " does not exist yet and user '" + buyer.name()
                            + "' may not create it (needs ServiceLinkedRoleAccess): ask an administrator to authorize it"
                            + " by making the first purchase, or to grant you ServiceLinkedRoleAccess");
        }
        Instant now = clock.instant();
        dao.insertServiceLinkedRole(SERVICE_LINKED_ROLE, buyer.userId(), now);
        AuditLog.record(h, now, new AuditEntry(buyer.name(), AuditAction.Named.SERVICE_LINKED_ROLE_CREATE, SERVICE_LINKED_ROLE,
                AuditResult.OK, null));
    }

    public boolean serviceLinkedRoleExists() {
        return jdbi.withHandle(h -> new AccessDao(h).serviceLinkedRoleExists());
    }

    public boolean userExists(Handle h, String userId) {
        return new AccessDao(h).findUser(userId).isPresent();
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

    private static SrgException userExists(String name) {
        return SrgException.conflict("User.AlreadyExists", "name", "a user named '" + name + "' exists");
    }

    private static String insertUser(Handle h, String name, Set<Policy> policies, String passwordHash, Instant now) {
        String id = Ids.next("u", now.toEpochMilli());
        if (!new AccessDao(h).insertUser(id, name, policies, passwordHash, now)) {
            throw userExists(name);
        }
        return id;
    }

    /** A new bearer token of the user; only its hash is stored, the token is returned to be shown once. */
    private static String insertToken(Handle h, String userId, Instant now) {
        String token = Passwords.newToken();
        new AccessDao(h).insertToken(Ids.next("tok", now.toEpochMilli()), userId, IdempotencyKeys.sha256(token), now);
        return token;
    }
}
