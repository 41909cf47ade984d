package dev.tokenrelay.tools;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress display for one phase of a tool (sending, waiting, reading): on a terminal a bar with
 * counts and rate, redrawn in place at most every {@link #REDRAW}; elsewhere (a pipe, a file, CI
 * logs) a plain line every {@link #PLAIN_EVERY}, since carriage returns make a mess there.
 *
 * <p>Write it to the error stream: standard output carries the data (results, requests).
 */
public final class Progress {

    /** How often a terminal display is redrawn at most. */
    public static final Duration REDRAW = Duration.ofMillis(100);
    /** How often a plain line is written when the output is not a terminal. */
    public static final Duration PLAIN_EVERY = Duration.ofSeconds(5);

    private static final int BAR_WIDTH = 24;

    private final PrintWriter out;
    private final boolean terminal;
    private final String label;
    private final LongSupplier nanoClock;
    private final long startNanos;
    private long shownNanos;
    private int shownWidth;
    private boolean shown;

    /**
     * @param out where to draw (the error stream)
     * @param terminal whether {@code out} is a terminal (redraw in place) or not (plain lines)
     * @param label the phase, e.g. {@code sending}
     */
    public Progress(PrintWriter out, boolean terminal, String label) {
        this(out, terminal, label, System::nanoTime);
    }

    Progress(PrintWriter out, boolean terminal, String label, LongSupplier nanoClock) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.shownNanos = startNanos;
    }

    /** A display that shows nothing, for quiet runs. */
    public static Progress none() {
        return new Progress(new PrintWriter(PrintWriter.nullWriter()), false, "");
    }

    /**
     * Reports where the phase is; shown only when it is time to (cheap to call for every record).
     *
     * @param done how many are done
     * @param total how many there are, or a negative number when not known
     * @param detail more to show after the counts (may be empty)
     */
    public void update(long done, long total, String detail) {
        long now = nanoClock.getAsLong();
        long every = (terminal ? REDRAW : PLAIN_EVERY).toNanos();
        if (now - shownNanos < every) {
            return;
        }
        shownNanos = now;
        String line = render(done, total, detail, now - startNanos);
        if (terminal) {
            out.print("\r" + line + " ".repeat(Math.max(0, shownWidth - line.length())));
            shownWidth = line.length();
        } else {
            out.println(line);
        }
        shown = true;
        out.flush();
    }

    /** Ends the phase: on a terminal the bar is cleared, so the summary that follows stands alone. */
    public void finish() {
        if (terminal && shown) {
            out.print("\r" + " ".repeat(shownWidth) + "\r");
            out.flush();
        }
        shown = false;
        shownWidth = 0;
    }

    /** Time since the display was created. */
    public Duration elapsed() {
        return Duration.ofNanos(nanoClock.getAsLong() - startNanos);
    }

    String render(long done, long total, String detail, long elapsedNanos) {
        StringBuilder line = new StringBuilder(label);
        if (terminal && total > 0) {
            int filled = (int) Math.min(BAR_WIDTH, done * BAR_WIDTH / total);
            line.append(" [").append("#".repeat(filled)).append("-".repeat(BAR_WIDTH - filled)).append(']');
        }
        line.append(' ').append(done);
        if (total >= 0) {
            line.append('/').append(total);
            if (total > 0) {
                line.append(String.format(Locale.ROOT, " (%d%%)", done * 100 / total));
            }
        }
        line.append("  ").append(rate(done, Duration.ofNanos(elapsedNanos)));
        if (!detail.isEmpty()) {
            line.append("  ").append(detail);
        }
        return line.toString();
    }

    /** {@code 812/s}, or {@code 3.5/s} under ten a second. */
    public static String rate(long count, Duration elapsed) {
        double seconds = Math.max(elapsed.toNanos(), 1) / 1e9;
        double perSecond = count / seconds;
        return perSecond >= 10 ? String.format(Locale.ROOT, "%.0f/s", perSecond)
                : String.format(Locale.ROOT, "%.1f/s", perSecond);
    }

    /** {@code 1 request}, {@code 3 requests}: a count and its noun, for summaries. */
    public static String count(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    /** {@code 0.4 s}, {@code 12 s}, {@code 3m20s}. */
    public static String seconds(Duration elapsed) {
        long millis = elapsed.toMillis();
        if (millis < 10_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        if (millis < 120_000) {
            return (millis / 1000) + " s";
        }
        return (millis / 60_000) + "m" + (millis / 1000 % 60) + "s";
    }
}
