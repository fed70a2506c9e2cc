package dev.srg.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.srg.testing.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code srg.store.postgresNice} (issue 17, eighth round): the embedded PostgreSQL, its postmaster
 * and every process it forks, at the server's CPU priority by default, and that many nice steps
 * from it when set (as root: raising a priority needs it).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbeddedPostgresPriorityTest {

    @Test
    void thePostmasterAndItsChildrenRunAtTheServersPriorityOrTheOneSet() throws Exception {
        assumeThat(Processes.isRoot()).as("raising a priority needs root").isTrue();
        int server = niceOf(ProcessHandle.current().pid());
        Path dir = TestDatabases.dataDirectory("srg-pg-nice");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(nicesOf(pg.pid())).as("by default").containsOnly(server);
        }
        System.setProperty(EmbeddedPostgres.NICE_PROPERTY, "-5");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dir)) {
            assertThat(nicesOf(pg.pid())).as("with -5").containsOnly(Math.max(-20, server - 5));
        } finally {
            System.clearProperty(EmbeddedPostgres.NICE_PROPERTY);
        }
    }

    /** The postmaster's nice value and its children's (checkpointer, WAL writer, ...). */
    private static java.util.List<Integer> nicesOf(long postmaster) throws IOException {
        java.util.List<Integer> nices = new java.util.ArrayList<>();
        nices.add(niceOf(postmaster));
        for (ProcessHandle child : ProcessHandle.of(postmaster).orElseThrow().children().toList()) {
            try {
                nices.add(niceOf(child.pid()));
            } catch (java.nio.file.NoSuchFileException gone) {
                // a short-lived child (a backend, an autovacuum worker) that ended since it was listed
            }
        }
        assertThat(nices).as("the postmaster and its children").hasSizeGreaterThan(1);
        return nices;
    }

    /** Field 19 of /proc/PID/stat. */
    private static int niceOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }
}
