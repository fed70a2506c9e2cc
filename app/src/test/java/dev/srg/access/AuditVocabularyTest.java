package dev.srg.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The audit log's one vocabulary of actions and results (ACC-5). */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class AuditVocabularyTest {
    @Test
    @DisplayName("SPEC ACC-5: requests read the same from the API and the console; named actions are a closed list")
    void actions() {
        assertThat(AuditAction.api("post", "/api/v1/vpcs", "Create a VPC").text()).isEqualTo("POST /api/v1/vpcs");
        assertThat(AuditAction.console("POST", "/console/networks", null).text()).isEqualTo("console POST /console/networks");
        for (AuditAction.Named n : AuditAction.Named.values()) {
            assertThat(AuditAction.Named.of(n.text())).isSameAs(n);
            assertThat(n.text()).matches("[a-z][a-z-]*(\\.[a-z][a-z-]*)+");
        }
        assertThatThrownBy(() -> AuditAction.Named.of("resource-group.explode"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resource-group.scale");
    }

    @Test
    @DisplayName("every action reads in words: the route's name, else the named action's or the path's words, never an id")
    void readableNames() {
        assertThat(AuditAction.api("POST", "/api/v1/vpcs", "Create a VPC").readable()).isEqualTo("Create a VPC");
        assertThat(AuditAction.console("POST", "/console/groups/rg-1a2b/scale", " ").readable()).isEqualTo("Change: groups scale");
        assertThat(AuditAction.Named.RESOURCE_GROUP_SCALED.readable()).isEqualTo("Resource group scaled");
        // entries written before names were kept: words from the stored text
        assertThat(AuditAction.nameOf("DELETE /api/v1/vpcs/vpc-3f2a")).isEqualTo("Delete: vpcs");
        assertThat(AuditAction.nameOf("console POST /console/workspaces/ws-9/members/u-7/remove"))
                .isEqualTo("Change: workspaces members remove");
        assertThat(AuditAction.nameOf("resource-group.release.cancel-queued")).isEqualTo("Resource group release cancel queued");
        assertThat(AuditAction.nameOf("PUT /api/v1/resource-groups/{id}/quotas")).isEqualTo("Update: resource groups quotas");
    }

    @Test
    @DisplayName("SPEC ACC-5: results are OK, an allowed request's status, or a refusal's status and code; they read back")
    void results() {
        assertThat(AuditResult.OK.text()).isEqualTo("OK");
        assertThat(AuditResult.of(201, null).text()).isEqualTo("201");
        assertThat(AuditResult.of(204, "ignored").text()).as("a success carries no error code").isEqualTo("204");
        assertThat(AuditResult.of(403, "Forbidden.MissingPolicy").text()).isEqualTo("403 Forbidden.MissingPolicy");
        assertThat(AuditResult.of(403, "Forbidden.Csrf").refused()).isTrue();
        assertThat(AuditResult.OK.refused()).isFalse();
        for (String text : List.of("OK", "201", "409 ResourceGroup.InvalidStatus", "401 Unauthorized")) {
            assertThat(AuditResult.parse(text).text()).isEqualTo(text);
        }
        assertThatThrownBy(() -> AuditResult.parse("done")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AuditResult(42, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("entries bound what a stranger can make them hold: a typed actor name, a long note")
    void bounds() {
        var e = new AuditEntry("x".repeat(500), AuditAction.Named.CONSOLE_SIGN_IN, null, AuditResult.of(401, "Unauthorized"),
                "y".repeat(5000));
        assertThat(e.actor()).hasSize(AuditEntry.MAX_ACTOR);
        assertThat(e.detail()).hasSize(AuditEntry.MAX_DETAIL);
        assertThat(AuditEntry.system(AuditAction.Named.USER_BOOTSTRAP, "u1", null).actor()).isEqualTo("system");
    }

    /**
     * Code that still names actions by their text (the resource-group lifecycle and its decider's {@code Audit} entries) fails only at
     * run time on a name outside the vocabulary; this finds such a name before then.
     */
    @Test
    @DisplayName("SPEC ACC-5: every action the main code records by its text is in the vocabulary")
    void textualActionsAreKnown() throws IOException {
        Pattern call = Pattern.compile("(?:AuditLog\\.record|new Audit)\\((.*?)\\);", Pattern.DOTALL);
        Pattern name = Pattern.compile("\"([a-z][a-z-]*(?:\\.[a-z][a-z-]*)+)\"");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = call.matcher(Files.readString(f));
                while (m.find()) {
                    Matcher n = name.matcher(m.group(1));
                    while (n.find()) {
                        found.add(n.group(1));
                    }
                }
            }
        }
        assertThat(found).as("the lifecycle records several actions by text").hasSizeGreaterThan(5);
        for (String action : found) {
            assertThat(AuditAction.Named.of(action).text()).isEqualTo(action);
        }
    }
}
