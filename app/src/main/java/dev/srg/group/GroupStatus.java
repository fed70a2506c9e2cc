package dev.srg.group;

/** RG-4. Only RUNNING, SCALING and CONVERTING groups admit new tasks. */
public enum GroupStatus {
    CREATING, RUNNING, SCALING, CONVERTING, FROZEN, EXPIRED, RELEASING, RELEASED;

    public boolean admitsTasks() {
        return this == RUNNING || this == SCALING || this == CONVERTING;
    }

    /** Whether workspaces may still be associated with a group in this state. */
    public boolean associable() {
        return this != RELEASING && this != RELEASED;
    }
}
