package dev.srg.error;

/** The one rule for human-given names (groups, VPCs, workspaces): 1 to 128 printable characters. */
public final class Names {
    private Names() {}

    public static String require(String field, String name) {
        if (name == null || name.isBlank()) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required");
        }
        return check(field, name);
    }

    /** Null passes (an optional field left out); anything else must be a valid name. */
    public static String check(String field, String name) {
        if (name == null) {
            return null;
        }
        if (name.isBlank() || name.length() > 128 || name.chars().anyMatch(Character::isISOControl)) {
            throw SrgException.invalid(field, "InvalidParameter.Name", field + " must be 1 to 128 printable characters");
        }
        return name.strip();
    }
}
