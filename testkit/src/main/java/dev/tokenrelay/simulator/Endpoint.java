package dev.tokenrelay.simulator;

/**
 * The APIs the {@link SimulatedUpstream} answers for every account. Each renders the same scripted
 * {@link Behaviour}s in its own wire format, so a test can point any provider type at one account.
 */
public enum Endpoint {

    /**
     * OpenAI chat completions, {@code POST {baseUrl}/chat/completions}: JSON, or SSE chunks when
     * {@code stream: true}.
     */
    CHAT("/v1/chat/completions"),

    /**
     * The OpenAI Responses API as Codex / ChatGPT accounts use it, {@code POST {baseUrl}/responses}:
     * streamed Server-Sent Events unless the request says {@code stream: false}.
     */
    RESPONSES("/v1/responses"),

    /**
     * The Anthropic Messages API, {@code POST {baseUrl}/messages} (that is {@code {rootUrl}/v1/messages}):
     * JSON, or SSE events when {@code stream: true}.
     */
    MESSAGES("/v1/messages");

    private final String pathSuffix;

    Endpoint(String pathSuffix) {
        this.pathSuffix = pathSuffix;
    }

    /** The path after {@code /accounts/{accountId}}, for example {@code /v1/responses}. */
    public String pathSuffix() {
        return pathSuffix;
    }
}
