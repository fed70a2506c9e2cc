package dev.srg.access;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What an audit entry says was done (ACC-5), one vocabulary for every writer: a change asked for
 * over HTTP is recorded by its {@link Request} line, the same way from the API and from the console;
 * a change the platform makes itself, or one a manager records inside its own transaction, by a
 * {@link Named} action ({@code resource.verb}). The text is what {@code GET /audit-events} answers.
 */
public sealed interface AuditAction {
    /** The stored and answered form. */
    String text();

    /**
     * What a person reads (issue 19: the console's audit page showed raw request lines): the API
     * operation's summary, the console form's name, or words made from the named action or the path.
     */
    String readable();

    /** The named actions: the closed list of what is recorded besides HTTP change requests. */
    enum Named implements AuditAction {
        USER_BOOTSTRAP("user.bootstrap"),
        SERVICE_LINKED_ROLE_CREATE("service-linked-role.create"),
        CONSOLE_SIGN_IN("console.sign-in"),
        RESOURCE_GROUP_PROVISIONED("resource-group.provisioned"),
        RESOURCE_GROUP_SCALE("resource-group.scale"),
        RESOURCE_GROUP_SCALED("resource-group.scaled"),
        RESOURCE_GROUP_CONVERT("resource-group.convert"),
        RESOURCE_GROUP_CONVERTED("resource-group.converted"),
        RESOURCE_GROUP_RENEW("resource-group.renew"),
        RESOURCE_GROUP_AUTO_RENEW("resource-group.auto-renew"),
        RESOURCE_GROUP_ENABLE("resource-group.enable"),
        RESOURCE_GROUP_RESUME_ON_DEMAND("resource-group.resume-on-demand"),
        RESOURCE_GROUP_FREEZE("resource-group.freeze"),
        RESOURCE_GROUP_EXPIRE("resource-group.expire"),
        RESOURCE_GROUP_RELEASE("resource-group.release"),
        RESOURCE_GROUP_RELEASE_CANCEL_QUEUED("resource-group.release.cancel-queued"),
        RESOURCE_GROUP_RELEASED("resource-group.released"),
        RESOURCE_GROUP_NETWORK_FORCE_UNBIND("resource-group.network.force-unbind"),
        /** SPEC BEY-2: a scheduled quota profile started or stopped applying. */
        RESOURCE_GROUP_QUOTA_PROFILE("resource-group.quota-profile"),
        /** A group's queue policy changed (ARRIVAL / FAIR_SHARE, docs/rules.md#queue-policy): the detail has old and new. */
        RESOURCE_GROUP_QUEUE_POLICY("resource-group.queue-policy"),
        /** A group's FAIR_SHARE half-life changed (docs/rules.md#queue-policy): the detail has old and new. */
        RESOURCE_GROUP_SHARE_HALF_LIFE("resource-group.share-half-life"),
        /** A workspace's FAIR_SHARE weight in a group was set or reset (docs/rules.md#queue-policy): old and new. */
        RESOURCE_GROUP_WORKSPACE_WEIGHT("resource-group.workspace-weight"),
        /** SPEC BEY-3: a budget crossed a threshold (50, 80 or 100 % of its month). */
        BUDGET_THRESHOLD("budget.threshold"),
        /** SPEC BEY-3: a spent budget began holding its scope's new tasks. */
        BUDGET_HOLD("budget.hold"),
        /** SPEC BEY-3: a budget stopped holding (a raise, the hold turned off, a new month). */
        BUDGET_RELEASE("budget.release");

        private static final Map<String, Named> BY_TEXT = Arrays.stream(values())
                .collect(Collectors.toUnmodifiableMap(Named::text, Function.identity()));

        private final String text;

        Named(String text) {
            this.text = text;
        }

        @Override
        public String text() {
            return text;
        }

        @Override
        public String readable() {
            return nameOf(text);
        }

        /**
         * The named action with this text.
         *
         * @throws IllegalArgumentException when it is not in the vocabulary: a new action is added here first
         */
        public static Named of(String text) {
            Named n = BY_TEXT.get(text);
            if (n == null) {
                throw new IllegalArgumentException("'" + text + "' is not an audit action; known: " + BY_TEXT.keySet());
            }
            return n;
        }
    }

    /** Where an HTTP change came from. */
    enum Channel { API, CONSOLE }

    /**
     * A change asked for over HTTP, allowed or refused: {@code POST /api/v1/vpcs} from the API,
     * {@code console POST /console/vpcs} from the console.
     *
     * @param label what the route is called (the API operation's summary, the console form's name),
     *     or null for words made from the path
     */
    record Request(Channel channel, String method, String path, String label) implements AuditAction {
        public Request {
            requireNonNull(channel, "channel is null");
            method = requireNonNull(method, "method is null").toUpperCase(Locale.ROOT);
            requireNonNull(path, "path is null");
            label = label == null || label.isBlank() ? null : label.strip();
        }

        @Override
        public String text() {
            return (channel == Channel.CONSOLE ? "console " : "") + method + " " + path;
        }

        @Override
        public String readable() {
            return label != null ? label : nameOf(text());
        }
    }

    static Request api(String method, String path, String label) {
        return new Request(Channel.API, method, path, label);
    }

    static Request console(String method, String path, String label) {
        return new Request(Channel.CONSOLE, method, path, label);
    }

    /**
     * Words for a stored action that has no name of its own (entries written before names were):
     * a named action's words, or a request's method and the path without its ids
     * ({@code DELETE /api/v1/vpcs/vpc-3f2a} reads "Delete: vpcs").
     */
    static String nameOf(String text) {
        requireNonNull(text, "text is null");
        String line = text.startsWith("console ") ? text.substring("console ".length()) : text;
        int space = line.indexOf(' ');
        if (space < 0) {
            return words(line.replace('.', ' '));
        }
        String verb = switch (line.substring(0, space)) {
            case "POST" -> "Change";
            case "PUT", "PATCH" -> "Update";
            case "DELETE" -> "Delete";
            default -> line.substring(0, space);
        };
        String path = line.substring(space + 1).replaceFirst("^/(api/v1|console)/", "");
        String nouns = Arrays.stream(path.split("/"))
                // ids carry a digit or are a route's {parameter}; the words of a path carry neither
                .filter(s -> !s.isEmpty() && !s.matches(".*[0-9{].*"))
                .map(s -> s.replace('-', ' '))
                .collect(Collectors.joining(" "));
        return nouns.isEmpty() ? verb : verb + ": " + nouns;
    }

    /** "resource-group scaled" → "Resource group scaled". */
    private static String words(String s) {
        String w = s.replace('-', ' ').strip();
        return w.isEmpty() ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }
}
