package dev.srg.workspace;

/** A member's role in a workspace; only ADMIN manages members and resource groups (ACC-3). */
public enum WorkspaceRole { ADMIN, DEVELOPER, OPERATOR, VISITOR }
