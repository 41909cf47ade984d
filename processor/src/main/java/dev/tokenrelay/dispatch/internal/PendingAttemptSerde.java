package dev.tokenrelay.dispatch.internal;

import dev.tokenrelay.lanes.PendingAttempt;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.JsonCodec;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The value format of the dispatch stage's attempts store: a format byte, the sequence as 8 bytes,
 * then the attempt's JSON (the attempts topic's value format). The JSON an attempt arrived with is
 * written as it is.
 */
public final class PendingAttemptSerde implements Serde<PendingAttempt> {

    private static final byte FORMAT_1 = 1;
    private static final int HEADER = 1 + Long.BYTES;

    @Override
    public Serializer<PendingAttempt> serializer() {
        return (topic, pending) -> {
            if (pending == null) {
                return null;
            }
            byte[] json = pending.json() != null ? pending.json() : JsonCodec.encode(pending.attempt());
            return ByteBuffer.allocate(HEADER + json.length).put(FORMAT_1).putLong(pending.sequence()).put(json)
                    .array();
        };
    }

    @Override
    public Deserializer<PendingAttempt> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length < HEADER || bytes[0] != FORMAT_1) {
                throw new SerializationException("cannot read a stored attempt from " + topic
                        + ": unknown format " + (bytes.length == 0 ? "(empty)" : bytes[0]));
            }
            long sequence = ByteBuffer.wrap(bytes, 1, Long.BYTES).getLong();
            byte[] json = Arrays.copyOfRange(bytes, HEADER, bytes.length);
            try {
                return new PendingAttempt(JsonCodec.decode(json, Attempt.class), sequence, json);
            } catch (RuntimeException e) {
                throw new SerializationException("cannot read a stored attempt from " + topic + ": " + e.getMessage(), e);
            }
        };
    }
}
