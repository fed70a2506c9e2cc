package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.TestServer;
import java.sql.DriverManager;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Console sessions live in the database: a second server of the cluster knows them (issue 16). */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConsoleSessionAcrossServersTest {

    @Test
    @DisplayName("SPEC HA-1: a session made on one server is valid on another of the cluster; signing out on it ends it on both; only hashes are stored")
    void sessionSurvivesASwitchOfServer() throws Exception {
        try (TestServer a = TestServer.start();
             TestServer b = a.second()) {
            ConsoleHttpTest.Browser onA = new ConsoleHttpTest.Browser(a.url());
            String csrf = ConsoleHttpTest.hidden(onA.get("/console/sign-in").body(), "_csrf");
            var signIn = onA.post("/console/sign-in", Map.of("_csrf", csrf, "method", "token", "token", a.adminToken(),
                    "next", "/console/groups"), Map.of());
            assertThat(signIn.statusCode()).as(signIn.body()).isEqualTo(303);
            String cookie = onA.cookies.get("srg_session");
            assertThat(cookie).isNotBlank();

            // the load balancer sends the browser to the other server: still signed in
            ConsoleHttpTest.Browser onB = new ConsoleHttpTest.Browser(b.url());
            onB.cookies.putAll(onA.cookies);
            assertThat(onB.get("/console/groups").statusCode()).isEqualTo(200);

            // nothing stored can be replayed: the cookie and the token only as hashes
            try (var c = DriverManager.getConnection(a.database().url(), a.database().user(), a.database().password());
                 var s = c.createStatement(); var rs = s.executeQuery("SELECT id_hash, token_hash FROM console_sessions")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(ConsoleSessions.hash(cookie)).isNotEqualTo(cookie);
                assertThat(rs.getString(2)).isNotNull().isNotEqualTo(a.adminToken());
            }

            // signing out on B ends the session on A too
            var out = onB.post("/console/sign-out", Map.of("_csrf", onB.csrf()), Map.of());
            assertThat(out.statusCode()).isEqualTo(303);
            ConsoleHttpTest.Browser replay = new ConsoleHttpTest.Browser(a.url());
            replay.cookies.put("srg_session", cookie);
            assertThat(replay.get("/console/groups").statusCode()).isEqualTo(303);
        }
    }
}
