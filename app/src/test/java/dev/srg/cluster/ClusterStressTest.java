package dev.srg.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stress profile, outside the default run: three servers on one PostgreSQL, clients on all of
 * them; the leader is killed with SIGKILL at a random moment, again and again (every tenth time
 * SIGSTOPped past its lease and let go instead), and each one killed comes back as a follower.
 * Run: {@code ./run-tests -Dtest=ClusterStressTest -Dsrg.test.excludedGroups=none -Dsrg.cluster.rounds=50}.
 */
@Tag("stress")
@Timeout(value = 90, unit = TimeUnit.MINUTES)
class ClusterStressTest {

    @Test
    @DisplayName("kill -9 the leader at random moments, 50 times: a new leader within 15 s each time, nothing lost, doubled or over capacity")
    void killTheLeaderAgainAndAgain() throws Exception {
        int rounds = Integer.getInteger("srg.cluster.rounds", 50);
        try (ClusterFixture cluster = new ClusterFixture(3, 6)) {
            cluster.startAll();
            cluster.startClients(3);
            List<Duration> takeovers = new ArrayList<>();
            List<Thread> restarts = new ArrayList<>();
            int paused = 0;
            for (int round = 0; round < rounds; round++) {
                // two alive at least, so that one is left to take over
                while (cluster.alive().size() < 2) {
                    Thread.sleep(200);
                }
                Thread.sleep(ThreadLocalRandom.current().nextLong(200, 3000));
                Map.Entry<String, Long> before = cluster.leader();
                ClusterFixture.Node leader = cluster.node(before.getKey());
                Instant at = Instant.now();
                if (round % 10 == 9) {
                    // SPEC HA-1 (fencing): paused past its lease, then let go: it writes nothing and stops
                    leader.paused = true;
                    leader.process.signal("STOP");
                    takeovers.add(cluster.awaitNewLeader(before.getKey(), before.getValue(), at));
                    Instant takenOver = cluster.leaseAcquiredAt();
                    Thread.sleep(1000);
                    leader.process.signal("CONT");
                    assertThat(leader.process.waitForExit(Duration.ofSeconds(30))).isEqualTo(3);
                    assertThat(cluster.writesBy(before.getKey(), takenOver)).isZero();
                    leader.paused = false;
                    paused++;
                } else {
                    leader.process.kill();
                    leader.process = null;
                    takeovers.add(cluster.awaitNewLeader(before.getKey(), before.getValue(), at));
                }
                leader.process = null;
                restarts.add(Thread.ofVirtual().start(() -> {
                    try {
                        cluster.start(leader);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (Thread t : restarts) {
                t.join(300_000);
            }
            cluster.stopClients();
            cluster.awaitDrained(Duration.ofMinutes(5));
            Duration worst = takeovers.stream().max(Duration::compareTo).orElseThrow();
            double mean = takeovers.stream().mapToLong(Duration::toMillis).average().orElse(0);
            System.out.printf("cluster stress: %d rounds (%d paused), takeover mean %.0f ms, worst %d ms%n",
                    rounds, paused, mean, worst.toMillis());
            assertThat(worst).isLessThan(Duration.ofSeconds(15));
            cluster.assertNothingLostOrDoubled();
        }
    }
}
