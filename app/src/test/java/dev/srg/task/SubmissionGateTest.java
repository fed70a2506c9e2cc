package dev.srg.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gate that lets submissions in flight go ahead of a due admission (issue 17, eighth round). */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SubmissionGateTest {

    @Test
    void withNoSubmissionInFlightAdmissionGoesAtOnce() throws Exception {
        SubmissionGate gate = new SubmissionGate(10_000);
        long began = System.nanoTime();
        assertThat(gate.awaitQuiet()).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began)).isLessThan(1_000);
    }

    @Test
    void aSteadySubmissionHoldsAdmissionAtMostTheGatesTime() throws Exception {
        SubmissionGate gate = new SubmissionGate(150);
        SubmissionGate.Submission submission = gate.enter();
        long began = System.nanoTime();
        assertThat(gate.awaitQuiet()).as("the time ran out").isFalse();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertThat(waited).isBetween(150L, 5_000L);
        submission.close();
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void theLastSubmissionToEndReleasesTheWaitingAdmission() throws Exception {
        SubmissionGate gate = new SubmissionGate(30_000);
        SubmissionGate.Submission first = gate.enter();
        SubmissionGate.Submission second = gate.enter();
        CompletableFuture<Boolean> admission = CompletableFuture.supplyAsync(() -> {
            try {
                return gate.awaitQuiet();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        first.close();
        first.close(); // twice counts once: the second is still in flight
        Thread.sleep(200);
        assertThat(admission).as("one submission is still in flight").isNotDone();
        long began = System.nanoTime();
        second.close();
        assertThat(admission.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began)).isLessThan(10_000);
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void zeroNeverWaits() throws Exception {
        SubmissionGate gate = new SubmissionGate(0);
        gate.enter();
        assertThat(gate.awaitQuiet()).isTrue();
        assertThatThrownBy(() -> new SubmissionGate(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Many submissions and admissions at once: every admission ends, every submission is counted out. */
    @Test
    void underConcurrencyNothingWaitsForeverAndTheCountReturnsToZero() throws Exception {
        SubmissionGate gate = new SubmissionGate(5);
        AtomicBoolean submitting = new AtomicBoolean(true);
        AtomicInteger admissions = new AtomicInteger();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> submitters = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                submitters.add(threads.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        SubmissionGate.Submission s = gate.enter();
                        Thread.onSpinWait();
                        s.close();
                    }
                    return null;
                }));
            }
            List<Future<?>> admitters = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                admitters.add(threads.submit(() -> {
                    // at least once: the submitters may all be done before an admitter starts
                    do {
                        gate.awaitQuiet();
                        admissions.incrementAndGet();
                    } while (submitting.get());
                    return null;
                }));
            }
            for (Future<?> f : submitters) {
                f.get(30, TimeUnit.SECONDS);
            }
            submitting.set(false);
            for (Future<?> f : admitters) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(gate.inFlight()).isZero();
        assertThat(admissions.get()).isPositive();
        assertThat(gate.awaitQuiet()).isTrue();
    }
}
