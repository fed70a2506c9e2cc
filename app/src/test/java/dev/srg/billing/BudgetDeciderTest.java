package dev.srg.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.testing.SeededProperty;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SPEC BEY-3: the budget decider over random months of spending, raised and lowered amounts,
 * restarts (the notified thresholds read back from the "store") and month changes, against a
 * reference model: each threshold is notified exactly once in a month, at the first evaluation
 * where the spending reached that share of the amount then in force; the budget is spent out
 * exactly when the spending reached the amount.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BudgetDeciderTest {
    sealed interface Event permits Spend, SetAmount, Restart, NextMonth {}

    record Spend(long micros) implements Event {}

    record SetAmount(long micros) implements Event {}

    record Restart() implements Event {}

    record NextMonth() implements Event {}

    record Params(List<Integer> thresholds, long amount) {}

    interface Decider {
        BudgetDecider.Decision decide(long amount, long spent, List<Integer> thresholds, Set<Integer> notified);
    }

    static SeededProperty<Params, Event> property(Decider decider) {
        return SeededProperty.of("budget: thresholds once a month, spent out at the amount", 300, 60, new SeededProperty.Cases<>() {
            @Override
            public Params parameters(Random r) {
                Set<Integer> t = new TreeSet<>();
                int n = 1 + r.nextInt(4);
                while (t.size() < n) {
                    t.add(r.nextInt(4) == 0 ? 100 : 1 + r.nextInt(100));
                }
                return new Params(List.copyOf(t), 1 + r.nextLong(1_000_000_000L));
            }

            @Override
            public Event event(Random r, Params p) {
                return switch (r.nextInt(10)) {
                    case 0 -> new SetAmount(1 + r.nextLong(1_000_000_000L));
                    case 1 -> new Restart();
                    case 2 -> new NextMonth();
                    default -> new Spend(r.nextLong(p.amount() / 5 + 1));
                };
            }

            @Override
            public void check(Params p, List<Event> events) {
                long amount = p.amount();
                long spent = 0;
                int month = 0;
                // the store: what was notified per month (survives restarts)
                Map<Integer, List<Integer>> stored = new HashMap<>();
                Set<Integer> memory = new HashSet<>();
                for (Event e : events) {
                    switch (e) {
                        case Spend s -> spent += s.micros();
                        case SetAmount a -> amount = a.micros();
                        case Restart x -> memory = new HashSet<>(stored.getOrDefault(month, List.of()));
                        case NextMonth x -> {
                            month++;
                            spent = 0;
                            memory = new HashSet<>();
                        }
                    }
                    BudgetDecider.Decision d = decider.decide(amount, spent, p.thresholds(), Set.copyOf(memory));
                    // the reference: every threshold reached now and not notified this month, once
                    List<Integer> expected = new ArrayList<>();
                    List<Integer> before = stored.getOrDefault(month, List.of());
                    for (int t : p.thresholds()) {
                        if (spent * 100 >= amount * t && !before.contains(t)) {
                            expected.add(t);
                        }
                    }
                    assertThat(d.toNotify()).as("after %s (spent %d of %d)", e, spent, amount).isEqualTo(expected);
                    assertThat(d.spentOut()).as("spent out after %s", e).isEqualTo(spent >= amount);
                    List<Integer> now = new ArrayList<>(before);
                    now.addAll(d.toNotify());
                    assertThat(new HashSet<>(now)).as("each threshold once in month %d", month).hasSize(now.size());
                    stored.put(month, now);
                    memory.addAll(d.toNotify());
                }
            }
        });
    }

    @Test
    @DisplayName("SPEC BEY-3: each threshold is notified once a month, across raises and restarts; spent out exactly at the amount")
    void matchesTheReference() {
        property(BudgetDecider::decide).check();
    }

    @Test
    @DisplayName("SPEC BEY-3: a decider that forgets what it notified after a restart (notifies twice) is caught")
    void brokenVariantIsCaught() {
        var failure = property((amount, spent, thresholds, notified) ->
                BudgetDecider.decide(amount, spent, thresholds, notified.isEmpty() ? notified : Set.of(notified.iterator().next())))
                .findFailure();
        assertThat(failure).isPresent();
    }

    @Test
    @DisplayName("SPEC BEY-3: exact at the boundary: 50 % of 3 micro-units is reached at 1.5, so at 2")
    void boundary() {
        assertThat(BudgetDecider.decide(3, 1, List.of(50), Set.of()).toNotify()).isEmpty();
        assertThat(BudgetDecider.decide(3, 2, List.of(50), Set.of()).toNotify()).containsExactly(50);
        assertThat(BudgetDecider.decide(100, 100, List.of(50, 80, 100), Set.of(50)).toNotify()).containsExactly(80, 100);
        assertThat(BudgetDecider.decide(100, 99, List.of(100), Set.of()).spentOut()).isFalse();
        assertThat(BudgetDecider.decide(100, Long.MAX_VALUE, List.of(100), Set.of()).spentOut()).isTrue();
    }
}
