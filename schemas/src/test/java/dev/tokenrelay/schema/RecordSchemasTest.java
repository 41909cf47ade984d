package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keeps the schemas and the records in step: a sample of every record, as JsonCodec writes it, is
 * valid against its schema, names exactly the schema's properties when fully populated, and reads
 * back equal.
 */
class RecordSchemasTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Instant T0 = Instant.parse("2025-01-31T12:00:00Z");
    private static final Instant T1 = Instant.parse("2025-01-31T12:00:01.250Z");

    private final MessageValidator validator = MessageValidator.instance();

    static Stream<Arguments> samples() {
        return Stream.of(
                Arguments.of(MessageType.CHAT_REQUEST, "full", fullRequest()),
                Arguments.of(MessageType.CHAT_REQUEST, "minimal", minimalRequest()),
                Arguments.of(MessageType.ATTEMPT, "full", fullAttempt()),
                Arguments.of(MessageType.ATTEMPT, "minimal", new Attempt(minimalRequest(), 1, "acc-1", null, null, null, null, null, null)),
                Arguments.of(MessageType.ATTEMPT_OUTCOME, "full", fullOutcome()),
                Arguments.of(MessageType.ATTEMPT_OUTCOME, "minimal",
                        new AttemptOutcome("req-1", 0, minimalTrailEntry(), null, null)),
                Arguments.of(MessageType.CHAT_RESULT, "full", fullResult()),
                Arguments.of(MessageType.CHAT_RESULT, "minimal",
                        new ChatResult("req-1", 0, ResultStatus.EXPIRED, 504, null, null, null, null, null, null)),
                Arguments.of(MessageType.DEAD_LETTER, "full", fullDeadLetter()),
                Arguments.of(MessageType.DEAD_LETTER, "minimal",
                        new DeadLetter(null, ResultStatus.REJECTED, "not JSON", null, null, null, null, null, null)),
                Arguments.of(MessageType.ACCOUNT_STATE, "full", fullAccountState()),
                Arguments.of(MessageType.ACCOUNT_STATE, "minimal",
                        new AccountState("acc-1", null, null, null, null, 0, false, null)),
                Arguments.of(MessageType.BATCH_STATUS, "full",
                        new BatchStatus("nightly-7", 10, 5, 1, 1, 1, 1, 1, T0, T1, "PT24H")),
                Arguments.of(MessageType.BATCH_STATUS, "minimal",
                        new BatchStatus("nightly-7", null, 1, 0, 0, 0, 0, null, null, null, null)),
                Arguments.of(MessageType.BATCH_OPENED, "full", new BatchOpened("nightly-7", 10, T0, "PT2S")),
                Arguments.of(MessageType.BATCH_OPENED, "minimal", new BatchOpened("nightly-7", 0, null, null)),
                Arguments.of(MessageType.CANCEL, "full",
                        new Cancel("nightly-7", "req-1", "tenant", "acme", "wrong prompt", T1)),
                Arguments.of(MessageType.CANCEL, "minimal", new Cancel(null, "req-1", null, null, null, null)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("samples")
    void shouldValidateEveryRecordAsJsonCodecWritesIt(MessageType type, String variant, Record sample) throws Exception {
        // Given a record built in Java, encoded by the codec and parsed back into a tree
        JsonNode written = JsonCodec.parseTree(JsonCodec.encode(sample));

        // When it is validated against its schema / Then it passes
        validator.validate(type, written);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("samples")
    void shouldRoundTripEveryRecordThroughTheCodec(MessageType type, String variant, Record sample) throws Exception {
        // Given a record encoded by the codec
        byte[] encoded = JsonCodec.encode(sample);

        // When it is decoded, and read through its schema
        Object decoded = JsonCodec.decode(encoded, type.recordType());
        Object read = validator.read(encoded, type.recordType());

        // Then both equal the original (JSON trees compare by value)
        assertThat(decoded).isEqualTo(sample);
        assertThat(read).isEqualTo(sample);
    }

    @ParameterizedTest
    @EnumSource(MessageType.class)
    void shouldDescribeExactlyTheFieldsOfAFullyPopulatedRecord(MessageType type) throws Exception {
        // Given the fully populated sample of the type, as written
        Record sample = (Record) samples()
                .map(Arguments::get)
                .filter(args -> args[0] == type && args[1].equals("full"))
                .findFirst()
                .orElseThrow()[2];
        JsonNode written = JsonCodec.parseTree(JsonCodec.encode(sample));

        // When its property names are compared with the schema's
        JsonNode schema = schemaFile(type.schemaResource());

        // Then they are the same names, and the sample sets every record component
        assertThat(fieldNames(written)).containsExactlyInAnyOrderElementsOf(fieldNames(schema.get("properties")));
        assertThat(fieldNames(written)).containsExactlyInAnyOrder(
                Arrays.stream(type.recordType().getRecordComponents()).map(c -> c.getName()).toArray(String[]::new));
        assertThat(schema.get("additionalProperties").asBoolean(true)).isFalse();
    }

    @Test
    void shouldWriteResultStatusInLowerCaseAndOutcomeKindByName() throws Exception {
        // Given a result whose trail holds a successful attempt
        ChatResult result = fullResult();

        // When it is written
        JsonNode written = JsonCodec.parseTree(JsonCodec.encode(result));

        // Then the status is lower case and the outcome is the enum's name
        assertThat(written.get("status").textValue()).isEqualTo("succeeded");
        assertThat(written.get("attempts").get(1).get("outcome").textValue()).isEqualTo("SUCCESS");
    }

    @Test
    void shouldListEveryEnumValueInTheSchemas() throws Exception {
        // Given the enums of the shared schema definitions
        JsonNode defs = schemaFile("common.schema.json").get("$defs");

        // When the Java enum constants are written by the codec
        List<String> statuses = written(ResultStatus.values());
        List<String> outcomes = written(OutcomeKind.values());

        // Then the schemas list exactly those values
        assertThat(texts(defs.get("resultStatus").get("enum"))).containsExactlyElementsOf(statuses);
        assertThat(texts(defs.get("outcomeKind").get("enum"))).containsExactlyElementsOf(outcomes);
        assertThat(statuses).containsExactly("succeeded", "failed", "expired", "rejected", "cancelled");
    }

    @Test
    void shouldRejectARecordThatDriftedFromItsSchema() throws Exception {
        // Given a written trail entry with an unknown outcome and an extra field
        ObjectNode outcome = (ObjectNode) JsonCodec.parseTree(JsonCodec.encode(fullOutcome()));
        ((ObjectNode) outcome.get("attempt")).put("outcome", "success");
        ObjectNode extra = (ObjectNode) JsonCodec.parseTree(JsonCodec.encode(fullAccountState()));
        extra.put("apiKey", "sk-secret");

        // When they are validated / Then each is refused at the drifted field
        assertThat(catchInvalid(MessageType.ATTEMPT_OUTCOME, outcome).field()).isEqualTo("/attempt/outcome");
        InvalidMessageException error = catchInvalid(MessageType.ACCOUNT_STATE, extra);
        assertThat(error.field()).isEqualTo("/apiKey");
        assertThat(error.reason()).doesNotContain("sk-secret");
    }

    @Test
    void shouldRejectAnAttemptWhoseRequestIsInvalid() throws Exception {
        // Given an attempt whose embedded request has lost its messages
        ObjectNode attempt = (ObjectNode) JsonCodec.parseTree(JsonCodec.encode(fullAttempt()));
        ((ObjectNode) attempt.get("request").get("body")).remove("messages");

        // When it is validated / Then the pointer goes into the request
        assertThat(catchInvalid(MessageType.ATTEMPT, attempt).field()).isEqualTo("/request/body/messages");
    }

    @Test
    void shouldShipSchemaFilesThatAreValidDraft202012Schemas() {
        // Given the 2020-12 meta-schema (bundled in the validator's jar)
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        Schema metaSchema = registry.getSchema(SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));
        List<String> files = new ArrayList<>();
        for (MessageType type : MessageType.values()) {
            files.add(type.schemaResource());
        }
        files.add("common.schema.json");
        files.add("trail-entry.schema.json");

        for (String file : files) {
            // When each schema file is validated against it
            List<Error> errors = metaSchema.validate(schemaFile(file));

            // Then it is a valid schema, and it names the dialect and its own $id
            assertThat(errors).as(file).isEmpty();
            assertThat(schemaFile(file).get("$schema").textValue()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
            assertThat(schemaFile(file).get("$id").textValue()).isEqualTo(MessageValidator.BASE_IRI + file);
        }
    }

    @Test
    void shouldMapEachRecordToItsMessageType() {
        // Given / When / Then every record type maps back to its message type
        for (MessageType type : MessageType.values()) {
            assertThat(MessageType.forRecord(type.recordType())).isEqualTo(type);
            assertThat(type.schemaResourcePath()).isEqualTo("dev/tokenrelay/schema/" + type.schemaResource());
        }
    }

    // ---- samples

    private static ChatRequest fullRequest() {
        ObjectNode body = NODES.objectNode().put("model", "gpt-4o-mini").put("temperature", 0.2);
        body.putArray("messages").addObject().put("role", "user").put("content", "Say hi");
        ObjectNode metadata = NODES.objectNode().put("tenant", "acme");
        return new ChatRequest("req-1", 2, body, "openai-main", "openai-key-2", T1, metadata, Priority.INTERACTIVE,
                "nightly-7");
    }

    private static ChatRequest minimalRequest() {
        ObjectNode body = NODES.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").putNull("content");
        return new ChatRequest("req-1", 0, body, null, null, null, null);
    }

    private static TrailEntry fullTrailEntry(int number, OutcomeKind outcome, String reason, int status) {
        return new TrailEntry(number, "acc-" + number, "openai-main", outcome, reason, status, 840L, T0,
                "req_" + number + "a2b3c4d5e6f7");
    }

    private static TrailEntry minimalTrailEntry() {
        return new TrailEntry(1, "acc-1", null, OutcomeKind.RETRYABLE, null, null, 0L, null);
    }

    private static Attempt fullAttempt() {
        UpstreamResponse last = new UpstreamResponse(429,
                NODES.objectNode().set("error", NODES.objectNode().put("message", "rate limited")));
        return new Attempt(fullRequest(), 2, "acc-2", "openai-main",
                List.of(fullTrailEntry(1, OutcomeKind.RETRYABLE, "status_429", 429)), last, T1,
                T1.plusSeconds(3600), T1.plusSeconds(2));
    }

    private static AttemptOutcome fullOutcome() {
        ObjectNode usage = NODES.objectNode().put("prompt_tokens", 12).put("completion_tokens", 3).put("total_tokens", 15);
        return new AttemptOutcome("req-1", 2, fullTrailEntry(1, OutcomeKind.RETRYABLE, "status_429", 429), T1, usage);
    }

    private static ChatResult fullResult() {
        ObjectNode completion = NODES.objectNode().put("id", "chatcmpl-1").put("object", "chat.completion");
        completion.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .set("message", NODES.objectNode().put("role", "assistant").put("content", "Hi"));
        ObjectNode usage = NODES.objectNode().put("total_tokens", 15);
        ErrorInfo error = new ErrorInfo("upstream_error", "first account was rate limited",
                NODES.objectNode().put("message", "rate limited"));
        return new ChatResult("req-1", 2, ResultStatus.SUCCEEDED, 200, completion, error, usage,
                NODES.objectNode().put("tenant", "acme"),
                List.of(fullTrailEntry(1, OutcomeKind.RETRYABLE, "status_429", 429),
                        fullTrailEntry(2, OutcomeKind.SUCCESS, "ok", 200)),
                T1, "nightly-7");
    }

    private static DeadLetter fullDeadLetter() {
        return new DeadLetter("req-1", ResultStatus.FAILED, "no account left", fullRequest(), "{\"id\":\"req-1\"}",
                "eyJpZCI6InJlcS0xIn0=", new DeadLetter.SourceRecord("tokenrelay.requests", 3, 12345678901L),
                List.of(fullTrailEntry(1, OutcomeKind.FATAL, "invalid_body", 400)), T1);
    }

    private static AccountState fullAccountState() {
        return new AccountState("acc-1", T1, "status_429", OutcomeKind.RETRYABLE, 429, 3, T0, 3, true, T1, T0,
                "empty_completion", 200);
    }

    // ---- helpers

    private InvalidMessageException catchInvalid(MessageType type, JsonNode value) {
        try {
            validator.validate(type, value);
        } catch (InvalidMessageException e) {
            return e;
        }
        throw new AssertionError("expected " + value + " to be invalid against " + type);
    }

    private static JsonNode schemaFile(String name) {
        try (InputStream in = RecordSchemasTest.class.getClassLoader()
                .getResourceAsStream(MessageType.RESOURCE_FOLDER + name)) {
            assertThat(in).as(name).isNotNull();
            return JsonCodec.mapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.textValue()));
        return texts;
    }

    private static List<String> written(Enum<?>[] constants) {
        List<String> names = new ArrayList<>();
        for (Enum<?> constant : constants) {
            names.add(JsonCodec.mapper().valueToTree(constant).textValue());
        }
        return names;
    }
}
