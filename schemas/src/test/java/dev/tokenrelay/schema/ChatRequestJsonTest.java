package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a request's priority and batch are written and read back as JSON. */
class ChatRequestJsonTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Test
    void shouldWriteAPriorityAsANumberAndReadItBack() throws Exception {
        // Given a request with the batch priority
        ChatRequest request = request().withPriority(Priority.BATCH);

        // When it is written and read back by data binding and through the schema
        byte[] written = JsonCodec.encode(request);
        JsonNode tree = JsonCodec.parseTree(written);

        // Then the priority is a number, and both readers get the same record
        assertThat(tree.get("priority").isInt()).isTrue();
        assertThat(tree.get("priority").intValue()).isEqualTo(-10);
        assertThat(JsonCodec.decode(written, ChatRequest.class)).isEqualTo(request);
        assertThat(MessageValidator.instance().readRequest(written)).isEqualTo(request);
    }

    @Test
    void shouldLeaveOutADefaultPriority() throws Exception {
        // Given a request built without a priority
        ChatRequest request = request();

        // When it is written and read back
        byte[] written = JsonCodec.encode(request);

        // Then the priority is 0, is not written, and the request reads back equal
        assertThat(request.priority()).isZero();
        assertThat(JsonCodec.parseTree(written).has("priority")).isFalse();
        assertThat(JsonCodec.decode(written, ChatRequest.class)).isEqualTo(request);
        assertThat(MessageValidator.instance().readRequest(written)).isEqualTo(request);
    }

    @Test
    void shouldReadAPriorityNameByDataBindingToo() {
        // Given a request as a client writes it, with a priority name
        byte[] json = bytes("{\"id\":\"r1\",\"priority\":\"interactive\",\"body\":{\"model\":\"m\",\"messages\":[]}}");

        // When it is read by data binding
        ChatRequest request = JsonCodec.decode(json, ChatRequest.class);

        // Then the name is its number
        assertThat(request.priority()).isEqualTo(Priority.INTERACTIVE);
    }

    @Test
    void shouldRefuseABadPriorityByDataBindingWithTheSameReason() {
        // Given requests whose priority is an unknown name, out of range, or null
        for (String bad : List.of("\"urgent\"", "101", "null")) {
            byte[] json = bytes("{\"id\":\"r1\",\"priority\":" + bad + ",\"body\":{\"model\":\"m\",\"messages\":[]}}");

            // When one is read by data binding / Then it is refused with the allowed values
            assertThatThrownBy(() -> JsonCodec.decode(json, ChatRequest.class))
                    .as(bad)
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("priority must be " + Priority.ALLOWED);
        }
    }

    @Test
    void shouldKeepThePriorityOfANestedRequest() throws Exception {
        // Given an attempt and a dead letter holding an interactive request
        ChatRequest request = request().withPriority(Priority.INTERACTIVE);
        Attempt attempt = new Attempt(request, 1, "acc-1", null, null, null, null, null, null);
        DeadLetter letter = new DeadLetter("r1", ResultStatus.FAILED, "status_500", request, null, null, null, null, null);

        // When each is written and read back through its schema
        Attempt attemptRead = MessageValidator.instance().read(JsonCodec.encode(attempt), Attempt.class);
        DeadLetter letterRead = MessageValidator.instance().read(JsonCodec.encode(letter), DeadLetter.class);

        // Then the request keeps its priority
        assertThat(attemptRead.request().priority()).isEqualTo(10);
        assertThat(letterRead.request().priority()).isEqualTo(10);
    }

    @Test
    void shouldRefuseAPriorityOutOfRangeInJava() {
        // Given a priority past the range
        // When a request is built with it / Then it is refused
        assertThatThrownBy(() -> request().withPriority(101))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 101");
    }

    @Test
    void shouldWriteABatchAndLeaveItOutWhenThereIsNone() throws Exception {
        // Given a request in a batch, and one in none
        ChatRequest inBatch = request().withBatch("nightly-7.a_b");
        ChatRequest alone = request();

        // When both are written
        byte[] written = JsonCodec.encode(inBatch);
        byte[] writtenAlone = JsonCodec.encode(alone);

        // Then the batch is written only when set, and both read back equal
        assertThat(JsonCodec.parseTree(written).get("batch").textValue()).isEqualTo("nightly-7.a_b");
        assertThat(JsonCodec.parseTree(writtenAlone).has("batch")).isFalse();
        assertThat(MessageValidator.instance().readRequest(written)).isEqualTo(inBatch);
        assertThat(JsonCodec.decode(writtenAlone, ChatRequest.class)).isEqualTo(alone);
    }

    @Test
    void shouldRefuseABatchIdOutsideTheAccountIdCharacters() {
        // Given a request whose batch has a space, and one whose batch is too long
        byte[] spaced = bytes("{\"id\":\"r1\",\"batch\":\"night ly\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}}");
        String tooLong = "b".repeat(129);

        // When they are read or built / Then each is refused, naming the field
        assertThatThrownBy(() -> MessageValidator.instance().readRequest(spaced))
                .isInstanceOfSatisfying(InvalidMessageException.class, e -> assertThat(e.field()).isEqualTo("/batch"));
        assertThatThrownBy(() -> request().withBatch(tooLong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch must match");
    }

    private static ChatRequest request() {
        ObjectNode body = NODES.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        return new ChatRequest("r1", 0, body, null, null, null, null);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
