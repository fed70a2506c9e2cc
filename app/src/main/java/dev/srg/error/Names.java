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

    /**
     * Why {@code s} cannot be stored as text, or null when it can: PostgreSQL refuses a NUL and
     * would turn an unpaired UTF-16 surrogate into '?' (the API's JSON and query parameters, the
     * console's forms).
     */
    public static String badText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "must not contain the NUL character (U+0000)";
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "must not contain an unpaired UTF-16 surrogate";
            }
            if (Character.isLowSurrogate(c)) {
                return "must not contain an unpaired UTF-16 surrogate";
            }
        }
        return null;
    }
}
