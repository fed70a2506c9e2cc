package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.srg.testing.SeededProperty;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC BEY-2: which quota profile applies when, against a reference model that walks every minute
 * (no cleverness: a profile applies when its cron matched a minute within its duration before t).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class QuotaScheduleDeciderTest {
    private static final Instant BASE = Instant.parse("2026-03-01T00:00:00Z");
    private static final List<ZoneId> ZONES = List.of(ZoneOffset.UTC, ZoneOffset.ofHoursMinutes(5, 30), ZoneOffset.ofHours(-8));

    record Profile(String cron, int minutes) {}

    record Params(ZoneId zone, List<Profile> profiles) {}

    /** A query: what applies at {@code BASE + offsetMinutes (+ seconds)}, and the timeline of the day after it. */
    record Query(long offsetSeconds) {}

    // ---- the reference model ----

    static int reference(Params p, Instant t) {
        int best = -1;
        Instant bestFired = null;
        for (int i = 0; i < p.profiles().size(); i++) {
            Profile pr = p.profiles().get(i);
            Cron cron = Cron.parse(pr.cron());
            Instant m = t.truncatedTo(ChronoUnit.MINUTES);
            Instant notBefore = t.minus(Duration.ofMinutes(pr.minutes()));
            for (; m.isAfter(notBefore); m = m.minus(Duration.ofMinutes(1))) {
                if (cron.matches(LocalDateTime.ofInstant(m, p.zone()))) {
                    if (bestFired == null || m.isAfter(bestFired)) {
                        best = i;
                        bestFired = m;
                    }
                    break;
                }
            }
        }
        return best;
    }

    static QuotaScheduleDecider decider(Params p) {
        List<QuotaScheduleDecider.Rule> rules = new ArrayList<>();
        p.profiles().forEach(pr -> rules.add(new QuotaScheduleDecider.Rule(Cron.parse(pr.cron()), Duration.ofMinutes(pr.minutes()))));
        return new QuotaScheduleDecider(rules, p.zone());
    }

    // ---- random schedules ----

    static String part(Random r, int lo, int hi) {
        int a = lo + r.nextInt(hi - lo + 1);
        int b = a + r.nextInt(hi - a + 1);
        return switch (r.nextInt(6)) {
            case 0 -> "*";
            case 1 -> "*/" + (1 + r.nextInt(Math.max(1, (hi - lo) / 2)));
            case 2 -> a + "-" + b;
            case 3 -> a + "," + b;
            case 4 -> a + "-" + b + "/" + (1 + r.nextInt(3));
            default -> String.valueOf(a);
        };
    }

    static String cron(Random r) {
        return part(r, 0, 59) + " " + part(r, 0, 23) + " " + (r.nextInt(4) == 0 ? part(r, 1, 28) : "*") + " "
                + (r.nextInt(8) == 0 ? part(r, 1, 12) : "*") + " " + (r.nextInt(3) == 0 ? part(r, 0, 6) : "*");
    }

    static SeededProperty<Params, Query> property(Function<Params, Function<Instant, Integer>> decide) {
        return SeededProperty.of("quota schedule: what applies at t", 150, 25, new SeededProperty.Cases<>() {
            @Override
            public Params parameters(Random r) {
                List<Profile> profiles = new ArrayList<>();
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    profiles.add(new Profile(cron(r), 1 + r.nextInt(r.nextBoolean() ? 120 : 2000)));
                }
                return new Params(ZONES.get(r.nextInt(ZONES.size())), profiles);
            }

            @Override
            public Query event(Random r, Params p) {
                return new Query(r.nextLong(0, Duration.ofDays(400).toSeconds()));
            }

            @Override
            public void check(Params p, List<Query> queries) {
                Function<Instant, Integer> at = decide.apply(p);
                for (Query q : queries) {
                    Instant t = BASE.plusSeconds(q.offsetSeconds());
                    assertThat(at.apply(t)).as("what applies at %s", t).isEqualTo(reference(p, t));
                }
            }
        });
    }

    @Test
    @DisplayName("SPEC BEY-2: the profile that applies at any instant is the one the minute-by-minute reference finds")
    void appliedMatchesTheReference() {
        property(p -> t -> decider(p).at(t).profile()).check();
    }

    @Test
    @DisplayName("SPEC BEY-2: a decider that lets the first profile in the list win instead of the latest firing is caught")
    void brokenVariantIsCaught() {
        // the broken variant: each profile decided alone, the first one that applies wins
        var failure = property(p -> t -> {
            for (int i = 0; i < p.profiles().size(); i++) {
                if (decider(new Params(p.zone(), List.of(p.profiles().get(i)))).at(t).profile() == 0) {
                    return i;
                }
            }
            return -1;
        }).findFailure();
        assertThat(failure).isPresent();
    }

    @Test
    @DisplayName("SPEC BEY-2: the timeline's segments are contiguous, differ from their neighbours and agree with the reference")
    void timelineAgreesWithTheReference() {
        Random r = new Random(18);
        for (int run = 0; run < 40; run++) {
            Params p = new Params(ZONES.get(r.nextInt(ZONES.size())),
                    List.of(new Profile(cron(r), 1 + r.nextInt(600)), new Profile(cron(r), 1 + r.nextInt(600))));
            Instant from = BASE.plusSeconds(r.nextLong(0, Duration.ofDays(300).toSeconds()));
            Instant to = from.plus(Duration.ofDays(2));
            var segments = decider(p).timeline(from, to, 100_000);
            assertThat(segments.getFirst().from()).isEqualTo(from);
            assertThat(segments.getLast().to()).isEqualTo(to);
            for (int i = 0; i < segments.size(); i++) {
                var s = segments.get(i);
                assertThat(s.to()).isAfter(s.from());
                if (i > 0) {
                    assertThat(s.from()).isEqualTo(segments.get(i - 1).to());
                    assertThat(s.profile()).isNotEqualTo(segments.get(i - 1).profile());
                }
                assertThat(reference(p, s.from())).as("%s at the start of %s", p, s).isEqualTo(s.profile());
                Instant inside = s.to().minusSeconds(1);
                assertThat(reference(p, inside)).as("%s at the end of %s", p, s).isEqualTo(s.profile());
            }
        }
    }

    @Test
    @DisplayName("SPEC BEY-2: nights give DATA_INTEGRATION its guarantee: 22:00 to 06:00 in the group's time zone")
    void nights() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        var d = new QuotaScheduleDecider(List.of(new QuotaScheduleDecider.Rule(Cron.parse("0 22 * * *"), Duration.ofHours(8))), berlin);
        assertThat(d.at(Instant.parse("2026-06-10T19:59:00Z")).profile()).isEqualTo(-1); // 21:59 in Berlin (summer)
        var night = d.at(Instant.parse("2026-06-10T20:00:00Z"));
        assertThat(night.profile()).isZero();
        assertThat(night.since()).isEqualTo(Instant.parse("2026-06-10T20:00:00Z"));
        assertThat(d.at(Instant.parse("2026-06-11T03:59:59Z")).profile()).isZero();
        assertThat(d.at(Instant.parse("2026-06-11T04:00:00Z")).profile()).isEqualTo(-1);
        assertThat(d.nextChange(Instant.parse("2026-06-10T12:00:00Z"), Instant.parse("2026-06-30T00:00:00Z")))
                .contains(Instant.parse("2026-06-10T20:00:00Z"));
        // winter: one hour later in UTC
        assertThat(d.at(Instant.parse("2026-01-10T20:30:00Z")).profile()).isEqualTo(-1);
        assertThat(d.at(Instant.parse("2026-01-10T21:00:00Z")).profile()).isZero();
        // a local time the spring change skips fires right after the gap (02:30 on 29 March 2026 is 03:00 CEST)
        var gap = new QuotaScheduleDecider(List.of(new QuotaScheduleDecider.Rule(Cron.parse("30 2 * * *"), Duration.ofMinutes(10))), berlin);
        assertThat(gap.at(Instant.parse("2026-03-29T01:31:00Z")).since()).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
    }

    @Test
    @DisplayName("SPEC BEY-2: cron expressions: fields, names, steps, either day field, and what is refused")
    void cron() {
        Cron weekdays = Cron.parse("*/15 9-17 * JAN-MAR mon-fri");
        assertThat(weekdays.matches(LocalDateTime.parse("2026-01-05T09:45"))).isTrue(); // a Monday
        assertThat(weekdays.matches(LocalDateTime.parse("2026-01-04T09:45"))).isFalse(); // a Sunday
        assertThat(weekdays.matches(LocalDateTime.parse("2026-04-06T09:45"))).isFalse(); // April
        assertThat(weekdays.matches(LocalDateTime.parse("2026-01-05T09:50"))).isFalse();
        Cron either = Cron.parse("0 0 1 * 0"); // the 1st or any Sunday, as classic cron
        assertThat(either.matches(LocalDateTime.parse("2026-01-01T00:00"))).isTrue();
        assertThat(either.matches(LocalDateTime.parse("2026-01-04T00:00"))).isTrue();
        assertThat(either.matches(LocalDateTime.parse("2026-01-05T00:00"))).isFalse();
        assertThat(Cron.parse("0 0 * * 7").matches(LocalDateTime.parse("2026-01-04T00:00"))).as("7 is Sunday").isTrue();
        for (String bad : List.of("", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
                "5-1 * * * *", "*/0 * * * *", "a * * * *", "1,,2 * * * *")) {
            assertThatThrownBy(() -> Cron.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Cron.parse("0 0 30 2 *").firstAfter(BASE, BASE.plus(Duration.ofDays(3000)), ZoneOffset.UTC)).isEmpty();
        assertThat(Cron.parse("0 0 29 2 *").firstAfter(BASE, BASE.plus(Duration.ofDays(3000)), ZoneOffset.UTC))
                .contains(Instant.parse("2028-02-29T00:00:00Z"));
    }
}
