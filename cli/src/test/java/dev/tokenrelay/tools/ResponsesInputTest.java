package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import org.junit.jupiter.api.Test;

/** Responses-API bodies of Batch lines, turned into the chat-completions bodies tokenrelay relays. */
class ResponsesInputTest {

    @Test
    void shouldTurnMessagesToolsAndFormatsIntoTheirChatForms() throws Exception {
        // Given a Responses body with instructions, a message with text and an image, a function call
        // and its output, a function tool, a forced tool choice, a JSON schema format and an effort
        JsonNode body = json("""
                {"model": "gpt-4.1", "instructions": "Answer in French.", "temperature": 0.2,
                 "input": [
                   {"role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                                {"type": "input_image", "image_url": "https://img.example/a.png"}]},
                   {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{\\"q\\":\\"a\\"}"},
                   {"type": "function_call_output", "call_id": "call_1", "output": "a cat"}],
                 "tools": [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
                 "tool_choice": {"type": "function", "name": "lookup"},
                 "text": {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": true}},
                 "reasoning": {"effort": "low"}, "max_output_tokens": 300}
                """);

        // When it is converted
        ObjectNode chat = ResponsesInput.toChatBody(body);

        // Then each part has its chat-completions form
        assertThat(chat.at("/messages/0")).isEqualTo(json("{\"role\": \"system\", \"content\": \"Answer in French.\"}"));
        assertThat(chat.at("/messages/1/content/0")).isEqualTo(json("{\"type\": \"text\", \"text\": \"What is this?\"}"));
        assertThat(chat.at("/messages/1/content/1/image_url/url").asText()).isEqualTo("https://img.example/a.png");
        assertThat(chat.at("/messages/2/tool_calls/0/function/name").asText()).isEqualTo("lookup");
        assertThat(chat.at("/messages/2/tool_calls/0/id").asText()).isEqualTo("call_1");
        assertThat(chat.at("/messages/3")).isEqualTo(
                json("{\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"a cat\"}"));
        assertThat(chat.at("/tools/0")).isEqualTo(
                json("{\"type\": \"function\", \"function\": {\"name\": \"lookup\", \"parameters\": {\"type\": \"object\"}}}"));
        assertThat(chat.at("/tool_choice/function/name").asText()).isEqualTo("lookup");
        assertThat(chat.at("/response_format/json_schema/name").asText()).isEqualTo("answer");
        assertThat(chat.at("/response_format/json_schema/strict").asBoolean()).isTrue();
        assertThat(chat.get("reasoning_effort").asText()).isEqualTo("low");
        assertThat(chat.get("max_completion_tokens").asInt()).isEqualTo(300);
        assertThat(chat.get("temperature").asDouble()).isEqualTo(0.2);
        assertThat(chat.has("input")).isFalse();
    }

    @Test
    void shouldRefuseWhatHasNoChatFormNamingTheField() {
        // Given bodies with a built-in tool, a stored conversation and an unknown input item
        JsonNode webSearch = json("{\"model\": \"m\", \"input\": \"x\", \"tools\": [{\"type\": \"web_search\"}]}");
        JsonNode stored = json("{\"model\": \"m\", \"input\": \"x\", \"previous_response_id\": \"resp_1\"}");
        JsonNode reasoningItem = json("{\"model\": \"m\", \"input\": [{\"type\": \"reasoning\", \"summary\": []}]}");

        // When each is converted, then the error names the field and says why
        assertThatThrownBy(() -> ResponsesInput.toChatBody(webSearch)).isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("only function tools can be relayed, not 'web_search'");
        assertThatThrownBy(() -> ResponsesInput.toChatBody(stored)).isInstanceOf(InvalidMessageException.class)
                .hasMessageContaining("'previous_response_id' of a /v1/responses request has no chat-completions form");
        assertThatThrownBy(() -> ResponsesInput.toChatBody(reasoningItem))
                .isInstanceOfSatisfying(InvalidMessageException.class,
                        e -> assertThat(e.field()).isEqualTo("/body/input/0/type"));
    }

    private static JsonNode json(String text) {
        try {
            return JsonCodec.mapper().readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
