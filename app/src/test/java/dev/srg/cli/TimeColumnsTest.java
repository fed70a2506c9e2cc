package dev.srg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * A single resource's page gives times as docs/cli.md's Output says, {@code 2026-11-30T10:00:00Z (5m ago)}, on
 * every view: data sources, DataService API groups, APIs and apps (whose grants are a list, not JSON).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class TimeColumnsTest {
    private static final String FIVE_MINUTES_AGO = Instant.now().minusSeconds(300).toString();

    private static String page(View view) {
        JsonNode resource = Json.MAPPER.valueToTree(Map.of("id", "x-1", "name", "n", "createdAt", FIVE_MINUTES_AGO,
                "updatedAt", FIVE_MINUTES_AGO, "grantedApiIds", java.util.List.of("api-1", "api-2")));
        StringWriter text = new StringWriter();
        new Output(new PrintWriter(text), Output.Format.table).one(resource, view);
        return text.toString();
    }

    @Test
    void everyPageShowsItsTimesWithTheirAges() {
        assertThat(page(DataSourceCommands.DATA_SOURCE)).contains(FIVE_MINUTES_AGO + " (5m ago)\n")
                .containsPattern("UPDATED +" + FIVE_MINUTES_AGO.replace(".", "\\.") + " \\(5m ago\\)");
        assertThat(page(DataServiceCommands.GROUP)).containsPattern("CREATED +\\S+ \\(5m ago\\)\n");
        assertThat(page(DataServiceCommands.API_VIEW)).containsPattern("UPDATED +\\S+ \\(5m ago\\)\n");
        assertThat(page(DataServiceCommands.APP)).containsPattern("CREATED +\\S+ \\(5m ago\\)\n")
                .containsPattern("GRANTS +api-1, api-2\n");
    }
}
