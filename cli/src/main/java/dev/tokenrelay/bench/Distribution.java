package dev.tokenrelay.bench;

import java.util.Arrays;

/**
 * A summary of measured values (milliseconds unless said otherwise): how many, the median, the
 * 99th percentile and the largest. Percentiles are nearest-rank: the value below which at least
 * that share of the values lie, always one of the measured values.
 *
 * @param count how many values
 * @param p50 the median; 0 when there are no values
 * @param p99 the 99th percentile; 0 when there are no values
 * @param max the largest value; 0 when there are no values
 */
public record Distribution(int count, double p50, double p99, double max) {

    /** No values at all. */
    public static final Distribution EMPTY = new Distribution(0, 0, 0, 0);

    /** Summarises {@code values}, which are left untouched. */
    public static Distribution of(double[] values) {
        if (values.length == 0) {
            return EMPTY;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return new Distribution(sorted.length, percentile(sorted, 0.50), percentile(sorted, 0.99),
                sorted[sorted.length - 1]);
    }

    /**
     * The nearest-rank percentile of sorted values: the smallest value such that at least
     * {@code quantile} of all values are less than or equal to it.
     *
     * @param sorted values in ascending order, at least one
     * @param quantile in (0, 1]
     */
    static double percentile(double[] sorted, double quantile) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (!(quantile > 0 && quantile <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1], was " + quantile);
        }
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
