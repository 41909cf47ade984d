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

    /** {@code base} + "/" + {@code path}, with exactly one slash between them. */
    static URI join(URI base, String path) {
        String text = base.toString();
        return URI.create(text.endsWith("/") ? text + path : text + "/" + path);
    }
}
