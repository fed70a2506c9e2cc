package dev.srg.admission;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * Which queued tasks of a group spent budgets hold (SPEC BEY-3): they wait with reason
 * {@link WaitReason#BUDGET}, start nothing and hold nothing for others, as if they were not
 * queued; what runs goes on. Which budgets hold is decided outside admission (the budgets'
 * job and the clock); admission only applies it, as it applies new quotas.
 *
 * @param wholeGroup a budget of the group itself is spent: every queued task waits
 * @param workspaceIds the workspaces whose budget is spent: their tasks wait, on every group
 */
public record BudgetHold(boolean wholeGroup, Set<String> workspaceIds) {
    public static final BudgetHold NONE = new BudgetHold(false, Set.of());

    public BudgetHold {
        workspaceIds = Set.copyOf(requireNonNull(workspaceIds, "workspaceIds is null"));
    }

    public boolean holdsNothing() {
        return !wholeGroup && workspaceIds.isEmpty();
    }

    public boolean holds(QueuedTask task) {
        return wholeGroup || (task.workspaceId() != null && workspaceIds.contains(task.workspaceId()));
    }
}
