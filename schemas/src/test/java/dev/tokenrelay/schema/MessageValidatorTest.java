package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageValidatorTest {

    private static final String MESSAGES = "[{\"role\":\"user\",\"content\":\"Say hi\"}]";

    private final MessageValidator validator = MessageValidator.instance();

    @Test
    void shouldReadAValidRequestIntoTheRecord() throws Exception {
        // Given a request with every optional field and some OpenAI fields tokenrelay does not check
        String json = """
                {
                  "id": "req-42",
                  "body": {
                    "model": "gpt-4o-mini",
                    "temperature": 0.2,
                    "stream": false,
                    "messages": [
                      {"role": "system", "content": "Be brief."},
                      {"role": "user", "content": [{"type": "text", "text": "Say hi"}], "name": "ann"},
                      {"role": "assistant", "content": null,
                       "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
                    ]
                  },
                  "pool": "openai-main",
                  "account": "openai-key-2",
                  "deadline": "2030-01-31T12:00:00.250Z",
                  "metadata": {"tenant": "acme", "tags": ["a", "b"]}
                }
                """;

        // When it is read
        ChatRequest request = validator.readRequest(bytes(json));

        // Then every field is in the record, and the absent generation is 0
        assertThat(request.id()).isEqualTo("req-42");
        assertThat(request.generation()).isZero();
        assertThat(request.body()).isEqualTo(tree(json).get("body"));
        assertThat(request.model()).isEqualTo("gpt-4o-mini");
        assertThat(request.pool()).isEqualTo("openai-main");
        assertThat(request.account()).isEqualTo("openai-key-2");
        assertThat(request.pinned()).isTrue();
        assertThat(request.deadline()).isEqualTo(Instant.parse("2030-01-31T12:00:00.250Z"));
        assertThat(request.metadata()).isEqualTo(tree("{\"tenant\":\"acme\",\"tags\":[\"a\",\"b\"]}"));
    }

    @Test
    void shouldReadAMinimalRequestWithDefaults() throws Exception {
        // Given a request with only an id and a body
        String json = request("\"id\":\"r1\"", "\"model\":\"m\",\"messages\":" + MESSAGES);

        // When it is read
        ChatRequest request = validator.readRequest(bytes(json));

        // Then the optional fields are absent and the generation is 0
        assertThat(request.generation()).isZero();
        assertThat(request.pool()).isNull();
        assertThat(request.account()).isNull();
        assertThat(request.pinned()).isFalse();
        assertThat(request.deadline()).isNull();
        assertThat(request.metadata()).isNull();
        assertThat(request.submissionKey()).isEqualTo("r1");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "\"id\":\"r1\"",
            "\"id\":\"r1\",\"generation\":2,\"pool\":\"p\",\"metadata\":{\"k\":[1,{\"x\":null}]}",
            "\"id\":\"r1\",\"account\":\"a\",\"deadline\":\"2030-01-31T12:00:00Z\"",
            "\"id\":\"r1\",\"deadline\":\"2030-01-31T12:00:00.123456789Z\"",
            "\"id\":\"r1\",\"priority\":\"batch\"",
            "\"id\":\"r1\",\"priority\":-100"})
    void shouldReadTheSameRecordAsDataBindingDoes(String fields) throws Exception {
        // Given a valid request
        String json = request(fields, "\"model\":\"m\",\"n\":1,\"messages\":" + MESSAGES);

        // When it is read by the validator and by the codec
        ChatRequest read = validator.readRequest(bytes(json));
        ChatRequest bound = JsonCodec.decode(bytes(json), ChatRequest.class);

        // Then both records are equal, field by field
        assertThat(read).isEqualTo(bound);
    }

    @Test
    void shouldReadAReplayGeneration() throws Exception {
        // Given a re-submission with generation 3
        String json = request("\"id\":\"r1\",\"generation\":3", "\"model\":\"m\",\"messages\":" + MESSAGES);

        // When it is read
        ChatRequest request = validator.readRequest(bytes(json));

        // Then the generation is kept
        assertThat(request.generation()).isEqualTo(3);
        assertThat(request.submissionKey()).isEqualTo("r1#3");
    }

    @Test
    void shouldRejectAValueThatIsNotJson() {
        // Given text that is not JSON
        byte[] value = bytes("hello, world");

        // When it is read / Then the whole value is at fault
        assertInvalid(() -> validator.readRequest(value), "", "not JSON");
    }

    @Test
    void shouldRejectAnEmptyValue() {
        // Given an empty record value (or a tombstone)
        // When it is read / Then the whole value is at fault
        assertInvalid(() -> validator.readRequest(new byte[0]), "", "empty value");
        assertInvalid(() -> validator.readRequest((byte[]) null), "", "empty value");
    }

    @Test
    void shouldRejectJsonThatIsNotAnObject() {
        // Given a JSON array
        byte[] value = bytes("[1, 2]");

        // When it is read / Then the root is at fault
        assertInvalid(() -> validator.readRequest(value), "", "object expected");
    }

    @Test
    void shouldRejectAMissingId() {
        // Given a request without an id
        byte[] value = bytes(request("\"pool\":\"p\"", "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then the id is reported missing
        assertInvalid(() -> validator.readRequest(value), "/id", "required property 'id' is missing");
    }

    @Test
    void shouldRejectAnEmptyId() {
        // Given a request whose id is the empty string
        byte[] value = bytes(request("\"id\":\"\"", "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then the id is at fault
        assertInvalid(() -> validator.readRequest(value), "/id", "at least 1");
    }

    @Test
    void shouldRejectAnIdLongerThan256Characters() throws Exception {
        // Given ids of 256 and 257 characters
        String body = "\"model\":\"m\",\"messages\":" + MESSAGES;
        byte[] longest = bytes(request("\"id\":\"" + "x".repeat(256) + "\"", body));
        byte[] tooLong = bytes(request("\"id\":\"" + "x".repeat(257) + "\"", body));

        // When they are read / Then only the longer one is refused
        assertThat(validator.readRequest(longest).id()).hasSize(256);
        assertInvalid(() -> validator.readRequest(tooLong), "/id", "256");
    }

    @Test
    void shouldRejectAnIdThatIsNotAString() {
        // Given a numeric id
        byte[] value = bytes(request("\"id\":42", "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then the id's type is at fault
        assertInvalid(() -> validator.readRequest(value), "/id", "string expected");
    }

    @Test
    void shouldRejectAMissingBody() {
        // Given a request without a body
        byte[] value = bytes("{\"id\":\"r1\"}");

        // When it is read / Then the body is reported missing
        assertInvalid(() -> validator.readRequest(value), "/body", "required property 'body' is missing");
    }

    @Test
    void shouldRejectMissingMessages() {
        // Given a body without messages
        byte[] value = bytes(request("\"id\":\"r1\"", "\"model\":\"m\""));

        // When it is read / Then body.messages is reported missing
        assertInvalid(() -> validator.readRequest(value), "/body/messages", "required property 'messages' is missing");
    }

    @Test
    void shouldRejectMessagesThatAreNotAnArray() {
        // Given messages that are an object
        byte[] value = bytes(request("\"id\":\"r1\"", "\"model\":\"m\",\"messages\":{\"role\":\"user\"}"));

        // When it is read / Then body.messages has the wrong type
        assertInvalid(() -> validator.readRequest(value), "/body/messages", "object found, array expected");
    }

    @Test
    void shouldRejectEmptyMessages() {
        // Given an empty messages array
        byte[] value = bytes(request("\"id\":\"r1\"", "\"model\":\"m\",\"messages\":[]"));

        // When it is read / Then body.messages is at fault
        assertInvalid(() -> validator.readRequest(value), "/body/messages", "at least 1");
    }

    @Test
    void shouldRejectAMessageWithoutRole() {
        // Given a second message without a role
        byte[] value = bytes(request("\"id\":\"r1\"",
                "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"content\":\"b\"}]"));

        // When it is read / Then that message's role is reported missing
        assertInvalid(() -> validator.readRequest(value), "/body/messages/1/role", "required property 'role' is missing");
    }

    @Test
    void shouldRejectAMissingOrEmptyModel() {
        // Given a body without a model, and one with an empty model
        byte[] missing = bytes(request("\"id\":\"r1\"", "\"messages\":" + MESSAGES));
        byte[] empty = bytes(request("\"id\":\"r1\"", "\"model\":\"\",\"messages\":" + MESSAGES));

        // When they are read / Then the model is at fault
        assertInvalid(() -> validator.readRequest(missing), "/body/model", "required property 'model' is missing");
        assertInvalid(() -> validator.readRequest(empty), "/body/model", "at least 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"text\"", "[{\"type\":\"text\",\"text\":\"hi\"}]", "null"})
    void shouldAcceptMessageContentThatIsAStringAnArrayOrNull(String content) throws Exception {
        // Given a message whose content is a string, an array of parts or null
        byte[] value = bytes(request("\"id\":\"r1\"",
                "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + content + "}]"));

        // When it is read / Then it is accepted
        assertThat(validator.readRequest(value).body().get("messages").get(0).get("content"))
                .isEqualTo(tree(content));
    }

    @ParameterizedTest
    @ValueSource(strings = {"42", "true", "{\"text\":\"hi\"}"})
    void shouldRejectMessageContentOfAnyOtherType(String content) {
        // Given a message whose content is a number, a boolean or an object
        byte[] value = bytes(request("\"id\":\"r1\"",
                "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + content + "}]"));

        // When it is read / Then the content is at fault
        assertInvalid(() -> validator.readRequest(value), "/body/messages/0/content", "[string, array, null] expected");
    }

    @Test
    void shouldRejectAnUnknownTopLevelProperty() {
        // Given a request with a property the schema does not define
        byte[] value = bytes(request("\"id\":\"r1\",\"urgency\":5", "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then that property is at fault
        assertInvalid(() -> validator.readRequest(value), "/urgency", "unknown property 'urgency' is not allowed");
    }

    @Test
    void shouldEscapeThePointerOfAnOddPropertyName() {
        // Given an unknown property whose name holds '/' and '~'
        byte[] value = bytes(request("\"id\":\"r1\",\"a/b~c\":1", "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then the pointer escapes them as RFC 6901 says
        assertInvalid(() -> validator.readRequest(value), "/a~1b~0c", "unknown property 'a/b~c' is not allowed");
    }

    @Test
    void shouldRejectADeadlineThatIsNotADateTime() {
        // Given a deadline in words
        byte[] value = bytes(request("\"id\":\"r1\",\"deadline\":\"tomorrow noon\"", "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then the deadline is at fault, and the reason does not echo the value
        InvalidMessageException error = invalid(() -> validator.readRequest(value));
        assertThat(error.field()).isEqualTo("/deadline");
        assertThat(error.reason()).contains("RFC 3339").doesNotContain("tomorrow");
    }

    @Test
    void shouldAcceptADeadlineWithAnOffset() throws Exception {
        // Given a deadline written with a UTC offset
        byte[] value = bytes(request("\"id\":\"r1\",\"deadline\":\"2030-01-31T14:00:00+02:00\"",
                "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When it is read / Then it is the same instant in UTC
        assertThat(validator.readRequest(value).deadline()).isEqualTo(Instant.parse("2030-01-31T12:00:00Z"));
    }

    @Test
    void shouldRejectANegativeOrOversizedGeneration() {
        // Given generations below 0 and beyond a Java int
        String body = "\"model\":\"m\",\"messages\":" + MESSAGES;
        byte[] negative = bytes(request("\"id\":\"r1\",\"generation\":-1", body));
        byte[] huge = bytes(request("\"id\":\"r1\",\"generation\":3000000000", body));
        byte[] fraction = bytes(request("\"id\":\"r1\",\"generation\":1.5", body));

        // When they are read / Then the generation is at fault
        assertInvalid(() -> validator.readRequest(negative), "/generation", "minimum");
        assertInvalid(() -> validator.readRequest(huge), "/generation", "maximum");
        assertInvalid(() -> validator.readRequest(fraction), "/generation", "integer expected");
    }

    @Test
    void shouldRejectEmptyPoolAccountAndNonObjectMetadata() {
        // Given an empty pool, an empty account, and metadata that is a string
        String body = "\"model\":\"m\",\"messages\":" + MESSAGES;
        byte[] pool = bytes(request("\"id\":\"r1\",\"pool\":\"\"", body));
        byte[] account = bytes(request("\"id\":\"r1\",\"account\":\"\"", body));
        byte[] metadata = bytes(request("\"id\":\"r1\",\"metadata\":\"x\"", body));

        // When they are read / Then each field is at fault
        assertInvalid(() -> validator.readRequest(pool), "/pool", "at least 1");
        assertInvalid(() -> validator.readRequest(account), "/account", "at least 1");
        assertInvalid(() -> validator.readRequest(metadata), "/metadata", "object expected");
    }

    @Test
    void shouldReadAPriorityByNameOrNumber() throws Exception {
        // Given requests with each priority name, a number, and none
        String body = "\"model\":\"m\",\"messages\":" + MESSAGES;

        // When they are read / Then each carries its priority, and none means 0
        assertThat(validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":\"interactive\"", body))).priority())
                .isEqualTo(10);
        assertThat(validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":\"default\"", body))).priority())
                .isZero();
        assertThat(validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":\"batch\"", body))).priority())
                .isEqualTo(-10);
        assertThat(validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":100", body))).priority())
                .isEqualTo(100);
        assertThat(validator.readRequest(bytes(request("\"id\":\"r1\"", body))).priority()).isZero();
    }

    @Test
    void shouldRejectABadPriorityNamingTheAllowedValues() {
        // Given priorities that are a name in the wrong case, an unknown name, out of range, a fraction,
        // a number written as a string, null and a boolean
        String body = "\"model\":\"m\",\"messages\":" + MESSAGES;
        String allowed = "priority must be interactive, default, batch or an integer from -100 to 100, got ";

        // When they are read / Then the priority is at fault, with what is allowed and what it got
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":\"Batch\"", body))),
                "/priority", allowed + "'Batch'");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":\"urgent\"", body))),
                "/priority", allowed + "'urgent'");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":101", body))),
                "/priority", allowed + "101");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":-101", body))),
                "/priority", allowed + "-101");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":2.5", body))),
                "/priority", allowed + "2.5");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":\"10\"", body))),
                "/priority", allowed + "'10'");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":null", body))),
                "/priority", allowed + "null");
        assertInvalid(() -> validator.readRequest(bytes(request("\"id\":\"r1\",\"priority\":true", body))),
                "/priority", allowed + "a boolean");
    }

    @Test
    void shouldRejectABadPriorityOfARequestInsideAnAttempt() {
        // Given an attempt whose request has an unknown priority name
        byte[] attempt = bytes("{\"request\":" + request("\"id\":\"r1\",\"priority\":\"soon\"",
                "\"model\":\"m\",\"messages\":" + MESSAGES) + ",\"number\":1,\"account\":\"a\",\"trail\":[]}");

        // When it is read / Then the nested priority is at fault with the same reason
        assertInvalid(() -> validator.read(attempt, Attempt.class), "/request/priority",
                "priority must be " + Priority.ALLOWED + ", got 'soon'");
    }

    @Test
    void shouldRejectARoleTheChatApiDoesNotHave() {
        // Given a message whose role is not one of the chat-completions roles
        byte[] wizard = bytes(request("\"id\":\"r1\"",
                "\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"wizard\",\"content\":\"b\"}]"));

        // When it is read / Then the role is at fault, without the value repeated
        InvalidMessageException error = invalid(() -> validator.readRequest(wizard));
        assertThat(error.field()).isEqualTo("/body/messages/1/role");
        assertThat(error.reason()).contains("enumeration").doesNotContain("wizard");
    }

    @Test
    void shouldAcceptEveryRoleOfTheChatApi() throws Exception {
        // Given one message of each role
        String messages = "[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"developer\",\"content\":\"d\"},"
                + "{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":null},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"t\"},"
                + "{\"role\":\"function\",\"name\":\"f\",\"content\":\"r\"}]";

        // When it is read / Then it is a valid request
        assertThat(validator.readRequest(bytes(request("\"id\":\"r1\"", "\"model\":\"m\",\"messages\":" + messages)))
                .body().get("messages")).hasSize(6);
    }

    @Test
    void shouldRefuseNestingDeeperThanTheLimitWhileParsing() throws Exception {
        // Given a request whose metadata is nested 20,000 deep, and one nested exactly to the limit
        String deep = "[".repeat(20_000) + "]".repeat(20_000);
        byte[] hostile = bytes(request("\"id\":\"r1\",\"metadata\":{\"x\":" + deep + "}",
                "\"model\":\"m\",\"messages\":" + MESSAGES));
        // request 1, metadata 2, x 3..10: 8 levels
        byte[] atLimit = bytes(request("\"id\":\"r2\",\"metadata\":{\"x\":" + "[".repeat(8) + "]".repeat(8) + "}",
                "\"model\":\"m\",\"messages\":" + MESSAGES));

        // When they are read with a limit of 10
        Throwable tooDeep = catchThrowable(() -> validator.readRequest(hostile, 10));

        // Then the deep one is refused as too deep (no stack overflow), and the other is read
        assertThat(tooDeep).isInstanceOf(JsonCodec.TooDeepException.class);
        assertThat(((JsonCodec.TooDeepException) tooDeep).maxNestingDepth()).isEqualTo(10);
        assertThat(validator.readRequest(atLimit, 10).id()).isEqualTo("r2");
    }

    @Test
    void shouldFindTheIdOfAValueTooDeepOrNotJsonAfterIt() {
        // Given values with an id before a part nested too deep, before broken text, and with no textual id
        byte[] deepAfterId = bytes("{\"id\":\"deep-1\",\"body\":" + "[".repeat(5_000) + "]".repeat(5_000) + "}");
        byte[] brokenAfterId = bytes("{\"n\":{\"a\":[1,2]},\"id\":\"broken-1\",\"body\": nope");
        byte[] numericId = bytes("{\"id\":42}");
        byte[] notJson = bytes("id: x");

        // When the id is scanned for / Then it is found where it comes before the fault
        assertThat(JsonCodec.scanId(deepAfterId, 64)).isEqualTo("deep-1");
        assertThat(JsonCodec.scanId(brokenAfterId, 64)).isEqualTo("broken-1");
        assertThat(JsonCodec.scanId(numericId, 64)).isNull();
        assertThat(JsonCodec.scanId(notJson, 64)).isNull();
    }

    @Test
    void shouldReportTheDeepestErrorDeterministically() throws Exception {
        // Given a request with an unknown property, an empty id and a message without role
        JsonNode value = tree(request("\"id\":\"\",\"zzz\":1", "\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]"));

        // When it is validated twice
        InvalidMessageException first = invalid(() -> validator.validate(MessageType.CHAT_REQUEST, value));
        InvalidMessageException second = invalid(() -> MessageValidator.load().validate(MessageType.CHAT_REQUEST, value));

        // Then the most specific error is reported, each time the same
        assertThat(first.field()).isEqualTo("/body/messages/0/role");
        assertThat(second.field()).isEqualTo(first.field());
        assertThat(second.reason()).isEqualTo(first.reason());
        assertThat(first.getMessage()).isEqualTo("/body/messages/0/role: required property 'role' is missing");
    }

    @Test
    void shouldRejectAMissingTree() {
        // Given no tree at all
        // When it is validated / Then the whole value is at fault
        assertInvalid(() -> validator.validate(MessageType.ATTEMPT, null), "", "empty value");
    }

    @Test
    void shouldReadAnyRecordTypeThroughItsSchema() throws Exception {
        // Given an account state as JSON, and one with an unknown outcome
        byte[] valid = bytes("{\"account\":\"a1\",\"consecutiveFailures\":2,\"disabled\":false,"
                + "\"lastOutcome\":\"RETRYABLE\",\"lastStatus\":429,\"coolingUntil\":\"2030-01-01T00:00:15Z\"}");
        byte[] invalid = bytes("{\"account\":\"a1\",\"consecutiveFailures\":2,\"disabled\":false,\"lastOutcome\":\"MAYBE\"}");

        // When they are read as AccountState
        AccountState state = validator.read(valid, AccountState.class);

        // Then the first is read and the second refused at the outcome
        assertThat(state.lastOutcome()).isEqualTo(OutcomeKind.RETRYABLE);
        assertThat(state.coolingAt(Instant.parse("2030-01-01T00:00:00Z"))).isTrue();
        assertInvalid(() -> validator.read(invalid, AccountState.class), "/lastOutcome", "enumeration");
    }

    @Test
    void shouldShareOneInstance() {
        // Given / When the shared validator is asked for twice / Then it is the same object
        assertThat(MessageValidator.instance()).isSameAs(MessageValidator.instance());
    }

    @Test
    void shouldValidateFromManyThreadsAtOnce() throws Exception {
        // Given a freshly loaded validator that has validated nothing yet
        MessageValidator fresh = MessageValidator.load();
        byte[] valid = bytes(request("\"id\":\"r1\"", "\"model\":\"m\",\"messages\":" + MESSAGES));
        byte[] invalid = bytes(request("\"id\":\"r1\"", "\"model\":\"m\""));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            // When eight threads read valid and invalid requests concurrently
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                tasks.add(() -> {
                    int ok = 0;
                    for (int i = 0; i < 500; i++) {
                        fresh.readRequest(valid);
                        InvalidMessageException error = invalid(() -> fresh.readRequest(invalid));
                        if (error.field().equals("/body/messages")) {
                            ok++;
                        }
                    }
                    return ok;
                });
            }
            // Then every call gives the same answer as on one thread
            for (Future<Integer> result : pool.invokeAll(tasks)) {
                assertThat(result.get()).isEqualTo(500);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String request(String fields, String body) {
        return "{" + fields + ",\"body\":{" + body + "}}";
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode tree(String json) throws InvalidMessageException {
        return JsonCodec.parseTree(bytes(json));
    }

    private static void assertInvalid(ThrowingCallable call, String field, String reasonPart) {
        InvalidMessageException error = invalid(call);
        assertThat(error.field()).as("field of: %s", error.getMessage()).isEqualTo(field);
        assertThat(error.reason()).as("reason").contains(reasonPart);
    }

    private static InvalidMessageException invalid(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(InvalidMessageException.class);
        return (InvalidMessageException) thrown;
    }
}
