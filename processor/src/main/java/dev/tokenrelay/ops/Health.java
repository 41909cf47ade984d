package dev.tokenrelay.ops;

import org.apache.kafka.streams.KafkaStreams;

/**
 * Liveness and readiness from the Kafka Streams state. Live: the process runs and Streams has not
 * given up ({@code ERROR}, {@code NOT_RUNNING}); a rebalance or a start-up is alive. Ready: Streams
 * is {@code RUNNING}, so requests are being processed.
 */
public final class Health {

    private Health() {}

    public static boolean live(KafkaStreams.State state) {
        return state != KafkaStreams.State.ERROR && state != KafkaStreams.State.NOT_RUNNING;
    }

    public static boolean ready(KafkaStreams.State state) {
        return state == KafkaStreams.State.RUNNING;
    }
}
