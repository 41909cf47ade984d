package dev.tokenrelay.lanes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.schema.ChatRequest;

/**
 * Tokens for an account's tokens-per-minute limit: an estimate when a call starts, the usage the
 * response reports when it ends. The estimate follows how the providers count a request against
 * the limit before answering it: the prompt plus the most the answer may use.
 */
public final class TokenCount {

    /** The usual rule of thumb for English text and code: about four characters a token. */
    private static final int CHARS_PER_TOKEN = 4;

    private TokenCount() {}

    /**
     * The tokens a request is expected to use: the text of its messages (and of its tool
     * definitions) at four characters a token, plus {@code max_completion_tokens} or
     * {@code max_tokens} when it sets one. At least 1.
     */
    public static int estimate(ChatRequest request) {
        JsonNode body = request.body();
        long chars = textLength(body.path("messages")) + textLength(body.path("tools"));
        long prompt = (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
        JsonNode limit = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens")
                : body.path("max_tokens");
        long output = limit.canConvertToLong() ? Math.max(0, limit.asLong()) : 0;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, prompt + output));
    }

    /**
     * The tokens a finished call used, as its response reports ({@code usage.total_tokens} of the
     * chat completion), or {@code null} when it reports none (a failure, a provider without usage).
     */
    public static Integer used(Outcome outcome) {
        if (outcome instanceof Outcome.Success success && success.usage() != null) {
            JsonNode total = success.usage().path("total_tokens");
            if (total.canConvertToInt() && total.asInt() >= 0) {
                return total.asInt();
            }
        }
        return null;
    }

    /** The characters of every string in a JSON value: message contents, text parts, tool schemas. */
    private static long textLength(JsonNode node) {
        if (node.isTextual()) {
            return node.asText().length();
        }
        long length = 0;
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                length += textLength(child);
            }
        }
        return length;
    }
}
