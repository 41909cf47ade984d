package dev.tokenrelay.classify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.classify.UpstreamExchange;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RateLimitHeadersTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    private static UpstreamExchange.Response withHeaders(Map<String, String> headers) {
        return new UpstreamExchange.Response(429, headers, new byte[0], NOW, Duration.ZERO);
    }

    @Test
    void shouldPreferRetryAfterMsOverEverythingElse() {
        // Given a 429 with every kind of header
        var response = withHeaders(Map.of("retry-after-ms", "1500", "retry-after", "9",
                "x-ratelimit-reset-requests", "1m"));

        // When its cooldown is read, Then the millisecond header wins
        assertThat(RateLimitHeaders.cooldown(response, NOW)).contains(Duration.ofMillis(1500));
    }

    @Test
    void shouldReadRetryAfterAsSecondsOrAsAnHttpDate() {
        assertThat(RateLimitHeaders.cooldown(withHeaders(Map.of("retry-after", "7")), NOW)).contains(Duration.ofSeconds(7));
        assertThat(RateLimitHeaders.cooldown(withHeaders(Map.of("retry-after", "Wed, 25 Nov 2026 12:01:30 GMT")), NOW))
                .contains(Duration.ofSeconds(90));
    }

    @Test
    void shouldTakeTheLatestOfOpenAiResetHeadersWhenNoRetryAfterIsGiven() {
        // Given OpenAI's reset headers for requests (1 s) and tokens (6 min)
        var response = withHeaders(Map.of("x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "6m0s"));

        // When its cooldown is read, Then the account rests until both limits reset
        assertThat(RateLimitHeaders.cooldown(response, NOW)).contains(Duration.ofMinutes(6));
    }

    @Test
    void shouldReadAnthropicResetInstants() {
        var response = withHeaders(Map.of("anthropic-ratelimit-requests-reset", "2026-11-25T12:00:20Z"));

        assertThat(RateLimitHeaders.cooldown(response, NOW)).contains(Duration.ofSeconds(20));
    }

    @Test
    void shouldGiveNoCooldownWhenNothingCanBeRead() {
        var response = withHeaders(Map.of("retry-after", "soon", "x-ratelimit-reset-tokens", "a while"));

        assertThat(RateLimitHeaders.cooldown(response, NOW)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"20ms, 20", "1s, 1000", "6m0s, 360000", "1h2m3.5s, 3723500", "0.5s, 500"})
    void shouldParseGoStyleDurations(String text, long millis) {
        assertThat(RateLimitHeaders.parseGoDuration(text)).isEqualTo(Duration.ofMillis(millis));
    }
}
