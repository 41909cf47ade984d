package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.regex.Pattern;

/**
 * How the processor can be watched: where it serves its operations endpoint (Prometheus metrics at
 * {@code /metrics}, health at {@code /health/live} and {@code /health/ready}), which metrics that
 * serves, and whether each result is logged.
 *
 * @param host the address to listen on; default {@code 127.0.0.1}, so nothing is exposed beyond the
 *     machine unless asked for ({@code 0.0.0.0} listens on every interface)
 * @param port the port; default 9464 (Prometheus exporters' usual range), 0 picks any free port,
 *     -1 turns the endpoint and the metrics off
 * @param kafkaMetrics which of Kafka's own metrics are served; default {@link KafkaMetrics#CURATED}
 * @param resultLog whether each final result is logged (one INFO line on {@code dev.tokenrelay.results});
 *     default true
 */
public record OperationsSettings(String host, int port, KafkaMetrics kafkaMetrics, boolean resultLog) {

    /** Default {@link #host()}. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default {@link #port()}. */
    public static final int DEFAULT_PORT = 9464;
    /** The {@link #port()} that turns the endpoint off. */
    public static final int OFF = -1;

    // A host name or an IPv4/IPv6 literal; anything with spaces, slashes or a scheme is a mistake.
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:-]{1,253}");

    /** Applies the default host and Kafka metrics, and checks the values. */
    public OperationsSettings {
        host = host == null ? DEFAULT_HOST : host.strip();
        kafkaMetrics = kafkaMetrics == null ? KafkaMetrics.CURATED : kafkaMetrics;
        if (!HOST.matcher(host).matches()) {
            throw new InvalidConfigException("host", "'" + host
                    + "' is not a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0");
        }
        if (port < OFF || port > 65535) {
            throw new InvalidConfigException("port", "must be -1 (off), 0 (any free port) or 1 to 65535, got " + port);
        }
    }

    /** The endpoint on {@code host:port}, with the curated Kafka metrics and the result log on. */
    public OperationsSettings(String host, int port) {
        this(host, port, KafkaMetrics.CURATED, true);
    }

    /** Port 9464 on 127.0.0.1. */
    public static OperationsSettings defaults() {
        return new OperationsSettings(DEFAULT_HOST, DEFAULT_PORT);
    }

    /** Whether the endpoint is served at all ({@link #port()} is not -1). */
    public boolean enabled() {
        return port != OFF;
    }

    // Boxed: Jackson hands an absent int over as 0, which here means "any free port", and an
    // absent boolean as false, which would turn the result log off.
    @JsonCreator
    private static OperationsSettings fromYaml(@JsonProperty("host") String host, @JsonProperty("port") Integer port,
            @JsonProperty("kafkaMetrics") KafkaMetrics kafkaMetrics, @JsonProperty("resultLog") Boolean resultLog) {
        return new OperationsSettings(host, port == null ? DEFAULT_PORT : port, kafkaMetrics,
                resultLog == null || resultLog);
    }
}
