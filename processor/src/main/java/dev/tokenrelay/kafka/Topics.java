package dev.tokenrelay.kafka;

import dev.tokenrelay.config.TopicSpec;
import dev.tokenrelay.config.TopicsConfig;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.BatchStatus;
import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The one place for every topic: its name, its key and value serdes, and how it is created.
 * Keys are strings everywhere; request values are read as bytes so that unreadable input reaches
 * the intake stage instead of failing the deserializer.
 */
public final class Topics {

    public static final Serde<String> KEYS = Serdes.String();
    public static final Serde<byte[]> RAW_REQUESTS = Serdes.ByteArray();
    public static final Serde<ChatRequest> REQUESTS = new JsonSerde<>(ChatRequest.class);
    public static final Serde<Attempt> ATTEMPTS = new JsonSerde<>(Attempt.class);
    /** Attempts as the dispatch stage reads them: bytes, decoded and kept as they are by the stage. */
    public static final Serde<byte[]> RAW_ATTEMPTS = Serdes.ByteArray();
    public static final Serde<ChatResult> RESULTS = new JsonSerde<>(ChatResult.class);
    public static final Serde<AttemptOutcome> OUTCOMES = new JsonSerde<>(AttemptOutcome.class);
    public static final Serde<DeadLetter> DEAD_LETTERS = new JsonSerde<>(DeadLetter.class);
    public static final Serde<AccountState> ACCOUNT_STATES = new JsonSerde<>(AccountState.class);
    public static final Serde<BatchStatus> BATCH_STATUSES = new JsonSerde<>(BatchStatus.class);
    public static final Serde<Cancel> CANCELS = new JsonSerde<>(Cancel.class);
    /** Control records as read: bytes, each decoded by its key (see {@link dev.tokenrelay.batches.BatchTopology}). */
    public static final Serde<byte[]> RAW_CONTROL = Serdes.ByteArray();
    /**
     * What a stage writes: each emission's payload, serialized as its topic's values are. It only
     * writes; the topics are read with their own serdes above.
     */
    public static final Serde<Emission> EMISSIONS = new EmissionSerde();

    private static final Map<String, String> COMPACTED =
            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

    private final TopicsConfig config;

    public Topics(TopicsConfig config) {
        this.config = config;
    }

    public String requests() {
        return config.requests().name();
    }

    public String attempts() {
        return config.attempts().name();
    }

    public String results() {
        return config.results().name();
    }

    public String outcomes() {
        return config.outcomes().name();
    }

    public String deadLetter() {
        return config.deadLetter().name();
    }

    public String accounts() {
        return config.accounts().name();
    }

    public String batches() {
        return config.batches().name();
    }

    public String control() {
        return config.control().name();
    }

    public String cancellations() {
        return config.cancellations().name();
    }

    /**
     * The topic an emission belongs to. Stages write through one sink that asks this, rather than
     * through a branch per topic, so a record passes one node on its way out.
     */
    public String topicOf(Emission emission) {
        if (emission instanceof Emission.ToAttempts) {
            return attempts();
        } else if (emission instanceof Emission.ToResults) {
            return results();
        } else if (emission instanceof Emission.ToOutcomes) {
            return outcomes();
        } else if (emission instanceof Emission.ToDeadLetter) {
            return deadLetter();
        } else if (emission instanceof Emission.ToAccounts) {
            return accounts();
        }
        throw new IllegalArgumentException("no topic for " + emission.getClass().getName());
    }

    /**
     * Every topic tokenrelay uses, as it should be created; the accounts, batches, control and
     * cancellations topics are compacted: each holds the latest record per key.
     */
    public List<NewTopic> newTopics() {
        return List.of(
                newTopic(config.requests(), Map.of()),
                newTopic(config.attempts(), Map.of()),
                newTopic(config.results(), Map.of()),
                newTopic(config.outcomes(), Map.of()),
                newTopic(config.deadLetter(), Map.of()),
                newTopic(config.accounts(), COMPACTED),
                newTopic(config.batches(), COMPACTED),
                newTopic(config.control(), COMPACTED),
                newTopic(config.cancellations(), COMPACTED));
    }

    private static NewTopic newTopic(TopicSpec spec, Map<String, String> configs) {
        return new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.ofNullable(spec.replicationFactor()))
                .configs(configs);
    }

    private static final class EmissionSerde implements Serde<Emission> {

        @Override
        public Serializer<Emission> serializer() {
            return (topic, emission) -> {
                if (emission == null) {
                    return null;
                } else if (emission instanceof Emission.ToAttempts e) {
                    return ATTEMPTS.serializer().serialize(topic, e.attempt());
                } else if (emission instanceof Emission.ToResults e) {
                    return RESULTS.serializer().serialize(topic, e.result());
                } else if (emission instanceof Emission.ToOutcomes e) {
                    return OUTCOMES.serializer().serialize(topic, e.outcome());
                } else if (emission instanceof Emission.ToDeadLetter e) {
                    return DEAD_LETTERS.serializer().serialize(topic, e.deadLetter());
                }
                return ACCOUNT_STATES.serializer().serialize(topic, ((Emission.ToAccounts) emission).state());
            };
        }

        @Override
        public Deserializer<Emission> deserializer() {
            return (topic, bytes) -> {
                throw new UnsupportedOperationException("emissions are written only; read " + topic
                        + " with its own serde");
            };
        }
    }
}
