package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

class RequestLimitsTest {

    private static final String MINIMAL = """
            pools:
              main: { accounts: [a] }
            accounts:
              a: { provider: openai-chat, baseUrl: "https://api.example.com/v1" }
            """;

    @Test
    void shouldDefaultEveryLimit() throws Exception {
        // Given a configuration without limits
        // When it is parsed
        RequestLimits limits = ConfigLoader.parse(MINIMAL, "tokenrelay.yaml").processor().limits();

        // Then the documented defaults apply
        assertThat(limits).isEqualTo(new RequestLimits(1_000_000, 64, 16_384));
        assertThat(limits).isEqualTo(RequestLimits.defaults());
    }

    @Test
    void shouldReadLimitsUnderProcessor() throws Exception {
        // Given limits set in part
        String yaml = MINIMAL + "processor:\n  limits: { maxRequestBytes: 500000, maxMetadataBytes: 1024 }\n";

        // When it is parsed / Then the given ones are used, the others defaulted
        assertThat(ConfigLoader.parse(yaml, "tokenrelay.yaml").processor().limits())
                .isEqualTo(new RequestLimits(500_000, 64, 1024));
    }

    @Test
    void shouldRefuseLimitsOutOfRangeWithTheirPath() {
        // Given limits too small, too deep, larger than the request, and an unknown key
        // When they are parsed / Then each error names the path and the range
        assertThat(error("limits: { maxRequestBytes: 100 }"))
                .hasMessage("tokenrelay.yaml: processor.limits.maxRequestBytes: must be at least 1024, got 100");
        assertThat(error("limits: { maxNestingDepth: 20000 }"))
                .hasMessage("tokenrelay.yaml: processor.limits.maxNestingDepth: must be 8 to 1000, got 20000");
        assertThat(error("limits: { maxNestingDepth: 2 }"))
                .hasMessage("tokenrelay.yaml: processor.limits.maxNestingDepth: must be 8 to 1000, got 2");
        assertThat(error("limits: { maxRequestBytes: 2048, maxMetadataBytes: 4096 }"))
                .hasMessage("tokenrelay.yaml: processor.limits.maxMetadataBytes: must be 0 to maxRequestBytes (2048), got 4096");
        assertThat(error("limits: { maxRequestSize: 2048 }").getMessage())
                .startsWith("tokenrelay.yaml: processor.limits.maxRequestSize: unknown");
    }

    @Test
    void shouldNameTheLimitInEveryReason() {
        // Given the default limits
        RequestLimits limits = RequestLimits.defaults();

        // When sizes are checked / Then only those over a limit get a reason, with the limit's path and value
        assertThat(limits.requestTooLarge(1_000_000)).isNull();
        assertThat(limits.requestTooLarge(2_400_000))
                .isEqualTo("request is 2,400,000 bytes, over processor.limits.maxRequestBytes (1000000)");
        assertThat(limits.metadataTooLarge(16_384)).isNull();
        assertThat(limits.metadataTooLarge(20_000))
                .isEqualTo("/metadata: 20,000 bytes, over processor.limits.maxMetadataBytes (16384)");
        assertThat(limits.tooDeep()).isEqualTo("nested deeper than processor.limits.maxNestingDepth (64)");
    }

    private static ConfigException error(String limitsLine) {
        return catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(MINIMAL + "processor:\n  " + limitsLine + "\n", "tokenrelay.yaml"));
    }
}
