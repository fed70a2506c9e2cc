package dev.srg.access;

/** The policies a user can hold (ACC-1, ACC-2, ACC-4). */
public enum Policy {
    /** Everything, including users, audit and every workspace. */
    AdministratorAccess,
    /** Placing orders: create, scale, renew, convert, unsubscribe (with ResourceGroupFullAccess). */
    OrderAccess,
    /** Reading and managing resource groups. */
    ResourceGroupFullAccess,
    /** Reading VPCs and vSwitches. */
    VpcReadOnlyAccess,
    /** Reading and changing VPCs, vSwitches, NAT gateways, routes and private DNS. */
    VpcFullAccess,
    /** Creating the service-linked role at the first purchase (ACC-4). */
    ServiceLinkedRoleAccess
}
