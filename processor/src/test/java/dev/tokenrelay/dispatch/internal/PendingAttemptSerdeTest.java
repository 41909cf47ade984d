package dev.tokenrelay.dispatch.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tokenrelay.lanes.PendingAttempt;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The attempts store's value format. */
class PendingAttemptSerdeTest {

    private final PendingAttemptSerde serde = new PendingAttemptSerde();

    @Test
    void shouldStoreTheJsonAnAttemptArrivedWithAsItIs() {
        // Given an attempt that arrived as JSON with a field order of its own
        Attempt attempt = attempt("r1");
        byte[] arrived = JsonCodec.encode(attempt);

        // When it is stored and read back
        byte[] stored = serde.serializer().serialize("store", new PendingAttempt(attempt, 42, arrived));
        PendingAttempt read = serde.deserializer().deserialize("store", stored);

        // Then the stored bytes end with exactly the JSON that arrived, and sequence and attempt survive
        assertThat(new String(stored, StandardCharsets.UTF_8)).endsWith(new String(arrived, StandardCharsets.UTF_8));
        assertThat(read.sequence()).isEqualTo(42);
        assertThat(read.attempt()).isEqualTo(attempt);
    }

    @Test
    void shouldEncodeAnAttemptMadeByTheStage() {
        // Given an attempt with no JSON yet (a redirect)
        Attempt attempt = attempt("r2");

        // When it is stored and read back
        PendingAttempt read = serde.deserializer().deserialize("store",
                serde.serializer().serialize("store", new PendingAttempt(attempt, 7, null)));

        // Then it comes back whole
        assertThat(read.attempt()).isEqualTo(attempt);
        assertThat(read.sequence()).isEqualTo(7);
    }

    @Test
    void shouldNameTheProblemWithAValueOfAnotherFormat() {
        // Given a value in no format this version knows (the JSON of an older store, say)
        byte[] foreign = "{\"attempt\":{}}".getBytes(StandardCharsets.UTF_8);

        // When it is read, then the error says what is wrong
        assertThatThrownBy(() -> serde.deserializer().deserialize("store", foreign))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("unknown format");
    }

    private static Attempt attempt(String id) {
        ChatRequest request = new ChatRequest(id, 0, JsonNodeFactory.instance.objectNode().put("model", "m"), null, null,
                null, null);
        return new Attempt(request, 1, "a", "main", List.of(), null, Instant.parse("2025-01-01T12:00:00Z"));
    }
}
