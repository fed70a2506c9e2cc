package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.access.AccessManager;
import dev.srg.access.Principal;
import dev.srg.access.TokenInfo;
import dev.srg.access.UserInfo;
import dev.srg.store.PageRequest;
import dev.srg.testing.Fixtures;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestServer;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.StatementContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The console's users page reads its users and their tokens in a fixed number of statements, not one per user. */
@Tag("database")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConsoleUsersPageTest {
    @Test
    @DisplayName("the users page: two statements (users, then all their tokens) however many users, each user's tokens newest first")
    void oneTokenQueryForThePage() {
        try (TestServer server = TestServer.start()) {
            Fixtures fx = new Fixtures(server);
            for (int i = 0; i < 12; i++) {
                var u = fx.user("VpcReadOnlyAccess");
                if (i % 3 == 0) {
                    assertThat(server.admin().post("users/" + u.id() + "/tokens", null).status()).isEqualTo(201);
                }
            }
            TestDatabases.Fresh db = server.database();
            Jdbi jdbi = Jdbi.create(db.url(), db.user(), db.password());
            AtomicInteger statements = new AtomicInteger();
            jdbi.getConfig(SqlStatements.class).setSqlLogger(new SqlLogger() {
                @Override
                public void logAfterExecution(StatementContext context) {
                    statements.incrementAndGet();
                }
            });
            AccessManager access = new AccessManager(jdbi, Clock.systemUTC());
            Principal admin = access.authenticate(server.adminToken()).orElseThrow();
            statements.set(0);

            AccessPages.UsersPage page = AccessPages.usersPage(access, admin);

            int counted = statements.get();
            assertThat(page.users()).hasSizeGreaterThanOrEqualTo(13);
            assertThat(counted).as("statements for %s users", page.users().size()).isEqualTo(2);
            // the same tokens, in the same order, as each user's own list shows them (newest first)
            for (UserInfo u : page.users()) {
                List<TokenInfo> own = access.listTokens(admin, u.id(), PageRequest.first(PageRequest.MAX_SIZE)).items().reversed();
                assertThat(page.tokens().get(u.id())).as(u.name()).isEqualTo(own);
            }
            assertThat(page.tokens().values().stream().mapToInt(List::size).sum()).isGreaterThanOrEqualTo(13 + 4);
        }
    }
}
