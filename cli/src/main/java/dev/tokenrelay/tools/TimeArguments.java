package dev.tokenrelay.tools;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads times and durations as people type them: {@code 2025-01-31T12:00:00Z},
 * {@code 2025-01-31T13:00:00+01:00} or {@code 2025-01-31} (midnight UTC) for a time, and
 * {@code 90s}, {@code 15m}, {@code 1h30m}, {@code 7d}, {@code 500ms} or ISO-8601 {@code PT1H} for a
 * duration. A duration where a time is expected means that long ago.
 */
public final class TimeArguments {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern PARTS = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");

    private TimeArguments() {}

    /**
     * A point in time: an ISO instant, date-time with offset or date, or a duration before {@code now}.
     *
     * @param option the option being read, for the message
     * @throws ToolException (usage) when the text is neither
     */
    public static Instant instantOrAgo(String option, String text, Instant now) {
        String trimmed = text.strip();
        if (PARTS.matcher(trimmed).matches() || trimmed.startsWith("P") || trimmed.startsWith("p")) {
            return now.minus(duration(option, trimmed));
        }
        try {
            return OffsetDateTime.parse(trimmed).toInstant();
        } catch (DateTimeException notDateTime) {
            try {
                return LocalDate.parse(trimmed).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeException notDate) {
                throw ToolException.usage(option + ": expected a time like 2025-01-31T12:00:00Z or a duration ago "
                        + "like 1h, got '" + text + "'");
            }
        }
    }

    /**
     * A positive duration.
     *
     * @throws ToolException (usage) when the text is not one, or is zero
     */
    public static Duration duration(String option, String text) {
        String trimmed = text.strip();
        Duration duration;
        try {
            if (PARTS.matcher(trimmed).matches()) {
                duration = Duration.ZERO;
                Matcher part = PART.matcher(trimmed);
                while (part.find()) {
                    long amount = Long.parseLong(part.group(1));
                    duration = duration.plus(switch (part.group(2)) {
                        case "ms" -> Duration.ofMillis(amount);
                        case "s" -> Duration.ofSeconds(amount);
                        case "m" -> Duration.ofMinutes(amount);
                        case "h" -> Duration.ofHours(amount);
                        default -> Duration.ofDays(amount);
                    });
                }
            } else {
                duration = Duration.parse(trimmed);
            }
        } catch (DateTimeException | ArithmeticException | NumberFormatException e) {
            throw ToolException.usage(option + ": expected a duration like 90s, 15m, 1h30m, 7d or PT1H, got '" + text + "'");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw ToolException.usage(option + ": must be longer than zero, got '" + text + "'");
        }
        return duration;
    }
}
