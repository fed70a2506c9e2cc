package dev.srg.execution.kubernetes;

import static java.util.Objects.requireNonNull;

import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What a Kubernetes backend asks of srg's store (the truth), which it does not read itself.
 *
 * @param groupCapacityMilliCu a group's CUs now, for its namespace's quota; empty when unknown
 * @param groupReleased whether a group was released: its namespace goes once no Pod of srg is left in it
 * @param runSettled whether a launch's outcome is recorded: only then may its Pod and Secret go
 */
public record KubernetesStoreView(Function<String, OptionalLong> groupCapacityMilliCu, Predicate<String> groupReleased,
                                  Predicate<String> runSettled) {
    public KubernetesStoreView {
        requireNonNull(groupCapacityMilliCu, "groupCapacityMilliCu is null");
        requireNonNull(groupReleased, "groupReleased is null");
        requireNonNull(runSettled, "runSettled is null");
    }
}
