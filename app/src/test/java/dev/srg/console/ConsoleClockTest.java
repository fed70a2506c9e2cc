package dev.srg.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.access.AccessManager;
import dev.srg.access.Principal;
import dev.srg.time.SimulatedClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import dev.srg.testing.TestDatabases;
import dev.srg.testing.TestServer;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sessions and the sign-in throttle run on the clock they are given, so a test moves time instead of waiting. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ConsoleClockTest {
    private static final Instant T0 = Instant.parse("2026-03-01T09:00:00Z");

    private static SimulatedClock clock() {
        return new SimulatedClock(Clock.fixed(T0, ZoneOffset.UTC));
    }

    @Test
    @DisplayName("SPEC ACC-5: a console session ends after 8 idle hours and after 24 hours in all, on the injected clock")
    void sessionExpiresOnTheInjectedClock() {
        // sessions are kept in the database (issue 16, several servers): a migrated one, from a server
        try (TestServer server = TestServer.start()) {
            TestDatabases.Fresh db = server.database();
            AccessManager access = new AccessManager(Jdbi.create(db.url(), db.user(), db.password()), Clock.systemUTC());
            sessionsExpireOn(access, access.authenticate(server.adminToken()).orElseThrow());
        }
    }

    private static void sessionsExpireOn(AccessManager access, Principal alice) {
        SimulatedClock clock = clock();
        ConsoleSessions sessions = new ConsoleSessions(access, clock);

        String idle = sessions.create(alice, null);
        clock.advance(ConsoleSessions.IDLE.minusSeconds(1));
        assertThat(sessions.find(idle)).as("used just before the idle limit").isPresent();
        clock.advance(ConsoleSessions.IDLE.minusSeconds(1));
        assertThat(sessions.find(idle)).as("each use restarts the idle window").isPresent();
        clock.advance(ConsoleSessions.IDLE.plusSeconds(1));
        assertThat(sessions.find(idle)).as("idle for longer than the limit").isEmpty();

        String busy = sessions.create(alice, null);
        for (Duration used = Duration.ZERO; used.compareTo(ConsoleSessions.ABSOLUTE) < 0; used = used.plusHours(4)) {
            assertThat(sessions.find(busy)).as("in use after %s", used).isPresent();
            clock.advance(Duration.ofHours(4));
        }
        assertThat(sessions.find(busy)).as("at 24 hours exactly").isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(sessions.find(busy)).as("past 24 hours after sign-in, however busy").isEmpty();
    }

    @Test
    @DisplayName("the sign-in throttle blocks a name after 5 failures and lets it try again 15 minutes later, on the injected clock")
    void throttleResetsOnTheInjectedClock() {
        SimulatedClock clock = clock();
        SignInThrottle throttle = new SignInThrottle(clock);
        for (int i = 0; i < SignInThrottle.PER_NAME; i++) {
            assertThat(throttle.blocked("bob", "10.0.0.1")).isEmpty();
            throttle.failed("bob", "10.0.0.1");
        }
        assertThat(throttle.blocked("bob", "10.0.0.2")).contains(SignInThrottle.WINDOW);
        assertThat(throttle.blocked("carol", "10.0.0.1")).as("another name from the same address").isEmpty();

        clock.advance(SignInThrottle.WINDOW.minusSeconds(1));
        assertThat(throttle.blocked("bob", "10.0.0.1")).contains(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(throttle.blocked("bob", "10.0.0.1")).as("the window slid past every failure").isEmpty();
    }
}
