package dev.srg.execution.kubernetes;

import dev.srg.execution.ExitStatus;
import dev.srg.execution.FailureReason;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;

/** Reads a Pod's status: whether it has ended, and with which outcome (exit code, OOMKilled, DeadlineExceeded). */
final class PodOutcome {
    /** Waiting reasons that never resolve by themselves: the Pod can not start. */
    private static final Set<String> CANNOT_START = Set.of("InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError");

    private PodOutcome() {}

    static boolean ended(Pod pod) {
        String phase = phase(pod);
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    /** Why a pending Pod can never start (a bad image reference, say); empty while it may. */
    static Optional<String> cannotStart(Pod pod) {
        return container(pod).map(ContainerStatus::getState).map(s -> s.getWaiting())
                .filter(w -> w.getReason() != null && CANNOT_START.contains(w.getReason()))
                .map(w -> w.getReason() + (w.getMessage() == null ? "" : ": " + w.getMessage()));
    }

    /** When the task's container started, if it did. */
    static Optional<Instant> startedAt(Pod pod) {
        Optional<ContainerStatus> c = container(pod);
        Optional<String> running = c.map(ContainerStatus::getState).map(s -> s.getRunning()).map(r -> r.getStartedAt());
        Optional<String> terminated = c.map(ContainerStatus::getState).map(s -> s.getTerminated()).map(t -> t.getStartedAt());
        return running.or(() -> terminated).flatMap(PodOutcome::instant);
    }

    /** When the task's container ended, if it did. */
    static Optional<Instant> finishedAt(Pod pod) {
        return container(pod).map(ContainerStatus::getState).map(s -> s.getTerminated()).map(t -> t.getFinishedAt())
                .flatMap(PodOutcome::instant);
    }

    /**
     * The outcome of an ended Pod. DeadlineExceeded (its {@code activeDeadlineSeconds}, the
     * instance's timeout) is a TIMEOUT, OOMKilled an OUT_OF_MEMORY, an exit code 0 a success, any
     * other code NON_ZERO_EXIT; a Pod that failed without a container exit (evicted, say) is LOST.
     */
    static ExitStatus of(Pod pod, Instant now, String limitsNote) {
        PodStatus status = pod.getStatus();
        Optional<ContainerStateTerminated> terminated = container(pod).map(ContainerStatus::getState).map(s -> s.getTerminated());
        Instant started = terminated.map(ContainerStateTerminated::getStartedAt).flatMap(PodOutcome::instant)
                .or(() -> Optional.ofNullable(status == null ? null : status.getStartTime()).flatMap(PodOutcome::instant))
                .orElse(null);
        Instant finished = terminated.map(ContainerStateTerminated::getFinishedAt).flatMap(PodOutcome::instant).orElse(now);
        if (started != null && finished.isBefore(started)) {
            finished = started;
        }
        String podReason = status == null ? null : status.getReason();
        if ("DeadlineExceeded".equals(podReason)) {
            return new ExitStatus(null, FailureReason.TIMEOUT, started, finished, 0, null, true, limitsNote);
        }
        if (terminated.isEmpty() || terminated.get().getExitCode() == null) {
            String why = "the Pod " + phase(pod) + (podReason == null ? "" : " (" + podReason
                    + (status.getMessage() == null ? "" : ": " + status.getMessage()) + ")") + " without an exit code of its task";
            return new ExitStatus(null, FailureReason.LOST, started, finished, 0, null, true, why);
        }
        int code = terminated.get().getExitCode();
        FailureReason reason = "OOMKilled".equals(terminated.get().getReason()) ? FailureReason.OUT_OF_MEMORY
                : code == 0 ? FailureReason.NONE : FailureReason.NON_ZERO_EXIT;
        return new ExitStatus(code, reason, started, finished, 0, null, true, limitsNote);
    }

    /** A waiting state, for logs. */
    static Optional<ContainerStateWaiting> waiting(Pod pod) {
        return container(pod).map(ContainerStatus::getState).map(s -> s.getWaiting());
    }

    private static String phase(Pod pod) {
        return pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Pending" : pod.getStatus().getPhase();
    }

    private static Optional<ContainerStatus> container(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(c -> KubernetesNames.CONTAINER.equals(c.getName()) && c.getState() != null).findFirst();
    }

    private static Optional<Instant> instant(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
