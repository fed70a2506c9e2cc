package dev.srg.admission;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A group's {@link QueuePolicy#FAIR_SHARE} settings (docs/rules.md#queue-policy).
 *
 * @param shareHalfLife how fast past use stops counting in a workspace's share (the API allows
 *     {@link #MIN_HALF_LIFE} .. {@link #MAX_HALF_LIFE}; the ledger only needs it positive)
 * @param weights per workspace, {@link #MIN_WEIGHT} .. {@link #MAX_WEIGHT}; a workspace that is absent
 *     weighs {@link #DEFAULT_WEIGHT}. Weight {@code w > 0}: ordered by {@code share / w}, so a
 *     workspace of weight 2 gets twice the CU of one of weight 1 when both are backlogged. Weight 0:
 *     its tasks come after every task of a positive weight of their priority (it gets only what
 *     nobody else wants) and the idle guarantee does not lift them.
 */
public record FairShareSettings(Duration shareHalfLife, Map<String, Integer> weights) {
    public static final int DEFAULT_WEIGHT = 1;
    public static final int MIN_WEIGHT = 0;
    public static final int MAX_WEIGHT = 100;
    public static final Duration DEFAULT_HALF_LIFE = Duration.ofHours(1);
    public static final Duration MIN_HALF_LIFE = Duration.ofMinutes(1);
    public static final Duration MAX_HALF_LIFE = Duration.ofDays(30);
    public static final FairShareSettings DEFAULT = new FairShareSettings(DEFAULT_HALF_LIFE, Map.of());

    public FairShareSettings {
        requireNonNull(shareHalfLife, "shareHalfLife is null");
        requireNonNull(weights, "weights is null");
        if (shareHalfLife.toMillis() <= 0) {
            throw new IllegalArgumentException("shareHalfLife must be positive: " + shareHalfLife);
        }
        Map<String, Integer> copy = new HashMap<>();
        weights.forEach((ws, weight) -> {
            requireNonNull(weight, "weight is null");
            if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException("weight of " + ws + " must be " + MIN_WEIGHT + ".." + MAX_WEIGHT + ", was " + weight);
            }
            if (weight != DEFAULT_WEIGHT) {
                copy.put(ws, weight);
            }
        });
        weights = Map.copyOf(copy);
    }

    /** The weight of {@code workspaceId} (null, for tasks of no workspace, weighs the default). */
    public int weight(String workspaceId) {
        return workspaceId == null ? DEFAULT_WEIGHT : weights.getOrDefault(workspaceId, DEFAULT_WEIGHT);
    }

    public FairShareSettings withShareHalfLife(Duration newHalfLife) {
        return new FairShareSettings(newHalfLife, weights);
    }

    public FairShareSettings withWeights(Map<String, Integer> newWeights) {
        return new FairShareSettings(shareHalfLife, newWeights);
    }

    public FairShareSettings withWeight(String workspaceId, int weight) {
        Map<String, Integer> changed = new HashMap<>(weights);
        changed.put(requireNonNull(workspaceId, "workspaceId is null"), weight);
        return new FairShareSettings(shareHalfLife, changed);
    }
}
