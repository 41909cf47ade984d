package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;

/**
 * The single-node KRaft broker started in-process when no bootstrap servers are configured.
 *
 * @param port the listener port; default 9092, 0 means any free port
 * @param dataDir where the broker keeps its log; default {@code ./data/kafka}
 */
public record EmbeddedBroker(int port, Path dataDir) {

    /** Default {@link #port()}: Kafka's usual port, so that tools pointed at localhost:9092 find it. */
    public static final int DEFAULT_PORT = 9092;
    /** Default {@link #dataDir()}, relative to the working directory. */
    public static final Path DEFAULT_DATA_DIR = Path.of("data", "kafka");

    /** Applies the default directory and checks the port. */
    public EmbeddedBroker {
        if (port < 0 || port > 65535) {
            throw new InvalidConfigException("port", "must be 0 (any free port) to 65535, got " + port);
        }
        dataDir = dataDir == null ? DEFAULT_DATA_DIR : dataDir;
        if (dataDir.toString().isBlank()) {
            throw new InvalidConfigException("dataDir", "must not be empty");
        }
    }

    /** Port 9092, directory {@code ./data/kafka}. */
    public static EmbeddedBroker defaults() {
        return new EmbeddedBroker(DEFAULT_PORT, DEFAULT_DATA_DIR);
    }

    // Boxed port: Jackson hands an absent int over as 0, which here means "any free port".
    @JsonCreator
    private static EmbeddedBroker fromYaml(@JsonProperty("port") Integer port, @JsonProperty("dataDir") Path dataDir) {
        return new EmbeddedBroker(port == null ? DEFAULT_PORT : port, dataDir);
    }
}
