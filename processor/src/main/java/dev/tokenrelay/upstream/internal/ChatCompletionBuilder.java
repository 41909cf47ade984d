package dev.tokenrelay.upstream.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the one-choice OpenAI {@code chat.completion} that a converted answer becomes. Fields a
 * provider did not produce are left out, so the content checks see exactly what was answered.
 */
public final class ChatCompletionBuilder {

    private record ToolCall(String id, String name, String arguments) {}

    private String id;
    private String model;
    private Long created;
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final List<ToolCall> toolCalls = new ArrayList<>();
    private String finishReason;
    private ObjectNode usage;

    public ChatCompletionBuilder id(String id) {
        this.id = id;
        return this;
    }

    public ChatCompletionBuilder model(String model) {
        this.model = model;
        return this;
    }

    /** When the answer was created, in epoch seconds; left null when never set, for classification to fill from the processor's clock. */
    public ChatCompletionBuilder created(Long epochSeconds) {
        this.created = epochSeconds;
        return this;
    }

    public ChatCompletionBuilder appendContent(String text) {
        if (text != null) {
            content.append(text);
        }
        return this;
    }

    /** Adds reasoning text; separate pieces (summary parts, thinking blocks) are kept apart by a blank line. */
    public ChatCompletionBuilder appendReasoning(String text) {
        if (text != null && !text.isEmpty()) {
            if (!reasoning.isEmpty()) {
                reasoning.append("\n\n");
            }
            reasoning.append(text);
        }
        return this;
    }

    public ChatCompletionBuilder appendRefusal(String text) {
        if (text != null) {
            refusal.append(text);
        }
        return this;
    }

    public ChatCompletionBuilder addToolCall(String callId, String name, String arguments) {
        toolCalls.add(new ToolCall(callId, name, arguments == null || arguments.isEmpty() ? "{}" : arguments));
        return this;
    }

    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }

    public ChatCompletionBuilder finishReason(String finishReason) {
        this.finishReason = finishReason;
        return this;
    }

    /** Sets {@code usage} from token counts; {@code total} {@code null} means their sum. */
    public ChatCompletionBuilder usage(long prompt, long completion, Long total) {
        usage = Json.object();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", total != null ? total : prompt + completion);
        return this;
    }

    /** Sets {@code usage.prompt_tokens_details.cached_tokens}; ignored without usage. */
    public ChatCompletionBuilder cachedTokens(Long cached) {
        if (usage != null && cached != null) {
            usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
        }
        return this;
    }

    /** Sets {@code usage.completion_tokens_details.reasoning_tokens}; ignored without usage. */
    public ChatCompletionBuilder reasoningTokens(Long reasoningTokens) {
        if (usage != null && reasoningTokens != null) {
            usage.putObject("completion_tokens_details").put("reasoning_tokens", reasoningTokens);
        }
        return this;
    }

    public ObjectNode build() {
        ObjectNode completion = Json.object();
        if (id != null) {
            completion.put("id", id);
        }
        completion.put("object", "chat.completion");
        if (created != null) {
            completion.put("created", created);
        } else {
            // Kept in its place; classification sets it from the processor's clock.
            completion.putNull("created");
        }
        if (model != null) {
            completion.put("model", model);
        }
        ObjectNode choice = completion.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        // As OpenAI does, a reply that is only tool calls has null content rather than "".
        if (content.isEmpty() && !toolCalls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", content.toString());
        }
        if (!reasoning.isEmpty()) {
            message.put("reasoning_content", reasoning.toString());
        }
        if (!refusal.isEmpty()) {
            message.put("refusal", refusal.toString());
        }
        if (!toolCalls.isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (ToolCall call : toolCalls) {
                ObjectNode node = calls.addObject();
                node.put("id", call.id());
                node.put("type", "function");
                ObjectNode function = node.putObject("function");
                function.put("name", call.name());
                function.put("arguments", call.arguments());
            }
        }
        choice.put("finish_reason", finishReason != null ? finishReason : "stop");
        if (usage != null) {
            completion.set("usage", usage);
        }
        return completion;
    }
}
