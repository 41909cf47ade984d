package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The upstream API an account speaks, which decides how a request is converted and sent. */
public enum ProviderType {
    /** An OpenAI-compatible {@code /v1/chat/completions} endpoint. */
    @JsonProperty("openai-chat")
    OPENAI_CHAT,
    /** The OpenAI Responses API ({@code /v1/responses}, streamed), as Codex / ChatGPT accounts speak it. */
    @JsonProperty("openai-responses")
    OPENAI_RESPONSES,
    /** The Anthropic Messages API ({@code /v1/messages}). */
    @JsonProperty("anthropic-messages")
    ANTHROPIC_MESSAGES
}
