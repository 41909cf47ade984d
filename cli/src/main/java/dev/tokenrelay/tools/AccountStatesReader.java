package dev.tokenrelay.tools;

import dev.tokenrelay.kafka.KafkaClients;
import dev.tokenrelay.kafka.KafkaProblems;
import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.AccountState;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the compacted accounts topic to its end (a {@link TopicReader}), keeping the latest state
 * per account. {@link #readToEnd()} again reads only what came since, so a watch does not re-read
 * the topic.
 */
public final class AccountStatesReader implements AutoCloseable {

    private final String bootstrapServers;
    private final String topic;
    private final Duration timeout;
    private final TopicReader<byte[]> reader;
    private final Deserializer<AccountState> values = Topics.ACCOUNT_STATES.deserializer();
    private final Map<String, AccountState> states = new HashMap<>();

    /**
     * @param clients the cluster, with the processor's client settings
     * @param origin where the address came from, for messages
     * @param timeout how long to wait for the broker before giving up
     */
    public AccountStatesReader(KafkaClients clients, String origin, String topic, Duration timeout) {
        this.bootstrapServers = clients.bootstrapServers();
        this.topic = topic;
        this.timeout = timeout;
        // Fails fast, with one message, when no bootstrap server accepts a connection: the Kafka
        // client would otherwise retry until the timeout and log a warning per retry.
        KafkaProblems.unreachable(bootstrapServers, origin, timeout).ifPresent(problem -> {
            throw new ReadException(problem);
        });
        this.reader = reader(clients, topic, timeout);
    }

    private static TopicReader<byte[]> reader(KafkaClients clients, String topic, Duration timeout) {
        Map<String, Object> settings = clients.consumer("tokenrelay-accounts",
                Map.of(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis()));
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        try {
            return new TopicReader<>(settings, topic, new ByteArrayDeserializer(), timeout);
        } catch (KafkaException e) {
            // e.g. a host name that does not resolve: the message says which
            throw new ReadException("cannot use bootstrap servers '" + clients.bootstrapServers() + "': "
                    + KafkaProblems.rootMessage(e));
        }
    }

    /**
     * Reads what was written since the last call (everything, the first time).
     *
     * @return the latest state of every account in the topic, by account id
     * @throws ReadException when the broker cannot be reached or the topic does not exist
     */
    public Map<String, AccountState> readToEnd() {
        try {
            reader.readTo(reader.endOffsets(), this::apply, () -> { }, timeout);
            return Map.copyOf(states);
        } catch (UnknownTopicOrPartitionException e) {
            throw new ReadException("topic '" + topic + "' does not exist on " + bootstrapServers
                    + ": has a processor with this configuration run yet?");
        } catch (TopicReader.StalledException e) {
            throw new ReadException("timed out reading topic '" + topic + "' on " + bootstrapServers);
        } catch (TimeoutException e) {
            throw new ReadException(KafkaProblems.noAnswer(bootstrapServers, timeout));
        } catch (AuthenticationException | AuthorizationException e) {
            throw new ReadException(KafkaProblems.explain(e, bootstrapServers, timeout) + " (topic '" + topic + "')");
        } catch (KafkaException e) {
            throw new ReadException("cannot read topic '" + topic + "' on " + bootstrapServers + ": " + e.getMessage());
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            states.remove(record.key()); // a tombstone: the account's state was deleted
            return;
        }
        try {
            AccountState state = values.deserialize(record.topic(), record.value());
            if (state != null) {
                states.put(record.key(), state);
            }
        } catch (RuntimeException unreadable) {
            // A record this version cannot read says nothing about the account: keep what is known.
        }
    }

    @Override
    public void close() {
        reader.close();
    }

    /** The topic could not be read; the message says why, for people. */
    public static final class ReadException extends RuntimeException {
        public ReadException(String message) {
            super(message);
        }
    }
}
