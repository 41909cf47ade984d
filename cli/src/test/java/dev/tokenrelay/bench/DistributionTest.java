package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DistributionTest {

    @Test
    void shouldUseNearestRankPercentiles() {
        // Given the values 1..100 in scrambled order
        double[] values = new double[100];
        for (int i = 0; i < 100; i++) {
            values[i] = (i * 37) % 100 + 1;
        }
        // When they are summarised
        Distribution d = Distribution.of(values);
        // Then the median is the 50th value, p99 the 99th and max the largest
        assertThat(d.count()).isEqualTo(100);
        assertThat(d.p50()).isEqualTo(50);
        assertThat(d.p99()).isEqualTo(99);
        assertThat(d.max()).isEqualTo(100);
    }

    @Test
    void shouldTakeAMeasuredValueForSmallSamples() {
        // Given fewer values than p99 has resolution for
        // When they are summarised, Then p99 is the largest and p50 the upper middle of an even count's pair
        assertThat(Distribution.of(new double[] {7})).isEqualTo(new Distribution(1, 7, 7, 7));
        assertThat(Distribution.of(new double[] {4, 1, 3, 2})).isEqualTo(new Distribution(4, 2, 4, 4));
    }

    @Test
    void shouldLeaveTheInputAloneAndSummariseNothingAsEmpty() {
        // Given unsorted values
        double[] values = {3, 1, 2};
        // When they are summarised, Then the array keeps its order
        Distribution.of(values);
        assertThat(values).containsExactly(3, 1, 2);
        // And no values give the empty summary
        assertThat(Distribution.of(new double[0])).isEqualTo(Distribution.EMPTY);
    }

    @Test
    void shouldRejectQuantilesOutsideTheUnitInterval() {
        assertThatThrownBy(() -> Distribution.percentile(new double[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Distribution.percentile(new double[] {1}, 1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Distribution.percentile(new double[0], 0.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
