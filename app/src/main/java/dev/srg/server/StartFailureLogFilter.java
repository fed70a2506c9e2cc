package dev.srg.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops Javalin's own "Failed to start Javalin" line: a start-up failure is said once, in the one
 * line {@link ServerCommand} prints ({@code srg: cannot start: port 8080 ... is in use}), with the
 * details in the log at debug level (issue 19: "one clear message"). Every other line passes.
 */
public final class StartFailureLogFilter extends Filter<ILoggingEvent> {
    @Override
    public FilterReply decide(ILoggingEvent event) {
        return event.getLoggerName().startsWith("io.javalin") && event.getMessage() != null
                && event.getMessage().startsWith("Failed to start Javalin") ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
