package dev.tokenrelay.ops;

import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.config.OperationsSettings;
import dev.tokenrelay.metrics.PipelineMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The operations side of one processor: a Prometheus registry with tokenrelay's meters, the JVM's
 * and Kafka Streams' own metrics (a curated set by default, see {@code ops.kafkaMetrics}), and the
 * HTTP endpoint serving them with the health checks.
 * <pre>{@code
 * Operations ops = Operations.create(config.ops());
 * TokenRelayTopology.build(builder, config, caller, ops.pipeline());
 * KafkaStreams streams = new KafkaStreams(...);
 * ops.serve(streams);   // listens from now on: ready turns 200 once Streams is RUNNING
 * streams.start();
 * ...
 * ops.close();          // after Streams has closed
 * }</pre>
 * With {@code ops.port: -1} it is inert: no registry, no endpoint, {@link PipelineMetrics#NONE}.
 */
public final class Operations implements AutoCloseable {

    /** How often Kafka Streams' metrics are looked at again, to pick up threads and tasks that came since. */
    private static final Duration STREAMS_METRICS_REFRESH = Duration.ofSeconds(10);

    private final OperationsSettings settings;
    private final PrometheusMeterRegistry registry;
    private final KafkaMetricsFilter kafkaMetrics;
    private final PipelineMetrics pipeline;
    private final JvmGcMetrics gc;
    private ScheduledExecutorService scheduler;
    private final List<KafkaStreamsMetrics> streamsMetrics = new ArrayList<>();
    private OpsServer server;

    private Operations(OperationsSettings settings) {
        this.settings = settings;
        this.kafkaMetrics = new KafkaMetricsFilter(settings.kafkaMetrics());
        if (settings.enabled()) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            // Before any meter is bound: a filter only sees the meters registered after it.
            registry.config().meterFilter(kafkaMetrics.meterFilter());
            pipeline = new RelayMetrics(registry);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            gc = new JvmGcMetrics();
            gc.bindTo(registry);
        } else {
            registry = null;
            pipeline = PipelineMetrics.NONE;
            gc = null;
        }
    }

    /** The registry and meters; nothing listens until {@link #serve(KafkaStreams)}. */
    public static Operations create(OperationsSettings settings) {
        return new Operations(settings);
    }

    /** What the pipeline stages report to. */
    public PipelineMetrics pipeline() {
        return pipeline;
    }

    /** Gauges of the accounts without a usable credential, as {@code credentials} sees them at each scrape. */
    public void gaugeCredentials(Collection<String> accounts, CredentialCheck credentials) {
        if (registry != null) {
            CredentialGauges.bind(registry, accounts, credentials);
        }
    }

    /**
     * Binds Kafka Streams' metrics and starts the endpoint, whose health follows {@code streams}.
     *
     * @throws OpsException when the configured address cannot be listened on
     */
    public void serve(KafkaStreams streams) {
        serve(List.of(streams), streams::state);
    }

    /**
     * Binds the metrics of every Kafka Streams client of the processor and starts the endpoint,
     * whose health follows {@code state}, the processor's state as one.
     *
     * @throws OpsException when the configured address cannot be listened on
     */
    public void serve(List<KafkaStreams> streams, Supplier<KafkaStreams.State> state) {
        if (registry == null) {
            return;
        }
        server = OpsServer.start(settings.host(), settings.port(), this::scrape, state);
        scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tokenrelay-streams-metrics");
            thread.setDaemon(true);
            return thread;
        });
        for (KafkaStreams client : streams) {
            KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(client, List.of(), scheduler, STREAMS_METRICS_REFRESH);
            metrics.bindTo(registry);
            streamsMetrics.add(metrics);
        }
    }

    /** Where the endpoint listens, e.g. {@code http://127.0.0.1:9464}; empty when it is off or not started. */
    public Optional<URI> uri() {
        return Optional.ofNullable(server).map(OpsServer::uri);
    }

    /** The metrics as a Prometheus scrape sees them; empty when metrics are off. */
    public String scrape() {
        return registry == null ? "" : kafkaMetrics.scrape(registry.scrape());
    }

    /** Stops the endpoint and the metrics; call it after Kafka Streams has closed. */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        streamsMetrics.forEach(KafkaStreamsMetrics::close);
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (gc != null) {
            gc.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
