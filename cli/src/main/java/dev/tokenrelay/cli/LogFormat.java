package dev.tokenrelay.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * How tokenrelay writes its log to standard error: {@code text} (a line per event with an ISO 8601
 * timestamp and offset) or {@code json} (one JSON object per line, for log shippers: Elastic
 * Common Schema fields, the event's key-value context as fields of their own).
 *
 * <p>Chosen by {@code --log-format} or the environment variable {@value #ENVIRONMENT} (the option
 * wins), and handed to Log4j as the system property {@value #PROPERTY}, which {@code log4j2.xml}
 * selects the layout by. Log4j reads its configuration once, when the first logger is created,
 * so the choice is made from the raw arguments before anything else runs.
 */
enum LogFormat {
    text,
    json;

    /** The environment variable that chooses the format when the command line does not. */
    static final String ENVIRONMENT = "TOKENRELAY_LOG_FORMAT";
    /** The system property {@code log4j2.xml} reads. */
    static final String PROPERTY = "tokenrelay.logFormat";
    static final String OPTION = "--log-format";

    /**
     * Sets {@value #PROPERTY} from {@code --log-format FORMAT} (or {@code --log-format=FORMAT}) in
     * {@code args}, else from {@code environment}. An unknown value on the command line is left to
     * the option's own check (a usage error); an unknown value in the environment is reported on
     * {@code err} and ignored, since no command line is wrong.
     */
    static void select(String[] args, String environment, PrintStream err) {
        String chosen = fromArguments(args);
        if (chosen == null && environment != null && !environment.isBlank()) {
            chosen = environment.strip().toLowerCase(Locale.ROOT);
            if (parse(chosen) == null) {
                err.println("tokenrelay: " + ENVIRONMENT + "=" + environment.strip()
                        + " is not a log format (text or json); writing text");
                chosen = null;
            }
        }
        LogFormat format = chosen == null ? null : parse(chosen);
        if (format != null) {
            System.setProperty(PROPERTY, format.name());
        }
    }

    private static String fromArguments(String[] args) {
        String found = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                break;
            }
            if (args[i].equals(OPTION) && i + 1 < args.length) {
                found = args[++i];
            } else if (args[i].startsWith(OPTION + "=")) {
                found = args[i].substring(OPTION.length() + 1);
            }
        }
        return found;
    }

    private static LogFormat parse(String value) {
        for (LogFormat format : values()) {
            if (format.name().equals(value)) {
                return format;
            }
        }
        return null;
    }
}
