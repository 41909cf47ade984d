package dev.tokenrelay.intake;

import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.admission.Admission;
import dev.tokenrelay.admission.SeenRequests;
import dev.tokenrelay.cancel.StoreCancellations;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.schema.DeadLetter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The intake stage, as Kafka Streams runs it: the decisions are the core's {@link Admission}; this
 * processor gives it the accounts table, the submissions seen (a window store) and its clock's
 * time, and forwards what it emits: the first attempt keyed by its account, or a result and a dead
 * letter for input that cannot be accepted.
 */
public final class IntakeProcessor implements Processor<String, byte[], String, Emission> {

    /** Submissions seen, in a window store so ids expire after the retention instead of piling up. */
    public static final String SEEN_STORE = "intake-seen-requests";

    private final TokenRelayConfig config;
    private final CredentialCheck credentials;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final AtomicLong cancelVersion;
    private ProcessorContext<String, Emission> context;
    private Admission admission;

    /**
     * The intake stage with the store it owns, for {@code KStream#process}.
     *
     * @param credentials which accounts have no usable credential: they are not chosen
     * @param clock       the time requests are admitted at: deadlines and dedupe windows count from it
     * @param cancelVersion bumped whenever a cancellation arrives (see {@link StoreCancellations})
     */
    public static ProcessorSupplier<String, byte[], String, Emission> supplier(TokenRelayConfig config,
            CredentialCheck credentials, PipelineMetrics metrics, Clock clock, AtomicLong cancelVersion) {
        StoreBuilder<WindowStore<String, Long>> seen = Stores.windowStoreBuilder(
                Stores.persistentWindowStore(SEEN_STORE, config.processor().dedupeRetention(), Duration.ofMillis(1),
                        false),
                Topics.KEYS, Serdes.Long());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, byte[], String, Emission> get() {
                return new IntakeProcessor(config, credentials, metrics, clock, cancelVersion);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(seen);
            }
        };
    }

    IntakeProcessor(TokenRelayConfig config, CredentialCheck credentials, PipelineMetrics metrics, Clock clock,
            AtomicLong cancelVersion) {
        this.cancelVersion = cancelVersion;
        this.config = config;
        this.credentials = credentials;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, Emission> context) {
        this.context = context;
        this.admission = new Admission(config, credentials,
                new StoreAccountStates(context.getStateStore(StoreAccountStates.STORE)),
                new StoreSeenRequests(context.getStateStore(SEEN_STORE)),
                new StoreCancellations(context.getStateStore(StoreCancellations.STORE), cancelVersion), metrics);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Instant now = Instant.ofEpochMilli(clock.millis());
        DeadLetter.SourceRecord source = context.recordMetadata()
                .map(meta -> new DeadLetter.SourceRecord(meta.topic(), meta.partition(), meta.offset()))
                .orElse(null);
        for (Emission emission : admission.admit(record.key(), record.value(), source, now)) {
            context.forward(record.withKey(emission.key()).withValue(emission));
        }
    }

    /** The submissions seen, over the window store: each entry's window is the time it was admitted. */
    private record StoreSeenRequests(WindowStore<String, Long> store) implements SeenRequests {

        @Override
        public boolean seenSince(String submissionKey, Instant from, Instant now) {
            try (WindowStoreIterator<Long> hits = store.fetch(submissionKey, from.toEpochMilli(), now.toEpochMilli())) {
                return hits.hasNext();
            }
        }

        @Override
        public void remember(String submissionKey, Instant now) {
            store.put(submissionKey, now.toEpochMilli(), now.toEpochMilli());
        }
    }
}
