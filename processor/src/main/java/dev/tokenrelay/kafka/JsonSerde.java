package dev.tokenrelay.kafka;

import dev.tokenrelay.schema.JsonCodec;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A serde for one record type, through the shared {@link JsonCodec}. */
public final class JsonSerde<T> implements Serde<T> {

    private final Class<T> type;

    public JsonSerde(Class<T> type) {
        this.type = type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : JsonCodec.encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return JsonCodec.decode(bytes, type);
            } catch (RuntimeException e) {
                throw new SerializationException("cannot read a " + type.getSimpleName() + " from " + topic + ": "
                        + e.getMessage(), e);
            }
        };
    }
}
