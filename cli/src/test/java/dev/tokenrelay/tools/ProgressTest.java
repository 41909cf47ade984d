package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private final AtomicLong clock = new AtomicLong();
    private final StringWriter text = new StringWriter();

    private Progress progress(boolean terminal) {
        return new Progress(new PrintWriter(text), terminal, "sending", clock::get);
    }

    private void advance(Duration duration) {
        clock.addAndGet(duration.toNanos());
    }

    @Test
    void shouldRedrawABarInPlaceOnATerminal() {
        // Given a terminal display
        Progress progress = progress(true);

        // When updates come faster than the redraw interval
        advance(Duration.ofMillis(200));
        progress.update(50, 100, "");
        progress.update(60, 100, "");
        advance(Duration.ofMillis(200));
        progress.update(100, 100, "1 invalid");

        // Then each shown state is drawn over the last one, with a bar, counts and rate
        String last = "sending [########################] 100/100 (100%)  250/s  1 invalid";
        assertThat(text.toString()).isEqualTo("\rsending [############------------] 50/100 (50%)  250/s\r" + last);

        // And finishing clears the line
        progress.finish();
        assertThat(text.toString()).endsWith("\r" + " ".repeat(last.length()) + "\r");
    }

    @Test
    void shouldWritePlainLinesNowAndThenWhenNotATerminal() {
        // Given a display that is not a terminal
        Progress progress = progress(false);

        // When it is updated often for twelve seconds
        for (int second = 1; second <= 12; second++) {
            advance(Duration.ofSeconds(1));
            progress.update(second * 10, -1, "");
        }

        // Then it wrote a line every five seconds, without carriage returns
        assertThat(text.toString()).isEqualTo(String.format("sending 50  10/s%nsending 100  10/s%n"));
    }

    @Test
    void shouldFormatRatesAndTimes() {
        assertThat(Progress.rate(5, Duration.ofSeconds(2))).isEqualTo("2.5/s");
        assertThat(Progress.rate(3000, Duration.ofSeconds(2))).isEqualTo("1500/s");
        assertThat(Progress.seconds(Duration.ofMillis(420))).isEqualTo("0.4 s");
        assertThat(Progress.seconds(Duration.ofSeconds(42))).isEqualTo("42 s");
        assertThat(Progress.seconds(Duration.ofSeconds(200))).isEqualTo("3m20s");
    }
}
