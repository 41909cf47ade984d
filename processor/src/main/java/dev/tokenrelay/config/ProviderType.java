package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The upstream API an account speaks, which decides how a request is converted and sent. */
public enum ProviderType {
    /** An OpenAI-compatible {@code /v1/chat/completions} endpoint. */
    @JsonProperty("openai-chat")
    OPENAI_CHAT
}
