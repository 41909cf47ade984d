package dev.tokenrelay.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Keeps the events one logger writes while it is open, as Log4j (the backend behind SLF4J)
 * delivers them, key-value context included; the test's console output is unchanged.
 * <pre>{@code
 * try (LogCapture log = LogCapture.of(Credentials.class)) {
 *     ... start the processor ...
 *     assertThat(log.events(Level.WARN)).hasSize(1);
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final List<LogEvent> events = new CopyOnWriteArrayList<>();
    private final AbstractAppender appender;

    private LogCapture(Logger logger) {
        this.logger = logger;
        this.appender = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        appender.start();
        logger.addAppender(appender);
    }

    /** Starts capturing what the logger named after {@code type} writes. */
    public static LogCapture of(Class<?> type) {
        return new LogCapture((Logger) LogManager.getLogger(type));
    }

    /** Starts capturing every event any logger lets through, whatever its level. */
    public static LogCapture ofRoot() {
        return new LogCapture((Logger) LogManager.getRootLogger());
    }

    /**
     * Everything captured so far as text: each event's logger, message, key-value context and
     * exception with its causes and stack, one after another.
     */
    public String text() {
        StringBuilder text = new StringBuilder();
        for (LogEvent event : events) {
            text.append(event.getLoggerName()).append(' ').append(event.getMessage().getFormattedMessage()).append(' ')
                    .append(event.getContextData().toMap()).append('\n');
            if (event.getThrown() != null) {
                StringWriter trace = new StringWriter();
                event.getThrown().printStackTrace(new PrintWriter(trace));
                text.append(trace).append('\n');
            }
        }
        return text.toString();
    }

    /** The events of {@code level} captured so far, oldest first. */
    public List<LogEvent> events(Level level) {
        return events.stream().filter(event -> event.getLevel() == level).toList();
    }

    @Override
    public void close() {
        logger.removeAppender(appender);
        appender.stop();
    }
}
