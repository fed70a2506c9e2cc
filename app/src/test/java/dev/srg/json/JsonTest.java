package dev.srg.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.srg.quantity.ComputeUnits;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60) // the first test of a loaded JVM loads Jackson in the interpreter: 14 s seen at load 44
class JsonTest {
    @Test
    void computeUnitsAreWrittenAsPlainNumbers() {
        assertThat(Json.write(Map.of("cu", ComputeUnits.ofCu(10)))).isEqualTo("{\"cu\":10}");
        assertThat(Json.write(Map.of("cu", ComputeUnits.ofCu(500)))).isEqualTo("{\"cu\":500}");
        assertThat(Json.write(Map.of("cu", ComputeUnits.ofMilli(250)))).isEqualTo("{\"cu\":0.25}");
        assertThat(Json.write(Map.of("cu", ComputeUnits.ofMilli(16500)))).isEqualTo("{\"cu\":16.5}");
    }
}
