package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Which of Kafka's own client and Streams metrics the metrics endpoint serves beside tokenrelay's
 * and the JVM's. Kafka registers well over a thousand series for one processor (every client,
 * thread, task, partition and store, a third of them NaN until something happens), which buries
 * the few that say whether the processor keeps up.
 */
public enum KafkaMetrics {
    /** Every metric Kafka registers, as Kafka names them. */
    @JsonProperty("all")
    ALL,
    /** A few dozen that tell whether the processor keeps up: rates, latencies, lag, errors, rebalances, store sizes. */
    @JsonProperty("curated")
    CURATED,
    /** None of Kafka's metrics. */
    @JsonProperty("none")
    NONE
}
