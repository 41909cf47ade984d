package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** How results are written: one JSON object per line, either the result itself or an OpenAI Batch output line. */
public enum ResultFormat {

    /** The result as on the results topic. */
    JSONL,
    /** The OpenAI Batch output line ({@link BatchOutput}). */
    OPENAI_BATCH;

    /**
     * Reads {@code jsonl} or {@code openai-batch} ({@code batch} too, its earlier name).
     *
     * @throws ToolException (usage) for anything else
     */
    public static ResultFormat of(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "jsonl", "json" -> JSONL;
            case "openai-batch", "batch" -> OPENAI_BATCH;
            default -> throw ToolException.usage("--format: expected jsonl or openai-batch, got '" + text + "'");
        };
    }

    /** The line for {@code result}, without the line break. */
    public String render(ChatResult result) {
        byte[] json = this == OPENAI_BATCH ? JsonCodec.encode(BatchOutput.line(result)) : JsonCodec.encode(result);
        return new String(json, StandardCharsets.UTF_8);
    }
}
