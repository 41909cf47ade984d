package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class WindowTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void shouldKeepTheMiddleShareOfCompletions() {
        // Given 101 completions, one every 10 ms
        long[] times = new long[101];
        for (int i = 0; i < times.length; i++) {
            times[i] = i * SECOND / 100;
        }
        // When the middle 80% is taken
        Window window = Window.middle(times, 0.8);
        // Then it runs from the 10th to the 90th percentile completion, at 100 per second
        assertThat(window.firstIndex()).isEqualTo(10);
        assertThat(window.lastIndex()).isEqualTo(90);
        assertThat(window.completions()).isEqualTo(80);
        assertThat(window.seconds()).isCloseTo(0.8, within(1e-9));
        assertThat(window.perSecond()).isCloseTo(100, within(1e-6));
        assertThat(window.contains(10)).isFalse();
        assertThat(window.contains(11)).isTrue();
        assertThat(window.contains(90)).isTrue();
    }

    @Test
    void shouldNotCountASlowStartOrEndInTheSteadyState() {
        // Given 10 completions in a slow first second, 80 in the next second, 10 in a slow last second
        long[] times = new long[100];
        for (int i = 0; i < 10; i++) {
            times[i] = i * SECOND / 10;
        }
        for (int i = 0; i < 80; i++) {
            times[10 + i] = SECOND + i * SECOND / 80;
        }
        for (int i = 0; i < 10; i++) {
            times[90 + i] = 2 * SECOND + i * SECOND / 10;
        }
        // When the middle 80% is taken, Then its rate is close to the fast middle's, not the run's 34 per second
        assertThat(Window.middle(times, 0.8).perSecond()).isBetween(70.0, 80.0);
    }

    @Test
    void shouldHaveNoWindowWithoutTwoCompletions() {
        assertThat(Window.middle(new long[0], 0.8)).isNull();
        assertThat(Window.middle(new long[] {5}, 0.8)).isNull();
        assertThat(Window.middle(new long[] {5, 5}, 0.8).perSecond()).isZero();
    }

    @Test
    void shouldCountCompletionsAndOpenCallsPerSecond() {
        // Given completions at 0.5 s, 1.2 s and 1.7 s, calls started at 0.1 s and 0.6 s, and samples of open calls
        long start = 10 * SECOND;
        long[] completions = {start + SECOND / 2, start + 12 * SECOND / 10, start + 17 * SECOND / 10};
        double[] starts = {0.1e9, 0.6e9};
        long[] sampleTimes = {start + SECOND / 4, start + 3 * SECOND / 4, start + 5 * SECOND / 4};
        int[] open = {2, 4, 1};
        // When they are laid out second by second
        List<BenchReport.Second> timeline = Analysis.timeline(start, completions, starts, sampleTimes, open);
        // Then each second has its own counts and mean
        assertThat(timeline).containsExactly(new BenchReport.Second(0, 2, 1, 3.0), new BenchReport.Second(1, 0, 2, 1.0));
    }
}
