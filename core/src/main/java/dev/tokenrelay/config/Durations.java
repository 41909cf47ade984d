package dev.tokenrelay.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads durations as people write them, in YAML and on the command line: {@code 500ms},
 * {@code 15s}, {@code 5m}, {@code 2h}, {@code 7d}, several of these in a row ({@code 1h30m},
 * {@code 2m30s}), or ISO-8601 ({@code PT15S}). The one parser of a duration in the project.
 *
 * <p>Jackson's own java.time support (jackson-datatype-jsr310) reads ISO-8601 and bare numbers
 * only, and a bare number is exactly what this format refuses: {@code 15} could be seconds or
 * milliseconds, so every duration carries its unit.
 */
public final class Durations {

    /** How the accepted forms are described in error messages. */
    public static final String FORMS = "a duration like 500ms, 15s, 5m, 1h30m, 7d or PT15S";

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SHORT_FORM = Pattern.compile("(?:" + PART.pattern() + ")+");

    private Durations() {}

    /**
     * Parses one of the accepted forms.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static Duration parse(String text) {
        String trimmed = text.strip();
        try {
            if (SHORT_FORM.matcher(trimmed).matches()) {
                Duration sum = Duration.ZERO;
                Matcher part = PART.matcher(trimmed);
                while (part.find()) {
                    long amount = Long.parseLong(part.group(1));
                    sum = sum.plus(switch (part.group(2)) {
                        case "ms" -> Duration.ofMillis(amount);
                        case "s" -> Duration.ofSeconds(amount);
                        case "m" -> Duration.ofMinutes(amount);
                        case "h" -> Duration.ofHours(amount);
                        default -> Duration.ofDays(amount);
                    });
                }
                return sum;
            }
            if (trimmed.startsWith("P") || trimmed.startsWith("p")) {
                return Duration.parse(trimmed);
            }
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            throw new IllegalArgumentException("expected " + FORMS + ", got '" + text + "' (out of range or malformed)");
        }
        throw new IllegalArgumentException("expected " + FORMS + ", got '" + text + "'");
    }

    /** The Jackson side of {@link #parse}: accepts only strings, so a unit-less number is an error. */
    static final class Deserializer extends StdScalarDeserializer<Duration> {

        Deserializer() {
            super(Duration.class);
        }

        @Override
        public Duration deserialize(JsonParser parser, DeserializationContext context) throws java.io.IOException {
            if (!parser.hasToken(JsonToken.VALUE_STRING)) {
                return (Duration) context.handleUnexpectedToken(Duration.class, parser);
            }
            String text = parser.getText();
            try {
                return parse(text);
            } catch (IllegalArgumentException e) {
                return (Duration) context.handleWeirdStringValue(Duration.class, text, e.getMessage());
            }
        }
    }
}
