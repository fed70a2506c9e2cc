package dev.srg.access;

import java.time.Instant;
import java.util.List;

/** A user as the API shows it. {@code token} is present only in the answer that created it. */
public record UserInfo(String id, String name, List<Policy> policies, Instant createdAt, String token) {
    public UserInfo {
        policies = List.copyOf(policies);
    }

    public UserInfo withToken(String token) {
        return new UserInfo(id, name, policies, createdAt, token);
    }
}
