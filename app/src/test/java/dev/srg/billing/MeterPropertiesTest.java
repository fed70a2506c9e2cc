package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.billing.MeterDecider.Decision;
import dev.srg.billing.MeterDecider.InstanceRun;
import dev.srg.billing.MeterDecider.Watermark;
import dev.srg.testing.SeededProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC RG-9: metering under random sequences of instances starting and finishing (their exit now
 * and then recorded late, after a pass metered past it), groups converted, time passing, meter
 * passes, passes run twice and passes lost to a crash — with no database: the decisions of
 * {@link MeterDecider} are applied to an in-memory store of watermarks and bill lines, the way
 * {@link Meter} applies them in one transaction. Seeded ({@code -Dsrg.seed=N}); each property is
 * also shown to catch a deliberately broken meter.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MeterPropertiesTest {
    private static final Instant T0 = Instant.parse("2026-03-01T09:17:00Z");
    private static final String[] GROUPS = {"rg-a", "rg-b"};

    sealed interface Event {}

    record Advance(long millis) implements Event {}

    record Start(int group, long milliCu) implements Event {}

    /** The instance's exit is recorded now, {@code lagMillis} after it happened. */
    record Finish(int index, long lagMillis) implements Event {}

    record Convert(int group) implements Event {}

    record Pass() implements Event {}

    record PassTwice() implements Event {}

    /** A pass decided but never committed (the process died). */
    record CrashedPass() implements Event {}

    static Event event(Random r) {
        return switch (r.nextInt(14)) {
            case 0, 1, 2, 3 -> new Advance(r.nextInt(4) == 0 ? r.nextInt(3 * 3_600_000) : 1 + r.nextInt(600_000));
            case 4, 5, 6 -> new Start(r.nextInt(2), (1 + r.nextInt(16)) * 250L);
            case 7, 8 -> new Finish(r.nextInt(100), r.nextInt(3) == 0 ? r.nextInt(120_000) : 0);
            case 9 -> new Convert(r.nextInt(2));
            case 10, 11 -> new Pass();
            case 12 -> new PassTwice();
            default -> new CrashedPass();
        };
    }

    /** The instances, the store the meter writes, and the meter under test. */
    static final class Model {
        private final BiFunction<List<InstanceRun>, Instant, Decision> meter;
        Instant now = T0;
        final Map<String, InstanceRun> runs = new LinkedHashMap<>();
        final Map<String, Instant> paygUntil = new HashMap<>();
        final Map<String, Boolean> complete = new HashMap<>();
        final Map<String, Map<Instant, Long>> lines = new TreeMap<>();
        private int next;

        Model(BiFunction<List<InstanceRun>, Instant, Decision> meter) {
            this.meter = meter;
        }

        void apply(Event e) {
            switch (e) {
                case Advance a -> now = now.plusMillis(a.millis());
                case Start s -> {
                    String group = GROUPS[s.group()];
                    if (!paygUntil.containsKey(group)) {
                        String id = "i" + next++;
                        runs.put(id, new InstanceRun(id, group, s.milliCu(), now, null, null, null));
                    }
                }
                case Finish f -> {
                    List<InstanceRun> open = runs.values().stream().filter(r -> r.finishedAt() == null).toList();
                    if (!open.isEmpty()) {
                        InstanceRun r = open.get(Math.floorMod(f.index(), open.size()));
                        Instant at = now.minusMillis(f.lagMillis());
                        at = at.isBefore(r.startedAt()) ? r.startedAt() : at;
                        runs.put(r.instanceId(), new InstanceRun(r.instanceId(), r.groupId(), r.milliCu(), r.startedAt(), at, null, null));
                    }
                }
                case Convert c -> paygUntil.putIfAbsent(GROUPS[c.group()], now);
                case Pass p -> pass(true);
                case PassTwice p -> {
                    pass(true);
                    Map<String, Map<Instant, Long>> before = copy(lines);
                    Decision second = pass(true);
                    // SPEC RG-9: idempotent: a second pass at the same time adds nothing
                    assertThat(second.lines()).as("SPEC RG-9: a second pass at %s bills again", now).isEmpty();
                    assertThat(lines).isEqualTo(before);
                }
                case CrashedPass p -> pass(false);
            }
        }

        /** One pass over the runs not yet complete; committed or lost. */
        Decision pass(boolean commit) {
            List<InstanceRun> input = new ArrayList<>();
            for (InstanceRun r : runs.values()) {
                if (!complete.getOrDefault(r.instanceId(), false)) {
                    input.add(new InstanceRun(r.instanceId(), r.groupId(), r.milliCu(), r.startedAt(), r.finishedAt(),
                            watermark.get(r.instanceId()), paygUntil.get(r.groupId())));
                }
            }
            Decision d = meter.apply(input, now);
            if (commit) {
                for (Watermark w : d.watermarks()) {
                    watermark.put(w.instanceId(), w.meteredUntil());
                    complete.put(w.instanceId(), w.complete());
                }
                d.lines().forEach((g, hours) -> hours.forEach((h, delta) ->
                        lines.computeIfAbsent(g, k -> new TreeMap<>()).merge(h, delta, Long::sum)));
            }
            return d;
        }

        final Map<String, Instant> watermark = new HashMap<>();

        /** The exact usage per group and hour of every run over [start, end), where end is given per run. */
        Map<String, Map<Instant, Long>> usage(java.util.function.Function<InstanceRun, Instant> end) {
            Map<String, Map<Instant, Long>> exact = new TreeMap<>();
            for (InstanceRun r : runs.values()) {
                Instant e = end.apply(r);
                if (e != null && e.isAfter(r.startedAt())) {
                    // plainly, hour by hour
                    Instant hour = r.startedAt().truncatedTo(java.time.temporal.ChronoUnit.HOURS);
                    while (hour.isBefore(e)) {
                        Instant next = hour.plus(Duration.ofHours(1));
                        long from = Math.max(hour.toEpochMilli(), r.startedAt().toEpochMilli());
                        long to = Math.min(next.toEpochMilli(), e.toEpochMilli());
                        exact.computeIfAbsent(r.groupId(), k -> new TreeMap<>()).merge(hour, r.milliCu() * (to - from), Long::sum);
                        hour = next;
                    }
                }
            }
            return nonZero(exact);
        }

        /** Where a run's billable time ends: its finish or its group's conversion, whichever is first. */
        Instant billableEnd(InstanceRun r) {
            Instant end = r.finishedAt();
            Instant until = paygUntil.get(r.groupId());
            if (until != null && (end == null || until.isBefore(end))) {
                end = until;
            }
            return end;
        }
    }

    static Map<String, Map<Instant, Long>> copy(Map<String, Map<Instant, Long>> m) {
        Map<String, Map<Instant, Long>> c = new TreeMap<>();
        m.forEach((k, v) -> c.put(k, new TreeMap<>(v)));
        return c;
    }

    static Map<String, Map<Instant, Long>> nonZero(Map<String, Map<Instant, Long>> m) {
        Map<String, Map<Instant, Long>> c = copy(m);
        c.values().forEach(h -> h.values().removeIf(v -> v == 0));
        c.values().removeIf(Map::isEmpty);
        return c;
    }

    // SPEC RG-9: after every committed pass, each hour's line is exactly the CU x time of the runs up
    // to how far each was metered; once every run has ended and one more pass ran, exactly their
    // CU-seconds, hour by hour — whatever crashes, repeated passes and late exits came between.
    static SeededProperty<Long, Event> billsAreExact(BiFunction<List<InstanceRun>, Instant, Decision> meter) {
        return SeededProperty.of("metering: bills equal the CU-seconds exactly", 300, 80, cases(meter, false));
    }

    // SPEC RG-9: idempotent: a pass run twice, or after a lost pass, never bills an hour twice.
    static SeededProperty<Long, Event> passesAreIdempotent(BiFunction<List<InstanceRun>, Instant, Decision> meter) {
        return SeededProperty.of("metering: passes are idempotent", 300, 80, cases(meter, true));
    }

    private static SeededProperty.Cases<Long, Event> cases(BiFunction<List<InstanceRun>, Instant, Decision> meter, boolean idempotence) {
        return new SeededProperty.Cases<>() {
            @Override
            public Long parameters(Random r) {
                return 0L;
            }

            @Override
            public Event event(Random r, Long unused) {
                Event e = MeterPropertiesTest.event(r);
                // the exactness property leaves the explicit double passes to the other one
                return !idempotence && e instanceof PassTwice ? new Pass() : e;
            }

            @Override
            public void check(Long unused, List<Event> events) {
                Model m = new Model(meter);
                for (Event e : events) {
                    m.apply(e);
                    if (!idempotence && (e instanceof Pass)) {
                        assertThat(nonZero(m.lines)).as("SPEC RG-9: after the pass at %s, the lines are the runs' CU x time up to"
                                + " their watermarks", m.now).isEqualTo(m.usage(r -> {
                                    Instant w = m.watermark.get(r.instanceId());
                                    return w == null ? null : w;
                                }));
                    }
                }
                // every run ends, time passes, one last pass
                m.apply(new Advance(1));
                for (int i = 0; i < m.runs.size(); i++) {
                    m.apply(new Finish(0, 0));
                }
                m.apply(new Advance(3_600_000));
                m.pass(true);
                if (!idempotence) {
                    assertThat(nonZero(m.lines)).as("SPEC RG-9: the bill equals the instances' CU-seconds exactly, each hour once")
                            .isEqualTo(m.usage(m::billableEnd));
                } else {
                    Map<String, Map<Instant, Long>> before = copy(m.lines);
                    m.pass(true);
                    assertThat(m.lines).as("SPEC RG-9: a pass after everything was metered bills nothing").isEqualTo(before);
                }
            }
        };
    }

    @Test
    @DisplayName("SPEC RG-9: bills equal the sum of the instances' CU-seconds exactly, each hour once, through crashes")
    void billsAreExact() {
        billsAreExact(MeterDecider::decide).check();
    }

    @Test
    @DisplayName("SPEC RG-9: a wall clock stepped back (NTP) while an instance runs bills no line below zero and no time twice")
    void aClockSteppedBackBillsNothingNegativeNorTwice() {
        Map<Instant, Long> lines = new TreeMap<>();
        Instant[] metered = {null};
        BiFunction<Instant, Instant, Void> pass = (finishedAt, now) -> {
            Decision d = MeterDecider.decide(List.of(new InstanceRun("i-1", "rg-a", 2000, T0, finishedAt, metered[0], null)), now);
            d.lines().getOrDefault("rg-a", Map.of()).forEach((hour, delta) -> lines.merge(hour, delta, Long::sum));
            metered[0] = d.watermarks().getFirst().meteredUntil();
            assertThat(lines.values()).as("after a pass at %s", now).allMatch(v -> v >= 0);
            return null;
        };
        long minute = 2000L * 60_000;
        pass.apply(null, T0.plus(Duration.ofMinutes(48)));               // 09:17 .. 10:05
        pass.apply(null, T0.plus(Duration.ofMinutes(28)));               // stepped back to 09:45
        assertThat(lines).containsEntry(Instant.parse("2026-03-01T09:00:00Z"), 28 * minute)
                .containsEntry(Instant.parse("2026-03-01T10:00:00Z"), 0L);
        pass.apply(null, T0.plus(Duration.ofMinutes(73)));               // caught up: 10:30
        assertThat(lines).containsEntry(Instant.parse("2026-03-01T09:00:00Z"), 43 * minute)
                .containsEntry(Instant.parse("2026-03-01T10:00:00Z"), 30 * minute);
        pass.apply(T0.plus(Duration.ofMinutes(63)), T0.plus(Duration.ofMinutes(80))); // its end recorded as 10:20
        assertThat(lines.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(63 * minute);
    }

    @Test
    @DisplayName("SPEC RG-9: a LOST run (its end unknown) is billed until the meter last saw it, not until it was found lost")
    void aLostRunEndsWhereTheMeterLastSawIt() {
        Instant seen = T0.plus(Duration.ofMinutes(10));
        Instant found = T0.plus(Duration.ofDays(7));
        Decision d = MeterDecider.decide(List.of(new InstanceRun("i-1", "rg-a", 2000, T0, found, seen, null, true)), found);
        assertThat(d.lines()).isEmpty();
        assertThat(d.watermarks()).containsExactly(new Watermark("i-1", seen, true));
        Decision never = MeterDecider.decide(List.of(new InstanceRun("i-2", "rg-a", 2000, T0, found, null, null, true)), found);
        assertThat(never.lines()).isEmpty();
        Decision ended = MeterDecider.decide(List.of(new InstanceRun("i-3", "rg-a", 2000, T0, found, seen, null, false)), found);
        assertThat(ended.lines().get("rg-a").values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(2000L * Duration.between(seen, found).toMillis());
    }

    @Test
    @DisplayName("SPEC RG-9: a pass run twice or after a crash bills nothing twice")
    void passesAreIdempotent() {
        passesAreIdempotent(MeterDecider::decide).check();
    }

    @Test
    @DisplayName("each metering property catches a deliberately broken meter")
    void eachPropertyCatchesABrokenMeter() {
        // a meter that never corrects a late exit: it keeps what it billed past the recorded end
        BiFunction<List<InstanceRun>, Instant, Decision> noCorrection = (runs, now) -> MeterDecider.decide(runs.stream()
                .map(r -> r.finishedAt() != null && r.meteredUntil() != null && r.finishedAt().isBefore(r.meteredUntil())
                        ? new InstanceRun(r.instanceId(), r.groupId(), r.milliCu(), r.startedAt(), r.meteredUntil(), r.meteredUntil(),
                                r.paygUntil())
                        : r).toList(), now);
        assertThat(billsAreExact(noCorrection).findFailure()).as("the exactness property catches a meter without corrections")
                .isPresent();
        // a meter that ignores its watermarks: every pass bills each run from its start again
        BiFunction<List<InstanceRun>, Instant, Decision> noWatermark = (runs, now) -> MeterDecider.decide(runs.stream()
                .map(r -> new InstanceRun(r.instanceId(), r.groupId(), r.milliCu(), r.startedAt(), r.finishedAt(), null, r.paygUntil()))
                .toList(), now);
        assertThat(passesAreIdempotent(noWatermark).findFailure()).as("the idempotence property catches a meter without watermarks")
                .isPresent();
    }
}
