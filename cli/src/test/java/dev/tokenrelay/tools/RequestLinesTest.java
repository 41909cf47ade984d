package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.Priority;
import org.junit.jupiter.api.Test;

class RequestLinesTest {

    private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @Test
    void shouldReadATokenrelayRequestLine() {
        // Given a request line with a pool and metadata
        String line = "{\"id\":\"r-1\",\"body\":{\"model\":\"m\"," + MESSAGES + "},\"pool\":\"main\",\"metadata\":{\"k\":\"v\"}}";

        // When it is read
        ParsedLine parsed = RequestLines.parse(3, line);

        // Then it is accepted as is
        assertThat(parsed).isInstanceOf(ParsedLine.Accepted.class);
        ChatRequest request = ((ParsedLine.Accepted) parsed).request();
        assertThat(request.id()).isEqualTo("r-1");
        assertThat(request.generation()).isZero();
        assertThat(request.pool()).isEqualTo("main");
        assertThat(request.metadata().get("k").asText()).isEqualTo("v");
        assertThat(((ParsedLine.Accepted) parsed).batch()).isFalse();
    }

    @Test
    void shouldConvertAnOpenAiBatchLine() {
        // Given an OpenAI Batch input line
        String line = "{\"custom_id\":\"request-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"max_tokens\":1000}}";

        // When it is read
        ParsedLine parsed = RequestLines.parse(1, line);

        // Then custom_id is the id and the body is passed on whole
        assertThat(parsed).isInstanceOf(ParsedLine.Accepted.class);
        ParsedLine.Accepted accepted = (ParsedLine.Accepted) parsed;
        assertThat(accepted.batch()).isTrue();
        assertThat(accepted.request().id()).isEqualTo("request-1");
        assertThat(accepted.request().body().get("max_tokens").asInt()).isEqualTo(1000);
        assertThat(accepted.request().model()).isEqualTo("gpt-4o-mini");
    }

    @Test
    void shouldRefuseABatchLineForAnotherEndpoint() {
        // Given a Batch line for embeddings
        String line = "{\"custom_id\":\"e-1\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"m\",\"input\":\"x\"}}";

        // When it is read, then it is rejected naming the url
        assertThat(RequestLines.parse(2, line)).hasToString("line 2: /url: tokenrelay relays /v1/chat/completions and /v1/responses, not /v1/embeddings");
    }

    @Test
    void shouldAcceptAResponsesBatchLineAsTheChatRequestItStandsFor() {
        // Given a Batch line for /v1/responses
        String line = "{\"custom_id\":\"r-1\",\"method\":\"POST\",\"url\":\"/v1/responses\","
                + "\"body\":{\"model\":\"gpt-4.1\",\"instructions\":\"Be brief.\",\"input\":\"Hi\","
                + "\"max_output_tokens\":50}}";

        // When it is read
        ParsedLine parsed = RequestLines.parse(3, line);

        // Then it is a valid request with the chat body the Responses body stands for
        assertThat(parsed).isInstanceOf(ParsedLine.Accepted.class);
        ChatRequest request = ((ParsedLine.Accepted) parsed).request();
        assertThat(request.id()).isEqualTo("r-1");
        assertThat(request.body().get("messages")).hasSize(2);
        assertThat(request.body().at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(request.body().at("/messages/1/content").asText()).isEqualTo("Hi");
        assertThat(request.body().get("max_completion_tokens").asInt()).isEqualTo(50);
    }

    @Test
    void shouldRefuseABatchLineWithAnotherMethodOrAnUnknownField() {
        assertThat(RequestLines.parse(1, "{\"custom_id\":\"a\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}}"))
                .hasToString("line 1: /method: must be POST");
        assertThat(RequestLines.parse(1, "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{},\"x\":1}"))
                .hasToString("line 1: /x: unknown property 'x' in an OpenAI Batch line (custom_id, method, url, body)");
    }

    @Test
    void shouldNameTheBatchFieldWhenTheConvertedRequestIsInvalid() {
        // Given Batch lines with an empty custom_id and with a body without messages
        ParsedLine emptyId = RequestLines.parse(4, "{\"custom_id\":\"\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"m\"," + MESSAGES + "}}");
        ParsedLine noMessages = RequestLines.parse(5, "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"m\"}}");

        // Then the reasons point into the Batch line
        assertThat(emptyId.toString()).startsWith("line 4: /custom_id:");
        assertThat(noMessages.toString()).isEqualTo("line 5: /body/messages: required property 'messages' is missing");
    }

    @Test
    void shouldRejectTextThatIsNotAJsonObject() {
        assertThat(RequestLines.parse(7, "{not json").toString()).startsWith("line 7: not JSON");
        assertThat(RequestLines.parse(8, "[1,2]").toString()).startsWith("line 8: expected a JSON object");
    }

    @Test
    void shouldRejectARequestLineThatBreaksTheSchemaWithoutEchoingItsValues() {
        // Given a request whose unknown field holds something secret-looking
        ParsedLine parsed = RequestLines.parse(9, "{\"id\":\"a\",\"body\":{\"model\":\"m\"," + MESSAGES
                + "},\"apiKey\":\"sk-secret\"}");

        // Then the reason names the field, not the value
        assertThat(parsed.toString()).isEqualTo("line 9: /apiKey: unknown property 'apiKey' is not allowed")
                .doesNotContain("sk-secret");
    }

    @Test
    void shouldReadAPriorityOnARequestLine() {
        // Given request lines with a priority name and a number
        String named = "{\"id\":\"r-1\",\"priority\":\"interactive\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}";
        String numbered = "{\"id\":\"r-2\",\"priority\":-42,\"body\":{\"model\":\"m\"," + MESSAGES + "}}";

        // When they are read
        ParsedLine first = RequestLines.parse(1, named);
        ParsedLine second = RequestLines.parse(2, numbered);

        // Then each request carries its priority
        assertThat(((ParsedLine.Accepted) first).request().priority()).isEqualTo(Priority.INTERACTIVE);
        assertThat(((ParsedLine.Accepted) second).request().priority()).isEqualTo(-42);
    }

    @Test
    void shouldRefuseABadPriorityNamingWhatIsAllowed() {
        // Given a request line whose priority is written in capitals
        String line = "{\"id\":\"r-1\",\"priority\":\"BATCH\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}";

        // When it is read / Then it is rejected naming the field and the allowed values
        assertThat(RequestLines.parse(4, line)).hasToString("line 4: /priority: priority must be interactive, default, "
                + "batch or an integer from -100 to 100, got 'BATCH'");
    }

    @Test
    void shouldGiveTheDefaultPriorityOnlyToALineThatNamesNone() {
        // Given a line with no priority, lines naming their own (even "default"), and a Batch line
        String none = "{\"id\":\"r-1\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}";
        String own = "{\"id\":\"r-2\",\"priority\":5,\"body\":{\"model\":\"m\"," + MESSAGES + "}}";
        String ownDefault = "{\"id\":\"r-3\",\"priority\":\"default\",\"body\":{\"model\":\"m\"," + MESSAGES + "}}";
        String batch = "{\"custom_id\":\"b-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"m\"," + MESSAGES + "}}";

        // When they are read with the batch priority as the default
        // Then the line's own priority wins, and the others get the default
        assertThat(priorityOf(RequestLines.parse(1, none, Priority.BATCH))).isEqualTo(Priority.BATCH);
        assertThat(priorityOf(RequestLines.parse(2, own, Priority.BATCH))).isEqualTo(5);
        assertThat(priorityOf(RequestLines.parse(3, ownDefault, Priority.BATCH))).isEqualTo(Priority.DEFAULT);
        assertThat(priorityOf(RequestLines.parse(4, batch, Priority.BATCH))).isEqualTo(Priority.BATCH);
    }

    private static int priorityOf(ParsedLine parsed) {
        assertThat(parsed).as("%s", parsed).isInstanceOf(ParsedLine.Accepted.class);
        return ((ParsedLine.Accepted) parsed).request().priority();
    }
}
