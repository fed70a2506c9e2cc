package dev.srg.task;

import dev.srg.json.Json;
import dev.srg.quantity.ComputeUnits;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code POST /instances}: work to run on a resource group (or the workspace's default, WS-3).
 * {@code type} names a registered kind; the payload fields ({@code script}, {@code sync}) are the
 * kind's to check: each kind takes its own and refuses the others.
 */
public record SubmitRequest(String workspaceId, String resourceGroupId, String type, String script,
                            Map<String, Object> sync, ComputeUnits cu, Integer priority, Integer timeoutSeconds,
                            String imageId, String name, String clientToken) {

    /** The payload fields given (the kind decides which it takes). */
    Map<String, Object> payloadFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (script != null) {
            fields.put("script", script);
        }
        if (sync != null) {
            fields.put("sync", sync);
        }
        return fields;
    }

    String fingerprint() {
        String fingerprint = String.join("|", String.valueOf(workspaceId), String.valueOf(resourceGroupId),
                String.valueOf(type), String.valueOf(script), String.valueOf(cu), String.valueOf(priority),
                String.valueOf(timeoutSeconds), String.valueOf(imageId), String.valueOf(name));
        // appended only when given: the fingerprints of submissions stored before stay the same
        return sync == null ? fingerprint : fingerprint + "|sync=" + Json.MAPPER.writeValueAsString(sync);
    }
}
