package dev.tokenrelay.classify;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When an upstream says an account may be called again. In order: {@code Retry-After-Ms};
 * {@code Retry-After} (delay-seconds or an HTTP date); else the latest of the reset headers
 * (OpenAI's {@code x-ratelimit-reset-*} durations such as {@code 6m0s}, Anthropic's
 * {@code anthropic-ratelimit-*-reset} RFC 3339 instants). The latest, because the response does
 * not say which limit was hit, and calling again before it resets earns another 429.
 */
final class RateLimitHeaders {

    private static final List<String> OPENAI_RESETS = List.of("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens");
    private static final List<String> ANTHROPIC_RESETS = List.of("anthropic-ratelimit-requests-reset",
            "anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-input-tokens-reset",
            "anthropic-ratelimit-output-tokens-reset");
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

    private RateLimitHeaders() {}

    /** The cooldown the response asks for, if it asks for one it can be read from. */
    static Optional<Duration> cooldown(UpstreamExchange.Response response, Instant now) {
        Duration millis = parseMillis(response.header("retry-after-ms"));
        if (millis != null) {
            return Optional.of(millis);
        }
        Duration retryAfter = parseRetryAfter(response.header("retry-after"), now);
        if (retryAfter != null) {
            return Optional.of(retryAfter);
        }
        Duration latest = null;
        for (String name : OPENAI_RESETS) {
            latest = later(latest, parseGoDuration(response.header(name)));
        }
        for (String name : ANTHROPIC_RESETS) {
            latest = later(latest, parseInstant(response.header(name), now));
        }
        return Optional.ofNullable(latest);
    }

    /** Retry-After as delay-seconds or an HTTP date; {@code null} when absent or unreadable. */
    static Duration parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String trimmed = value.trim();
        try {
            long seconds = Long.parseLong(trimmed);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            Instant date = parseHttpDate(trimmed);
            return date == null ? null : untilOrZero(now, date);
        }
    }

    /**
     * The three forms an HTTP-date may take (RFC 9110, 5.6.7): IMF-fixdate, and the obsolete RFC 850
     * and asctime forms that a recipient must still accept. Two-digit RFC 850 years are 20xx.
     */
    private static final List<DateTimeFormatter> HTTP_DATES = List.of(
            DateTimeFormatter.RFC_1123_DATE_TIME,
            new DateTimeFormatterBuilder().appendPattern("EEEE, dd-MMM-")
                    .appendValueReduced(ChronoField.YEAR, 2, 2, 2000)
                    .appendPattern(" HH:mm:ss zzz").toFormatter(Locale.ROOT),
            new DateTimeFormatterBuilder().parseCaseInsensitive().appendPattern("EEE MMM ppd HH:mm:ss yyyy")
                    .toFormatter(Locale.ROOT).withZone(ZoneOffset.UTC));

    /** An HTTP-date, or {@code null} when {@code value} is none. */
    static Instant parseHttpDate(String value) {
        for (DateTimeFormatter format : HTTP_DATES) {
            try {
                return format.parse(value, Instant::from);
            } catch (DateTimeParseException notThisForm) {
                // try the next form
            }
        }
        return null;
    }

    /** A Go-style duration as OpenAI writes it: {@code 1s}, {@code 6m0s}, {@code 20ms}, {@code 1h2m3.5s}. */
    static Duration parseGoDuration(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        Matcher matcher = GO_DURATION.matcher(value.trim());
        double millis = 0;
        int end = 0;
        while (matcher.find()) {
            if (matcher.start() != end) {
                return null;
            }
            double amount = Double.parseDouble(matcher.group(1));
            millis += switch (matcher.group(2)) {
                case "h" -> amount * 3_600_000;
                case "m" -> amount * 60_000;
                case "s" -> amount * 1_000;
                default -> amount;
            };
            end = matcher.end();
        }
        return end == value.trim().length() && end > 0 ? Duration.ofMillis(Math.round(millis)) : null;
    }

    private static Duration parseMillis(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            double millis = Double.parseDouble(value.trim());
            return millis < 0 ? null : Duration.ofMillis(Math.round(millis));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Duration parseInstant(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return untilOrZero(now, OffsetDateTime.parse(value.trim()).toInstant());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static Duration untilOrZero(Instant now, Instant then) {
        Duration until = Duration.between(now, then);
        return until.isNegative() ? Duration.ZERO : until;
    }

    private static Duration later(Duration a, Duration b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) >= 0 ? a : b;
    }
}
