package dev.srg.execution.kubernetes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Deterministic Kubernetes names for srg's ids. A launch id always maps to the same Pod name, so a
 * create that finds the Pod already there is a launch that happened (at most once). Ids may hold
 * upper case, '.' and '_', which names may not: those are folded and a hash of the exact id keeps
 * two ids that fold alike apart.
 */
final class KubernetesNames {
    /** Pods, their Secrets and the namespaces srg made carry this label (value {@code srg}). */
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String MANAGER = "srg";
    /** The name of the backend (so two srg backends on one cluster keep apart). */
    static final String BACKEND = "srg.dev/backend";
    /** The Pod a Secret belongs to, and the Pod's own name: found in any namespace by label. */
    static final String POD = "srg.dev/pod";
    /** The exact launch id, on the Pod and its Secret. */
    static final String RUN = "srg.dev/run";
    /** The group's exact id, on its namespace. */
    static final String GROUP = "srg.dev/group";
    /** On the launch's Secret: how far the launch got ({@code preparing}, {@code launched}, {@code cancelled}). */
    static final String STATE = "srg.dev/state";
    static final String QUOTA = "srg-cu";
    static final String POLICY = "srg-egress";
    static final String CONTAINER = "task";

    private KubernetesNames() {}

    /** The Pod (and Secret) of a launch: {@code srg-<folded id>-<hash>}, at most 56 characters. */
    static String pod(String runId) {
        return "srg-" + fold(runId, 40) + "-" + hash(runId, 10);
    }

    /** The namespace of a group: the prefix and the id as it is when that is a valid name, else folded and hashed. */
    static String namespace(String prefix, String groupId) {
        int room = 63 - prefix.length();
        if (groupId.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?") && groupId.length() <= room) {
            return prefix + groupId;
        }
        return prefix + fold(groupId, room - 9) + "-" + hash(groupId, 8);
    }

    private static String fold(String id, int max) {
        String folded = id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-");
        if (folded.length() > max) {
            folded = folded.substring(0, max);
        }
        folded = folded.replaceAll("^-+|-+$", "");
        return folded.isEmpty() ? "x" : folded;
    }

    private static String hash(String id, int hexDigits) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, hexDigits);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }
}
