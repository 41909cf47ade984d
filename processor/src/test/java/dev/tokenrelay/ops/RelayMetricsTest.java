package dev.tokenrelay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.accounts.AccountHealth;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RelayMetricsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RelayMetrics metrics = new RelayMetrics(registry);

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void shouldCountAttemptsByAccountOutcomeAndReasonAndTimeTheCalls() {
        // Given a success, a 500 and an account without a key
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        metrics.attemptFinished("a", Outcome.success(200, json(), null, start, Duration.ofMillis(1500)));
        metrics.attemptFinished("a", Outcome.retryable("status_500", null, Duration.ofSeconds(15), start,
                Duration.ofMillis(80)));
        metrics.attemptFinished("b", Outcome.skippedAuth("no_credential"));

        // When the registry is scraped
        PrometheusText scrape = PrometheusText.parse(registry.scrape());

        // Then each attempt is counted under its tags, and only calls that were made are timed
        assertThat(scrape.sum(MetricNames.PROM_ATTEMPTS, labels -> labels.get("account").equals("a")
                && labels.get("outcome").equals("SUCCESS") && labels.get("reason").equals("ok"))).isEqualTo(1);
        assertThat(scrape.sum(MetricNames.PROM_ATTEMPTS, labels -> labels.get("account").equals("a")
                && labels.get("outcome").equals("RETRYABLE") && labels.get("reason").equals("status_500"))).isEqualTo(1);
        assertThat(scrape.sum(MetricNames.PROM_ATTEMPTS, labels -> labels.get("account").equals("b")
                && labels.get("outcome").equals("SKIPPED_AUTH"))).isEqualTo(1);
        assertThat(scrape.sum("tokenrelay_upstream_latency_seconds_count", "account", "a")).isEqualTo(2);
        assertThat(scrape.sum("tokenrelay_upstream_latency_seconds_count", "account", "b")).isZero();
        // And the histogram has buckets for seconds-long calls: the 1.5 s call is above 1 s, below 2 s
        assertThat(scrape.sum("tokenrelay_upstream_latency_seconds_bucket", labels -> labels.get("account").equals("a")
                && labels.get("outcome").equals("SUCCESS") && labels.get("le").equals("1.0"))).isZero();
        assertThat(scrape.sum("tokenrelay_upstream_latency_seconds_bucket", labels -> labels.get("account").equals("a")
                && labels.get("outcome").equals("SUCCESS") && labels.get("le").equals("2.0"))).isEqualTo(1);
    }

    @Test
    void shouldNotPutAnUnexpectedReasonIntoATag() {
        // Given reasons outside the usual vocabulary
        // Then they are tagged "other"
        assertThat(RelayMetrics.reasonTag("status_429")).isEqualTo("status_429");
        assertThat(RelayMetrics.reasonTag("Bearer sk-123 was refused")).isEqualTo("other");
        assertThat(RelayMetrics.reasonTag(null)).isEqualTo("other");
    }

    @Test
    void shouldCountResultsByStatusAndStage() {
        // Given two results from dispatch and one from intake
        metrics.resultEmitted("dispatch", result(ResultStatus.SUCCEEDED));
        metrics.resultEmitted("dispatch", result(ResultStatus.SUCCEEDED));
        metrics.resultEmitted("intake", result(ResultStatus.REJECTED));

        // When the registry is scraped
        PrometheusText scrape = PrometheusText.parse(registry.scrape());

        // Then they are counted by lower-case status and stage
        assertThat(scrape.sum(MetricNames.PROM_RESULTS, labels -> labels.get("status").equals("succeeded")
                && labels.get("stage").equals("dispatch"))).isEqualTo(2);
        assertThat(scrape.sum(MetricNames.PROM_RESULTS, labels -> labels.get("status").equals("rejected")
                && labels.get("stage").equals("intake"))).isEqualTo(1);
    }

    @Test
    void shouldCountAccountChangesByAccountAndChange() {
        // Given an account disabled, its probe failing, and then enabled again
        metrics.accountChanged("a", AccountHealth.Change.DISABLED);
        metrics.accountChanged("a", AccountHealth.Change.PROBE_FAILED);
        metrics.accountChanged("a", AccountHealth.Change.ENABLED);
        metrics.accountChanged("b", AccountHealth.Change.COOLING);

        // When the registry is scraped
        PrometheusText scrape = PrometheusText.parse(registry.scrape());

        // Then each change is counted under its lower-case name
        assertThat(scrape.sum(MetricNames.PROM_ACCOUNT_CHANGES, labels -> labels.get("account").equals("a")
                && labels.get("change").equals("disabled"))).isEqualTo(1);
        assertThat(scrape.sum(MetricNames.PROM_ACCOUNT_CHANGES, labels -> labels.get("account").equals("a"))).isEqualTo(3);
        assertThat(scrape.sum(MetricNames.PROM_ACCOUNT_CHANGES, labels -> labels.get("change").equals("cooling")))
                .isEqualTo(1);
    }

    @Test
    void shouldSumLanesOverTasksAndDropAnAccountsGaugesWhenItsLastTaskCloses() {
        // Given two tasks reporting the same account (as during a rebalance), and one another account
        PipelineMetrics.Lanes first = metrics.lanes("0_0");
        PipelineMetrics.Lanes second = metrics.lanes("0_1");
        first.update("a", 2, 5);
        second.update("a", 1, 0);
        second.update("b", 3, 1);

        // Then the gauges sum the account over the tasks
        PrometheusText scrape = PrometheusText.parse(registry.scrape());
        assertThat(scrape.sum(MetricNames.PROM_CALLS_IN_FLIGHT, "account", "a")).isEqualTo(3);
        assertThat(scrape.sum(MetricNames.PROM_ATTEMPTS_QUEUED, "account", "a")).isEqualTo(5);
        assertThat(scrape.sum(MetricNames.PROM_CALLS_IN_FLIGHT, "account", "b")).isEqualTo(3);

        // When the second task closes
        second.close();

        // Then "a" counts only the first task, and "b", which no task reports any more, is gone
        scrape = PrometheusText.parse(registry.scrape());
        assertThat(scrape.sum(MetricNames.PROM_CALLS_IN_FLIGHT, "account", "a")).isEqualTo(2);
        assertThat(registry.find(MetricNames.CALLS_IN_FLIGHT).tag("account", "b").gauge()).isNull();
        assertThat(registry.find(MetricNames.ATTEMPTS_QUEUED).tag("account", "b").gauge()).isNull();

        // And once the first closes too, and a closed task reports again, no gauge is left
        first.close();
        second.update("c", 1, 1);
        assertThat(registry.find(MetricNames.CALLS_IN_FLIGHT).gauges()).isEmpty();
    }

    @Test
    void shouldCountPromptAndCompletionTokensOfTheAccountThatAnsweredAndTheModelItServed() {
        // Given a result that failed over from "a" to "b", which served gpt-4o-mini, and another from "b"
        metrics.resultEmitted("dispatch", served(List.of("a", "b"), "gpt-4o-mini-2024-07-18", 120, 30));
        metrics.resultEmitted("dispatch", served(List.of("b"), "gpt-4o-mini-2024-07-18", 80, 20));
        // And one served by "a" under another model, and a failure that reports no usage
        metrics.resultEmitted("dispatch", served(List.of("a"), "claude-sonnet-4-5", 10, 5));
        metrics.resultEmitted("dispatch", new ChatResult("f", 0, ResultStatus.FAILED, 502, null, null, null, null,
                List.of(trail("a")), Instant.now()));

        // When the registry is scraped
        PrometheusText scrape = PrometheusText.parse(registry.scrape());

        // Then the tokens are counted for the last account of each trail and the model it served
        assertThat(tokens(scrape, "b", "gpt-4o-mini-2024-07-18", "prompt")).isEqualTo(200);
        assertThat(tokens(scrape, "b", "gpt-4o-mini-2024-07-18", "completion")).isEqualTo(50);
        assertThat(tokens(scrape, "a", "claude-sonnet-4-5", "prompt")).isEqualTo(10);
        assertThat(tokens(scrape, "a", "claude-sonnet-4-5", "completion")).isEqualTo(5);
        // And the account that only failed over is charged nothing for gpt-4o-mini
        assertThat(tokens(scrape, "a", "gpt-4o-mini-2024-07-18", "prompt")).isZero();
        assertThat(scrape.sum(MetricNames.PROM_TOKENS, labels -> true)).isEqualTo(200 + 50 + 10 + 5);
    }

    @Test
    void shouldNotPutAnUnexpectedModelIntoATag() {
        // Given completions naming a usual model, none, and something that is no model name
        JsonNode named = JsonCodec.mapper().createObjectNode().put("model", "meta-llama/Llama-3.1-8B:free");
        JsonNode unnamed = JsonCodec.mapper().createObjectNode();
        JsonNode odd = JsonCodec.mapper().createObjectNode().put("model", "a model, with \"quotes\" and spaces");

        // Then only the first is a tag value of its own
        assertThat(RelayMetrics.modelTag(named)).isEqualTo("meta-llama/Llama-3.1-8B:free");
        assertThat(RelayMetrics.modelTag(unnamed)).isEqualTo("unknown");
        assertThat(RelayMetrics.modelTag(null)).isEqualTo("unknown");
        assertThat(RelayMetrics.modelTag(odd)).isEqualTo("other");
    }

    private static double tokens(PrometheusText scrape, String account, String model, String type) {
        return scrape.sum(MetricNames.PROM_TOKENS, labels -> account.equals(labels.get("account"))
                && model.equals(labels.get("model")) && type.equals(labels.get("type")));
    }

    private static ChatResult served(List<String> accounts, String model, int prompt, int completion) {
        JsonNode body = JsonCodec.mapper().createObjectNode().put("model", model);
        JsonNode usage = JsonCodec.mapper().createObjectNode().put("prompt_tokens", prompt)
                .put("completion_tokens", completion).put("total_tokens", prompt + completion);
        return new ChatResult("r", 0, ResultStatus.SUCCEEDED, 200, body, null, usage, null,
                accounts.stream().map(RelayMetricsTest::trail).toList(), Instant.now());
    }

    private static TrailEntry trail(String account) {
        return new TrailEntry(1, account, "main", OutcomeKind.SUCCESS, "ok", 200, 10, Instant.now());
    }

    private static JsonNode json() {
        return JsonCodec.mapper().createObjectNode();
    }

    private static ChatResult result(ResultStatus status) {
        return new ChatResult("r", 0, status, 200, null, null, null, null, List.of(), Instant.now());
    }
}
