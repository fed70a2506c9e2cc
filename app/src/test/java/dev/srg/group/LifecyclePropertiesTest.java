package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.error.SrgException;
import dev.srg.group.LifecycleSimulation.Event;
import dev.srg.group.LifecycleSimulation.Invariant;
import dev.srg.quantity.ComputeUnits;
import dev.srg.testing.SeededProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lifecycle's deciders under random event sequences (buy, scale, convert, renew, auto-renew
 * on/off, time passing by seconds to months, enable, unsubscribe, tasks starting and ending), with
 * no database: {@link LifecycleSimulation} applies the decisions in memory and checks one SPEC
 * rule per property after every event. Seeded ({@link SeededProperty}: {@code -Dsrg.seed=N}
 * re-runs one case). Each property is also run against a deliberately broken decider and must
 * catch it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LifecyclePropertiesTest {
    private static final int TRIES = 300;
    private static final int MAX_EVENTS = 60;

    static SeededProperty<LifecycleSimulation.Purchase, Event> property(Invariant invariant, LifecycleDeciders deciders) {
        return SeededProperty.of("lifecycle: " + invariant, TRIES, MAX_EVENTS, new SeededProperty.Cases<>() {
            @Override
            public LifecycleSimulation.Purchase parameters(Random r) {
                return LifecycleSimulation.purchase(r);
            }

            @Override
            public Event event(Random r, LifecycleSimulation.Purchase p) {
                return LifecycleSimulation.event(r);
            }

            @Override
            public void check(LifecycleSimulation.Purchase p, List<Event> events) {
                LifecycleSimulation sim = new LifecycleSimulation(deciders, p, Set.of(invariant));
                for (Event e : events) {
                    sim.apply(e);
                }
            }
        });
    }

    private static LifecycleDeciders real() {
        return new LifecycleDeciders(LifecycleSimulation.CONFIG);
    }

    @Test
    @DisplayName("SPEC RG-3, RG-9: a subscription's paid-through time equals the sum of its orders' periods")
    void paidThroughIsTheSumOfThePeriods() {
        property(Invariant.PAID_THROUGH, real()).check();
    }

    @Test
    @DisplayName("SPEC RG-3: auto-renewal happens exactly once per month, 24 h before expiry")
    void autoRenewalOncePerCycleBeforeExpiry() {
        property(Invariant.AUTO_RENEW_ONCE_BEFORE_EXPIRY, real()).check();
    }

    @Test
    @DisplayName("SPEC RG-7: a pay-as-you-go group freezes exactly after 7 idle days, never while active")
    void freezesAfterSevenIdleDays() {
        property(Invariant.FREEZE_AFTER_IDLE_DAYS, real()).check();
    }

    @Test
    @DisplayName("SPEC RG-8: an expired group is released exactly after the retention")
    void releasedAfterRetention() {
        property(Invariant.RELEASE_AFTER_RETENTION, real()).check();
    }

    @Test
    @DisplayName("SPEC RG-5: scale-in below the usage is accepted with a warning and stops nothing")
    void scaleInNeverKills() {
        property(Invariant.SCALE_IN_NEVER_KILLS, real()).check();
    }

    @Test
    @DisplayName("SPEC BEY-6: a submission resumes a FROZEN group exactly when it is pay-as-you-go and opted in")
    void resumeOnDemand() {
        property(Invariant.RESUME_ON_DEMAND, real()).check();
    }

    @Test
    @DisplayName("each lifecycle property catches a deliberately broken decider")
    void eachPropertyCatchesABrokenDecider() {
        LifecycleConfig c = LifecycleSimulation.CONFIG;
        // SPEC RG-3: renewing a live group from now instead of from its expiry loses paid days
        assertCaught(Invariant.PAID_THROUGH, new LifecycleDeciders(c) {
            @Override
            LifecycleDecision renew(GroupState g, BillingCycle cycle, String actor, Instant now) {
                LifecycleDecision d = super.renew(g, cycle, actor, now);
                if (g.status() == GroupStatus.EXPIRED) {
                    return d;
                }
                Purchase o = d.purchases().getFirst();
                return new LifecycleDecision(List.of(new LifecycleChange.SetExpiry(cycle.addTo(now))), List.of(new Purchase(
                        o.resourceGroupId(), o.type(), o.billingMode(), o.specCu(), null, cycle, now, cycle.addTo(now), actor, now, null)),
                        d.audit(), d.warnings());
            }
        });
        // SPEC RG-3: an auto-renewal that does not move the expiry renews the same month again and again
        assertCaught(Invariant.AUTO_RENEW_ONCE_BEFORE_EXPIRY, new LifecycleDeciders(c) {
            @Override
            LifecycleDecision autoRenew(GroupState g, Instant now) {
                LifecycleDecision d = super.autoRenew(g, now);
                return new LifecycleDecision(List.of(), d.purchases(), d.audit(), d.warnings());
            }
        });
        // SPEC RG-3: renewing at expiry instead of 24 h before it
        assertCaught(Invariant.AUTO_RENEW_ONCE_BEFORE_EXPIRY,
                new LifecycleDeciders(new LifecycleConfig(c.scaleDuration(), c.convertDuration(), c.retention(), Duration.ZERO)));
        // SPEC RG-7: a freeze that ignores activity freezes busy groups
        assertCaught(Invariant.FREEZE_AFTER_IDLE_DAYS, new LifecycleDeciders(c) {
            @Override
            LifecycleDecision freeze(GroupState g, Instant lastActivity, String by, Instant now) {
                return super.freeze(g, null, null, now);
            }
        });
        // SPEC RG-8: a day short of the retention
        assertCaught(Invariant.RELEASE_AFTER_RETENTION, new LifecycleDeciders(c.withRetention(c.retention().minusDays(1))));
        // SPEC RG-5: refusing a scale-in below what runs (the tasks would have to be stopped)
        assertCaught(Invariant.SCALE_IN_NEVER_KILLS, new LifecycleDeciders(c) {
            @Override
            LifecycleDecision scale(GroupState g, ComputeUnits spec, long minimums, long used, String actor, Instant now) {
                if (spec.milli() < used) {
                    throw SrgException.conflict("ResourceGroup.Spec.InUse", "tasks use more than " + spec);
                }
                return super.scale(g, spec, minimums, used, actor, now);
            }
        });
    }

    @Test
    @DisplayName("the BEY-6 property catches a decider that resumes groups that did not opt in")
    void resumeOnDemandCatchesABrokenDecider() {
        assertCaught(Invariant.RESUME_ON_DEMAND, new LifecycleDeciders(LifecycleSimulation.CONFIG) {
            @Override
            LifecycleDecision resumeOnDemand(GroupState g, boolean optedIn, String instanceId, Instant now) {
                return super.resumeOnDemand(g, true, instanceId, now);
            }
        });
    }

    private static void assertCaught(Invariant invariant, LifecycleDeciders broken) {
        var failure = property(invariant, broken).findFailure();
        assertThat(failure).as("the %s property catches the broken decider", invariant).isPresent();
        assertThat(failure.get().events().size()).as("shrunk").isLessThanOrEqualTo(failure.get().originalLength());
    }
}
