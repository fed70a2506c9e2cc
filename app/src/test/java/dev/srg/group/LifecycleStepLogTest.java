package dev.srg.group;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What the lifecycle job logs once a step committed: the change stays, so a later failure is not "retried". */
class LifecycleStepLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger(ResourceGroupLifecycle.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private Level level;

    @BeforeEach
    void attach() {
        level = logger.getLevel();
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
        logger.setLevel(level);
    }

    private List<String> messages() {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    @DisplayName("a failure after a step's commit is logged as applied, never as failed and retried on the next run")
    void failureAfterTheCommitSaysTheChangeWasApplied() {
        ResourceGroupLifecycle.applied("rg-1", "expire", () -> {
            throw new IllegalStateException("listener broke");
        });
        assertThat(messages()).hasSize(2);
        assertThat(messages().get(0)).isEqualTo("resource group rg-1: expire");
        assertThat(messages().get(1)).contains("rg-1").contains("expire applied").contains("listener broke")
                .doesNotContain("retried").doesNotContain("failed (");
    }

    @Test
    @DisplayName("a step whose commit went through and whose notice went through logs the step once")
    void appliedStepLogsOnce() {
        boolean[] told = {false};
        ResourceGroupLifecycle.applied("rg-2", "freeze", () -> told[0] = true);
        assertThat(told[0]).isTrue();
        assertThat(messages()).containsExactly("resource group rg-2: freeze");
    }
}
