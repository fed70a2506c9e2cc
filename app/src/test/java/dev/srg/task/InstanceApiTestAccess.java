package dev.srg.task;

import tools.jackson.databind.JsonNode;

/** {@link InstanceApiTest}'s helpers for tests of other packages. */
public final class InstanceApiTestAccess {
    private InstanceApiTestAccess() {}

    public static JsonNode awaitFinal(String id) {
        return InstanceApiTest.awaitFinal(id);
    }
}
