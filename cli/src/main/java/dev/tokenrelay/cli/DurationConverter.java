package dev.tokenrelay.cli;

import dev.tokenrelay.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Durations on the command line as in the configuration ({@link Durations}: {@code 250ms},
 * {@code 1s}, {@code 1h30m}, {@code PT1S}...), and {@code 0}, which options such as
 * {@code --latency} need. Every option typed {@link Duration} names it, so that no command reads
 * a duration its own way.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String text) {
        if (text.strip().equals("0")) {
            return Duration.ZERO;
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
