package dev.srg.admission;

import java.util.Collection;
import java.util.Map;

/** Groups' admission limits as the store has them now: one group, or many in one read (a leader's takeover, its poll). */
public interface LimitsSource {
    /** The limits of one group; fails when the group does not exist. */
    GroupLimits read(String groupId);

    /**
     * The limits of several groups, with a number of statements that does not grow with their count;
     * a group that does not exist is left out.
     */
    Map<String, GroupLimits> readAll(Collection<String> groupIds);
}
