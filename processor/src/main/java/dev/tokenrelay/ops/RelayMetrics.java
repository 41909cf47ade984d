package dev.tokenrelay.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.accounts.AccountHealth;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.TrailEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tokenrelay's own meters on a Micrometer registry (names in {@link MetricNames}). Tags hold only
 * account ids, outcome kinds, short reasons, result statuses and model names: never a credential,
 * a request id or request content.
 */
public final class RelayMetrics implements PipelineMetrics {

    /**
     * Histogram buckets of upstream calls: LLM calls take from tens of milliseconds (an error) to
     * minutes (a long completion), so the buckets spread over that range rather than Micrometer's
     * default percentile buckets, which are many and fine-grained.
     */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120),
        Duration.ofSeconds(300)};

    private static final Logger LOG = LoggerFactory.getLogger(RelayMetrics.class);
    // Reasons are a small vocabulary (ok, status_429, timeout...); anything else is not a tag value.
    private static final Pattern REASON = Pattern.compile("[a-z0-9_]{1,64}");
    // Model names as providers spell them (gpt-4o-mini-2024-07-18, claude-sonnet-4-5,
    // accounts/fireworks/models/x, meta-llama/Llama-3.1-8B:free); anything else is not a tag value.
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9._:/@+-]{1,128}");

    private final MeterRegistry registry;
    private final LaneGauges lanes;
    // Meters by their tags: registering through a builder on every event costs more than the event.
    private final Map<List<String>, Counter> attempts = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> results = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> changes = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> tokens = new ConcurrentHashMap<>();

    public RelayMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.lanes = new LaneGauges(registry);
    }

    @Override
    public void attemptFinished(String account, Outcome outcome) {
        try {
            String kind = outcome.kind().name();
            String reason = reasonTag(outcome.reason());
            attempts.computeIfAbsent(List.of(account, kind, reason), key -> Counter.builder(MetricNames.ATTEMPTS)
                    .description("Attempts by account, outcome and reason")
                    .tag(MetricNames.ACCOUNT, account)
                    .tag(MetricNames.OUTCOME, kind)
                    .tag(MetricNames.REASON, reason)
                    .register(registry))
                    .increment();
            if (outcome.startedAt() != null) {
                latencies.computeIfAbsent(List.of(account, kind), key -> Timer.builder(MetricNames.UPSTREAM_LATENCY)
                        .description("Upstream call latency, from the start of the call to the end of the answer")
                        .tag(MetricNames.ACCOUNT, account)
                        .tag(MetricNames.OUTCOME, kind)
                        .serviceLevelObjectives(LATENCY_BUCKETS)
                        .register(registry))
                        .record(outcome.latency());
            }
        } catch (RuntimeException e) {
            // Metrics must never stop the pipeline.
            LOG.warn("could not count an attempt: {}", e.toString());
        }
    }

    @Override
    public void resultEmitted(String stage, ChatResult result) {
        try {
            String status = result.status().name().toLowerCase(Locale.ROOT);
            results.computeIfAbsent(List.of(status, stage), key -> Counter.builder(MetricNames.RESULTS)
                    .description("Final results by status and by the stage that decided them")
                    .tag(MetricNames.STATUS, status)
                    .tag(MetricNames.STAGE, stage)
                    .register(registry))
                    .increment();
            countTokens(result);
        } catch (RuntimeException e) {
            LOG.warn("could not count a result: {}", e.toString());
        }
    }

    /**
     * Adds the result's usage to the account that answered (the last attempt of the trail) and the
     * model the upstream says it served: what the account's owner is billed for. A result without
     * usage (most failures, an upstream that reports none) counts nothing.
     */
    private void countTokens(ChatResult result) {
        JsonNode usage = result.usage();
        List<TrailEntry> trail = result.attempts();
        if (usage == null || !usage.isObject() || trail.isEmpty()) {
            return;
        }
        String account = trail.get(trail.size() - 1).account();
        String model = modelTag(result.completion());
        countTokens(account, model, "prompt", usage.get("prompt_tokens"));
        countTokens(account, model, "completion", usage.get("completion_tokens"));
    }

    private void countTokens(String account, String model, String type, JsonNode count) {
        if (count == null || !count.canConvertToLong() || !count.isIntegralNumber() || count.asLong() <= 0) {
            return;
        }
        tokens.computeIfAbsent(List.of(account, model, type), key -> Counter.builder(MetricNames.TOKENS)
                .description("Tokens the upstreams reported in the usage of final results, by account, model and type")
                .tag(MetricNames.ACCOUNT, account)
                .tag(MetricNames.MODEL, model)
                .tag(MetricNames.TYPE, type)
                .register(registry))
                .increment(count.asLong());
    }

    @Override
    public void accountChanged(String account, AccountHealth.Change change) {
        try {
            String tag = change.name().toLowerCase(Locale.ROOT);
            changes.computeIfAbsent(List.of(account, tag), key -> Counter.builder(MetricNames.ACCOUNT_CHANGES)
                    .description("Account health changes: cooling, disabled, probe_failed, enabled, recovered")
                    .tag(MetricNames.ACCOUNT, account)
                    .tag(MetricNames.CHANGE, tag)
                    .register(registry))
                    .increment();
        } catch (RuntimeException e) {
            LOG.warn("could not count an account change: {}", e.toString());
        }
    }

    @Override
    public Lanes lanes(String task) {
        return lanes.forTask(task);
    }

    /** The model the completion says was served; {@code unknown} when it names none, {@code other} when it is no model name. */
    static String modelTag(JsonNode completion) {
        JsonNode model = completion == null ? null : completion.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            return "unknown";
        }
        return MODEL.matcher(model.asText()).matches() ? model.asText() : "other";
    }

    static String reasonTag(String reason) {
        return reason != null && REASON.matcher(reason).matches() ? reason : "other";
    }
}
