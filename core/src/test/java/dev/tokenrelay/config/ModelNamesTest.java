package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelNamesTest {

    private static AccountConfig account(List<String> models, Map<String, String> modelMap) {
        return new AccountConfig(ProviderType.OPENAI_CHAT, URI.create("https://a.example.com/v1"), null, models, null,
                null, null, null, null, null, modelMap, null);
    }

    @Test
    void shouldMapAnExactNameBeforeTheLongestPrefixBeforeTheWildcard() {
        // Given a map with an exact name, two prefixes and a wildcard
        AccountConfig account = account(null, Map.of(
                "gpt-4o", "gpt-4o-2024-08-06",
                "gpt-4*", "gpt-4-turbo",
                "gpt-4o-mini*", "gpt-4o-mini-2024-07-18",
                "*", "default-model"));

        // When models are mapped, Then exact beats prefix, longer prefix beats shorter, * catches the rest
        assertThat(account.upstreamModel("gpt-4o")).isEqualTo("gpt-4o-2024-08-06");
        assertThat(account.upstreamModel("gpt-4o-mini-high")).isEqualTo("gpt-4o-mini-2024-07-18");
        assertThat(account.upstreamModel("gpt-4.1")).isEqualTo("gpt-4-turbo");
        assertThat(account.upstreamModel("o3")).isEqualTo("default-model");
    }

    @Test
    void shouldSendAnUnmappedModelAsRequested() {
        assertThat(account(null, Map.of("gpt-4o", "x")).upstreamModel("o3")).isEqualTo("o3");
        assertThat(account(null, null).upstreamModel("o3")).isEqualTo("o3");
    }

    @Test
    void shouldServeOnlyTheModelsOfItsAllowListWithPrefixes() {
        // Given an account serving gpt-4 models and one exact name
        AccountConfig account = account(List.of("gpt-4*", "o3"), null);

        // Then it serves what matches, and nothing else
        assertThat(account.servesModel("gpt-4o")).isTrue();
        assertThat(account.servesModel("o3")).isTrue();
        assertThat(account.servesModel("o3-mini")).isFalse();
        assertThat(account.servesModel("claude-sonnet-4")).isFalse();
        assertThat(account(null, null).servesModel("anything")).isTrue();
    }

    @Test
    void shouldRefuseAWildcardInsideAModelMapKey() {
        assertThatThrownBy(() -> account(null, Map.of("gpt-*-mini", "x")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("a key is a model name, a prefix ending in *, or *");
    }
}
