package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OutcomePolicyTest {

    @Test
    void shouldDefaultToTheRetryableStatusesOfDesignSection3() {
        // Given the default policy
        OutcomePolicy policy = OutcomePolicy.defaults();

        // When every status is checked
        int[] retryable = IntStream.rangeClosed(100, 599).filter(policy.retryableStatuses()::contains).toArray();

        // Then exactly 400, 401, 402, 403, 404, 408, 413, 422, 429, 307 and 5xx are retryable
        int[] expected = IntStream.concat(IntStream.of(307, 400, 401, 402, 403, 404, 408, 413, 422, 429),
                IntStream.rangeClosed(500, 599)).toArray();
        assertThat(retryable).containsExactly(expected);
    }

    @Test
    void shouldDefaultToTheCooldownStatusesOfDesignSection3() {
        // Given the default policy
        OutcomePolicy policy = OutcomePolicy.defaults();

        // When every status is checked
        int[] cooling = IntStream.rangeClosed(100, 599).filter(policy.cooldownStatuses()::contains).toArray();

        // Then exactly 401, 402, 403, 408, 429 and 5xx cool the account down
        int[] expected = IntStream.concat(IntStream.of(401, 402, 403, 408, 429), IntStream.rangeClosed(500, 599))
                .toArray();
        assertThat(cooling).containsExactly(expected);
    }

    @Test
    void shouldDefaultTheRestOfThePolicyAsDesignSection3Says() {
        // Given the default policy
        OutcomePolicy policy = OutcomePolicy.defaults();

        // Then cooldown is 15s, transport errors cool down, both content checks are on,
        // and context-window and content-policy rejections are final answers
        assertThat(policy.defaultCooldown()).isEqualTo(Duration.ofSeconds(15));
        assertThat(policy.cooldownOnTransportError()).isTrue();
        assertThat(policy.checkEmptyCompletion()).isTrue();
        assertThat(policy.checkErrorInSuccess()).isTrue();
        assertThat(policy.finalAnswerErrorCodes())
                .containsExactly("context_length_exceeded", "content_policy_violation", "content_filter");
    }

    @Test
    void shouldKeepDefaultsForWhatAPartialPolicyLeavesOut() throws ConfigException {
        // Given a policy section that turns one check off and changes the cooldown statuses
        String yaml = """
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://a.example.com"}
                pools:
                  main: {accounts: [a]}
                policy:
                  checkEmptyCompletion: false
                  cooldownStatuses: [429]
                """;

        // When it is parsed
        OutcomePolicy policy = ConfigLoader.parse(yaml, "tokenrelay.yaml").policy();

        // Then only those two differ from the defaults
        assertThat(policy.checkEmptyCompletion()).isFalse();
        assertThat(policy.cooldownStatuses()).isEqualTo(StatusSet.of(429));
        assertThat(policy.checkErrorInSuccess()).isTrue();
        assertThat(policy.cooldownOnTransportError()).isTrue();
        assertThat(policy.retryableStatuses()).isEqualTo(OutcomePolicy.defaults().retryableStatuses());
        assertThat(policy.defaultCooldown()).isEqualTo(Duration.ofSeconds(15));
    }
}
