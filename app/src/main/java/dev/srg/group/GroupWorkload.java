package dev.srg.group;

/** What the lifecycle needs to know of, and do to, a group's tasks (the task feature provides it). */
public interface GroupWorkload {
    /** How many tasks are started or running on the group now. */
    int running(String groupId);

    /** The CUs its started or running tasks use now, in milli-CU. */
    long usedMilliCu(String groupId);

    /** Cancels every queued task of the group (it is being released); returns how many. */
    int cancelQueued(String groupId, String why);
}
