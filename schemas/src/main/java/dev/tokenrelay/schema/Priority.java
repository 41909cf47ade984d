package dev.tokenrelay.schema;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;

/**
 * A request's priority: an integer from {@value #MIN} to {@value #MAX}, higher first, written in a
 * request as a number or as one of three names, {@code interactive} ({@value #INTERACTIVE}),
 * {@code default} ({@value #DEFAULT}) and {@code batch} ({@value #BATCH}). Names are lowercase and
 * case-sensitive, as every other name in a request is.
 */
public final class Priority {

    /** The lowest priority. */
    public static final int MIN = -100;
    /** The highest priority. */
    public static final int MAX = 100;
    /** {@code interactive}: someone is waiting for the answer. */
    public static final int INTERACTIVE = 10;
    /** {@code default}: the priority of a request that names none. */
    public static final int DEFAULT = 0;
    /** {@code batch}: nobody is waiting; anything else may go first. */
    public static final int BATCH = -10;

    /** What a priority may be, as every message about a bad one says it. */
    public static final String ALLOWED = "interactive, default, batch or an integer from " + MIN + " to " + MAX;

    // Enough of a bad name to recognise it, not enough to echo a large value into a log.
    private static final int QUOTED_CHARS = 40;

    private Priority() {}

    /**
     * The priority a command-line argument or a name stands for: a name, or an integer in range.
     *
     * @throws IllegalArgumentException with {@link #problem} as its message
     */
    public static int parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException(problem("nothing"));
        }
        Integer named = named(text);
        if (named != null) {
            return named;
        }
        if (text.matches("[+-]?[0-9]{1,10}")) {
            long value = Long.parseLong(text);
            if (value >= MIN && value <= MAX) {
                return (int) value;
            }
        }
        throw new IllegalArgumentException(problem(quoted(text)));
    }

    /**
     * The priority a JSON value stands for: a name (a JSON string) or an integer in range (a JSON
     * number with no fraction); no value (Java {@code null} or a missing node) is {@value #DEFAULT}, but a
     * JSON {@code null} is refused, as for every other optional field. A number
     * written as a string is not accepted: the request schema says so too.
     *
     * @throws InvalidMessageException at {@code /priority}, with {@link #problem} as its reason
     */
    public static int parse(JsonNode value) throws InvalidMessageException {
        if (value == null || value.isMissingNode()) {
            return DEFAULT;
        }
        if (value.isTextual()) {
            Integer named = named(value.asText());
            if (named != null) {
                return named;
            }
        } else if (value.isNumber() && value.canConvertToExactIntegral()) {
            if (value.canConvertToInt() && value.intValue() >= MIN && value.intValue() <= MAX) {
                return value.intValue();
            }
        }
        throw new InvalidMessageException("/priority", problem(describe(value)));
    }

    /** Whether {@code priority} is in range. */
    public static boolean isValid(int priority) {
        return priority >= MIN && priority <= MAX;
    }

    /** {@code priority must be interactive, default, batch or an integer from -100 to 100, got <got>}. */
    public static String problem(String got) {
        return "priority must be " + ALLOWED + ", got " + got;
    }

    /** The name of {@code priority} when it has one, else the number. */
    public static String text(int priority) {
        return switch (priority) {
            case INTERACTIVE -> "interactive";
            case DEFAULT -> "default";
            case BATCH -> "batch";
            default -> Integer.toString(priority);
        };
    }

    private static Integer named(String text) {
        return switch (text) {
            case "interactive" -> INTERACTIVE;
            case "default" -> DEFAULT;
            case "batch" -> BATCH;
            default -> null;
        };
    }

    /** A bad JSON value as a message shows it: numbers as they are, strings quoted and cut short. */
    static String describe(JsonNode value) {
        if (value.isTextual()) {
            return quoted(value.asText());
        }
        if (value.isNumber()) {
            String number = value.asText();
            return number.length() > QUOTED_CHARS ? number.substring(0, QUOTED_CHARS) + "..." : number;
        }
        if (value.isNull()) {
            return "null";
        }
        if (value.isBoolean()) {
            return "a boolean";
        }
        return value.isArray() ? "an array" : "an object";
    }

    private static String quoted(String text) {
        return "'" + (text.length() > QUOTED_CHARS ? text.substring(0, QUOTED_CHARS) + "..." : text) + "'";
    }

    /**
     * Reads a priority by name or number when a request is read by data binding rather than by
     * {@link MessageValidator#readRequest}, so that both read the same record.
     */
    public static final class Deserializer extends JsonDeserializer<Integer> {

        @Override
        public Integer deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            JsonNode value = context.readTree(parser);
            try {
                return parse(value);
            } catch (InvalidMessageException e) {
                throw InvalidFormatException.from(parser, e.reason(), value, Integer.class);
            }
        }

        @Override
        public Object getAbsentValue(DeserializationContext context) {
            return DEFAULT;
        }

        @Override
        public Integer getNullValue(DeserializationContext context) throws JsonMappingException {
            throw InvalidFormatException.from(context.getParser(), problem("null"), null, Integer.class);
        }
    }
}
