package dev.srg.access;

import dev.srg.error.SrgException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** Who is calling: an authenticated user and the policies they hold. */
public record Principal(String userId, String name, Set<Policy> policies) {
    /** The platform itself (background jobs). */
    public static final Principal SYSTEM = new Principal("system", "system", EnumSet.allOf(Policy.class));

    public Principal {
        policies = policies.isEmpty() ? EnumSet.noneOf(Policy.class) : EnumSet.copyOf(policies);
    }

    public boolean isAdministrator() {
        return policies.contains(Policy.AdministratorAccess);
    }

    public boolean has(Policy policy) {
        return isAdministrator() || policies.contains(policy);
    }

    /** Requires every one of {@code required}; the 403 names what is missing. */
    public void requireAll(String action, Policy... required) {
        Set<Policy> missing = Arrays.stream(required).filter(p -> !has(p))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Policy.class)));
        if (!missing.isEmpty()) {
            throw SrgException.forbidden("Forbidden.MissingPolicy",
                    "user '" + name + "' may not " + action + ": missing policy "
                            + missing.stream().map(Enum::name).collect(Collectors.joining(" and ")));
        }
    }

    /** Requires at least one of {@code anyOf}. */
    public void requireAny(String action, Policy... anyOf) {
        if (Arrays.stream(anyOf).noneMatch(this::has)) {
            throw SrgException.forbidden("Forbidden.MissingPolicy",
                    "user '" + name + "' may not " + action + ": needs policy "
                            + Arrays.stream(anyOf).map(Enum::name).collect(Collectors.joining(" or ")));
        }
    }
}
