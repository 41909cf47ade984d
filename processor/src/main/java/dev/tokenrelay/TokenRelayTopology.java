package dev.tokenrelay;

import dev.tokenrelay.batches.BatchTopology;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.dispatch.DispatchProcessor;
import dev.tokenrelay.intake.IntakeProcessor;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Builds the tokenrelay topology (docs/design.md, section 1) onto a {@link StreamsBuilder}:
 * <pre>
 * requests --intake--> attempts | results | dead-letter
 * attempts --dispatch (async call, classify, failover)--> attempts | results | outcomes | dead-letter | accounts
 * accounts --> global table of account health, read by intake and dispatch
 * results + control --batch counter--> batches; control --> cancellations --> global store, read by intake and dispatch
 * </pre>
 * Intake and dispatch are separate sub-topologies: requests are partitioned by request id,
 * attempts by account id, batch events by batch id (see {@link BatchTopology}).
 */
public final class TokenRelayTopology {

    private TokenRelayTopology() {}

    /** The topology without metrics. */
    public static void build(StreamsBuilder builder, TokenRelayConfig config, UpstreamCaller caller) {
        build(builder, config, caller, PipelineMetrics.NONE);
    }

    /** The topology, its stages reporting to {@code metrics}. */
    public static void build(StreamsBuilder builder, TokenRelayConfig config, UpstreamCaller caller,
            PipelineMetrics metrics) {
        Topics topics = new Topics(config.topics());

        builder.globalTable(topics.accounts(), Consumed.with(Topics.KEYS, Topics.ACCOUNT_STATES).withName("accounts"),
                Materialized.<String, AccountState, KeyValueStore<Bytes, byte[]>>as(StoreAccountStates.STORE)
                        .withKeySerde(Topics.KEYS)
                        .withValueSerde(Topics.ACCOUNT_STATES));

        AtomicLong cancelVersion = new AtomicLong();
        BatchTopology.build(builder, topics, cancelVersion);

        // Each stage's supplier brings the stores it owns.
        KStream<String, Emission> intake = builder
                .stream(topics.requests(), Consumed.with(Topics.KEYS, Topics.RAW_REQUESTS).withName("requests"))
                .process(IntakeProcessor.supplier(config, caller.credentials(), metrics, caller.clock(), cancelVersion),
                        Named.as("intake"));
        route(intake, "intake-", topics);

        KStream<String, Emission> dispatch = builder
                .stream(topics.attempts(), Consumed.with(Topics.KEYS, Topics.RAW_ATTEMPTS).withName("attempts"))
                .process(DispatchProcessor.supplier(config, caller, metrics, cancelVersion), Named.as("dispatch"));
        route(dispatch, "dispatch-", topics);
    }

    /** Writes each emission to its topic, through one sink. */
    private static void route(KStream<String, Emission> emissions, String prefix, Topics topics) {
        emissions.to((key, emission, context) -> topics.topicOf(emission),
                Produced.with(Topics.KEYS, Topics.EMISSIONS).withName(prefix + "out"));
    }
}
