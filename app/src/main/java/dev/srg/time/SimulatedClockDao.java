package dev.srg.time;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jdbi.v3.core.Jdbi;

/** SQL for the simulated clock's offset, kept so that a restart keeps the simulated time. */
public final class SimulatedClockDao {
    private final Jdbi jdbi;

    public SimulatedClockDao(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    /** How far ahead of real time the clock was moved before (zero when never). */
    public Duration savedOffset() {
        return Duration.ofMillis(jdbi.withHandle(h -> h.createQuery("SELECT offset_millis FROM simulated_clock WHERE id = 1")
                .mapTo(Long.class).findOne().orElse(0L)));
    }

    public void saveOffset(Duration offset) {
        jdbi.useHandle(h -> h.createUpdate("""
                INSERT INTO simulated_clock (id, offset_millis) VALUES (1, :o)
                ON CONFLICT (id) DO UPDATE SET offset_millis = EXCLUDED.offset_millis""")
                .bind("o", offset.toMillis()).execute());
    }
}
