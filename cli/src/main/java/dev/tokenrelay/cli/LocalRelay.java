package dev.tokenrelay.cli;

import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.broker.EmbeddedKafkaBroker;
import dev.tokenrelay.config.TokenRelayConfig;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processor as {@code run} and {@code demo} start it: on the configured cluster, or, when no
 * bootstrap servers are configured, on an embedded broker started first and stopped last.
 */
final class LocalRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalRelay.class);

    private final EmbeddedKafkaBroker broker;
    private final TokenRelay relay;

    private LocalRelay(EmbeddedKafkaBroker broker, TokenRelay relay) {
        this.broker = broker;
        this.relay = relay;
    }

    static LocalRelay start(TokenRelayConfig config, Clock clock) {
        if (!config.kafka().useEmbedded()) {
            return new LocalRelay(null, TokenRelay.start(config, config.kafka().bootstrapServers(), clock));
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(config.kafka().embedded().dataDir(),
                config.kafka().embedded().port());
        LOG.info("embedded Kafka broker listening on {} with data in {}", broker.bootstrapServers(), broker.dataDir());
        try {
            return new LocalRelay(broker, TokenRelay.start(config, broker.bootstrapServers(), clock));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    TokenRelay relay() {
        return relay;
    }

    /** Stops the processor, then the embedded broker if it started one. */
    @Override
    public void close() {
        try {
            relay.close();
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }
}
