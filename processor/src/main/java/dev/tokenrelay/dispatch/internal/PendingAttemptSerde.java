package dev.tokenrelay.dispatch.internal;

import dev.tokenrelay.lanes.PendingAttempt;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The value format of the attempts store of releases before the dispatch queue (see
 * {@link PendingAttempt} for the bytes), kept to read what such a release left behind.
 */
public final class PendingAttemptSerde implements Serde<PendingAttempt> {

    @Override
    public Serializer<PendingAttempt> serializer() {
        return (topic, pending) -> pending == null ? null : pending.toBytes();
    }

    @Override
    public Deserializer<PendingAttempt> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return PendingAttempt.fromBytes(bytes);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("cannot read a stored attempt from " + topic + ": " + e.getMessage(), e);
            }
        };
    }
}
