package dev.tokenrelay.tools;

import dev.tokenrelay.config.Durations;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Reads times as people type them: {@code 2025-01-31T12:00:00Z}, {@code 2025-01-31T13:00:00+01:00}
 * or {@code 2025-01-31} (midnight UTC), or a duration ({@link Durations}: {@code 90s}, {@code 1h30m},
 * {@code PT1H}...) meaning that long ago.
 */
public final class TimeArguments {

    private TimeArguments() {}

    /**
     * A point in time: an ISO instant, date-time with offset or date, or a duration before {@code now}.
     *
     * @param option the option being read, for the message
     * @throws ToolException (usage) when the text is neither, or is a duration that is not longer than zero
     */
    public static Instant instantOrAgo(String option, String text, Instant now) {
        String trimmed = text.strip();
        Duration ago = agoOrNull(trimmed);
        if (ago != null) {
            if (ago.isNegative() || ago.isZero()) {
                throw ToolException.usage(option + ": must be longer than zero, got '" + text + "'");
            }
            return now.minus(ago);
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

    // A text that is not a duration may still be a time: only the time's parser says what is wrong.
    private static Duration agoOrNull(String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException notADuration) {
            return null;
        }
    }
}
