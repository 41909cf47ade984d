package dev.tokenrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.config.ProviderType;
import org.junit.jupiter.api.Test;

/** The built-in provider registry. */
class ProvidersTest {

    @Test
    void shouldHaveAnImplementationForEveryProviderType() {
        // Given the built-in registry
        Providers providers = Providers.builtIn();

        // When each provider type is looked up
        // Then each has its implementation
        assertThat(providers.get(ProviderType.OPENAI_CHAT)).isInstanceOf(OpenAiChatProvider.class);
        assertThat(providers.get(ProviderType.OPENAI_RESPONSES)).isInstanceOf(OpenAiResponsesProvider.class);
        assertThat(providers.get(ProviderType.ANTHROPIC_MESSAGES)).isInstanceOf(AnthropicMessagesProvider.class);
    }
}
