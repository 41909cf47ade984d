package dev.tokenrelay.cli;

import dev.tokenrelay.StartupException;
import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.tools.StopOnSignal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code run}: the processor, until it is stopped. SIGTERM or Ctrl-C stop it cleanly and the
 * command then exits 0; a processor that fails on its own exits 1.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the processor until stopped. Without kafka.bootstrapServers it starts an embedded broker.")
final class RunCommand implements Callable<Integer> {

    /**
     * Beyond {@code processor.shutdownTimeout} (Kafka Streams' close), the time a shutdown that
     * bypasses the signal handlers (SIGHUP) leaves for the upstream client and an embedded broker to close.
     */
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(15);

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The YAML configuration file.")
    Path configFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        TokenRelayConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("tokenrelay: invalid configuration: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Installed before the start, so that a signal while the processor starts stops it cleanly too.
        try (StopOnSignal signals = StopOnSignal.install(stop::countDown,
                config.processor().shutdownTimeout().plus(CLOSE_MARGIN))) {
            LocalRelay local;
            try {
                local = LocalRelay.start(config, Clock.systemUTC());
            } catch (StartupException e) {
                spec.commandLine().getErr().println("tokenrelay: " + e.getMessage());
                return e.configurationError() ? Main.EXIT_USAGE : Main.EXIT_FAILURE;
            }
            TokenRelay relay = local.relay();
            relay.opsUri().ifPresent(uri -> spec.commandLine().getOut().println("tokenrelay: metrics on " + uri
                    + "/metrics, health on " + uri + "/health/live and " + uri + "/health/ready"));
            spec.commandLine().getOut().flush();
            // The processor is closed here, on the command's thread, whether a signal asked for it or
            // Streams stopped on its own; the JVM exits once the command has returned.
            while (!stop.await(1, TimeUnit.SECONDS)) {
                KafkaStreams.State state = relay.state();
                if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                    spec.commandLine().getErr().println("tokenrelay: the processor stopped (state " + state + ")");
                    local.close();
                    return Main.EXIT_FAILURE;
                }
            }
            local.close();
            return 0;
        }
    }
}
