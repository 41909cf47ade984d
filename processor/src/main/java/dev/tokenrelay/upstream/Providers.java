package dev.tokenrelay.upstream;

import dev.tokenrelay.config.ProviderType;
import java.net.URI;
import java.util.EnumMap;
import java.util.Map;

/** The registry of provider implementations, one per {@link ProviderType}. */
public final class Providers {

    private final Map<ProviderType, Provider> byType;

    private Providers(Map<ProviderType, Provider> byType) {
        this.byType = byType;
    }

    /** Every built-in provider. */
    public static Providers builtIn() {
        Map<ProviderType, Provider> map = new EnumMap<>(ProviderType.class);
        map.put(ProviderType.OPENAI_CHAT, new OpenAiChatProvider());
        map.put(ProviderType.OPENAI_RESPONSES, new OpenAiResponsesProvider());
        map.put(ProviderType.ANTHROPIC_MESSAGES, new AnthropicMessagesProvider());
        return new Providers(map);
    }

    public Provider get(ProviderType type) {
        Provider provider = byType.get(type);
        if (provider == null) {
            throw new IllegalArgumentException("no provider implementation for " + type);
        }
        return provider;
    }

    private static final Map<String, URI> ENDPOINTS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * {@code base} + "/" + {@code path}, with exactly one slash between them. Cached, because it is
     * asked for on every call and parsing a URI is not free; the set of accounts is small and fixed.
     */
    static URI join(URI base, String path) {
        return ENDPOINTS.computeIfAbsent(base + " " + path, key -> {
            String text = base.toString();
            return URI.create(text.endsWith("/") ? text + path : text + "/" + path);
        });
    }
}
