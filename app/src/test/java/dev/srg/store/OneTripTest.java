package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.testing.TestDatabases;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Independent reads in one round trip (issue 17): what the submission's workspace, group and network reads rely on. */
@Tag("database")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class OneTripTest {
    private static TestDatabases.Fresh db;
    private static Jdbi jdbi;

    @BeforeAll
    static void open() {
        db = TestDatabases.fresh();
        jdbi = Jdbi.create(db.url(), db.user(), db.password());
    }

    @AfterAll
    static void drop() {
        TestDatabases.drop(db);
    }

    @Test
    @DisplayName("each read gets its own row, in the trip's order, or none; a parameter is bound in every read that names it, a null one as SQL NULL")
    void readsComeBackInTheirOrder() {
        OneTrip.Read<String> first = new OneTrip.Read<>("SELECT :x || '-first'", (rs, ctx) -> rs.getString(1));
        OneTrip.Read<Integer> none = new OneTrip.Read<>("SELECT 1 WHERE :x = 'not it'", (rs, ctx) -> rs.getInt(1));
        OneTrip.Read<String> fallback = new OneTrip.Read<>("SELECT COALESCE(:y, 'default of ' || :x)", (rs, ctx) -> rs.getString(1));
        Map<String, String> params = new HashMap<>();
        params.put("x", "v");
        params.put("y", null);

        OneTrip.Results read = jdbi.withHandle(h -> OneTrip.run(h, params, List.of(first, none, fallback)));

        assertThat(read.get(first)).contains("v-first");
        assertThat(read.get(none)).isEmpty();
        assertThat(read.get(fallback)).contains("default of v");
        OneTrip.Read<String> other = new OneTrip.Read<>("SELECT 'x'", (rs, ctx) -> rs.getString(1));
        assertThatThrownBy(() -> read.get(other)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("issue 17: the reads reach the store together, in one round trip (one implicit transaction), not one after another")
    void oneRoundTrip() {
        // separate round trips in autocommit are separate transactions: their start times differ by the sleep
        OneTrip.Read<Instant> before = new OneTrip.Read<>("SELECT transaction_timestamp()", (rs, ctx) -> rs.getTimestamp(1).toInstant());
        OneTrip.Read<Instant> slept = new OneTrip.Read<>("SELECT transaction_timestamp() FROM pg_sleep(0.05)",
                (rs, ctx) -> rs.getTimestamp(1).toInstant());
        OneTrip.Read<Instant> after = new OneTrip.Read<>("SELECT transaction_timestamp() WHERE :x = 'x'",
                (rs, ctx) -> rs.getTimestamp(1).toInstant());

        OneTrip.Results read = jdbi.withHandle(h -> OneTrip.run(h, Map.of("x", "x"), List.of(before, slept, after)));

        assertThat(read.get(slept)).isEqualTo(read.get(before));
        assertThat(read.get(after)).isEqualTo(read.get(before));
        // and the same reads one at a time are not
        Instant alone = jdbi.withHandle(h -> h.createQuery(before.sql()).map(before.mapper()).one());
        Instant secondAlone = jdbi.withHandle(h -> h.createQuery(slept.sql()).map(slept.mapper()).one());
        assertThat(secondAlone).isAfter(alone);
    }

    @Test
    @DisplayName("a read of one row that finds two is refused, not half-read")
    void moreThanOneRowIsRefused() {
        OneTrip.Read<Integer> two = new OneTrip.Read<>("SELECT * FROM generate_series(1, 2)", (rs, ctx) -> rs.getInt(1));
        OneTrip.Read<Integer> one = new OneTrip.Read<>("SELECT 1", (rs, ctx) -> rs.getInt(1));
        assertThatThrownBy(() -> jdbi.withHandle(h -> OneTrip.run(h, Map.of(), List.of(one, two))))
                .hasStackTraceContaining("more than one row");
    }
}
