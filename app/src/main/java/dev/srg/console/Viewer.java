package dev.srg.console;

import dev.srg.access.Policy;
import dev.srg.access.Principal;

/** The signed-in user as the pages need to know them: to show only the actions they may take. */
public record Viewer(String userId, String name, boolean admin, boolean canBuy, boolean canManageGroups, boolean canReadVpcs,
                     boolean canChangeVpcs) {
    static Viewer of(Principal p) {
        return new Viewer(p.userId(), p.name(), p.isAdministrator(),
                p.has(Policy.OrderAccess) && p.has(Policy.ResourceGroupFullAccess), p.has(Policy.ResourceGroupFullAccess),
                p.has(Policy.VpcReadOnlyAccess) || p.has(Policy.VpcFullAccess), p.has(Policy.VpcFullAccess));
    }
}
