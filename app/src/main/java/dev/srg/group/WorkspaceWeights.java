package dev.srg.group;

import java.util.List;

/**
 * {@code GET /resource-groups/{id}/workspace-weights}: the weight of every workspace of the group
 * in its FAIR_SHARE order (docs/rules.md#queue-policy), and the group's shares' half-life.
 *
 * @param defaultWeight what a workspace without a weight of its own weighs (1)
 * @param weights each workspace of the group; {@code explicit} is false where it weighs the default
 */
public record WorkspaceWeights(String resourceGroupId, long shareHalfLifeSeconds, int defaultWeight, List<Weight> weights) {
    public WorkspaceWeights {
        weights = List.copyOf(weights);
    }

    public record Weight(String workspaceId, int weight, boolean explicit) {}

    /** {@code PUT /resource-groups/{id}/workspace-weights/{workspaceId}}: 0 .. 100, an integer. */
    public record SetRequest(Integer weight) {}
}
