package dev.tokenrelay.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The JVM options the start script ({@code bin/tokenrelay}) runs tokenrelay with, read from the
 * copy of {@code bin/jvm.options} the build puts in the jar, so that a processor the benchmark
 * starts runs as a user's does.
 */
public final class JvmOptions {

    static final String RESOURCE = "jvm.options";
    /** The options that choose a garbage collector; bin/tokenrelay matches the same ones. */
    private static final Pattern COLLECTOR = Pattern.compile("-XX:\\+Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC");

    private JvmOptions() {}

    /** The shipped options, in their order. */
    public static List<String> shipped() {
        try (InputStream in = JvmOptions.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the jar holds no " + RESOURCE + ": it was not built by the cli module");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * The options {@code bin/tokenrelay} runs the JVM with when {@code JAVA_OPTS} holds {@code extra}:
     * the shipped ones, then {@code extra}. A collector in {@code extra} replaces the shipped one, as
     * the script does, because the JVM refuses to start with two.
     */
    public static List<String> with(List<String> extra) {
        return with(shipped(), extra);
    }

    static List<String> with(List<String> shipped, List<String> extra) {
        boolean ownCollector = extra.stream().anyMatch(option -> COLLECTOR.matcher(option).matches());
        return Stream.concat(shipped.stream().filter(option -> !ownCollector || !COLLECTOR.matcher(option).matches()),
                extra.stream()).toList();
    }

    /** The options of a {@code jvm.options} text: '#' starts a comment, blank lines are skipped. */
    static List<String> parse(String text) {
        return text.lines()
                .map(line -> line.indexOf('#') < 0 ? line : line.substring(0, line.indexOf('#')))
                .flatMap(line -> Arrays.stream(line.strip().split("\\s+")))
                .filter(option -> !option.isEmpty())
                .toList();
    }
}
