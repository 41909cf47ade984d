package dev.tokenrelay.cli;

import dev.tokenrelay.StartupException;
import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code run}: the processor, until it is stopped (SIGTERM or Ctrl-C stop it cleanly). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the processor until stopped. Without kafka.bootstrapServers it starts an embedded broker.")
final class RunCommand implements Callable<Integer> {

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
        CountDownLatch stopped = new CountDownLatch(1);
        TokenRelay relay;
        try {
            relay = TokenRelay.start(config);
        } catch (StartupException e) {
            spec.commandLine().getErr().println("tokenrelay: " + e.getMessage());
            return e.configurationError() ? Main.EXIT_USAGE : Main.EXIT_FAILURE;
        }
        relay.opsUri().ifPresent(uri -> spec.commandLine().getOut().println("tokenrelay: metrics on " + uri
                + "/metrics, health on " + uri + "/health/live and " + uri + "/health/ready"));
        Thread shutdown = new Thread(() -> {
            relay.close();
            stopped.countDown();
        }, "tokenrelay-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        // Leave when the hook has closed the processor, or when Streams stopped on its own.
        while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
            KafkaStreams.State state = relay.state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                spec.commandLine().getErr().println("tokenrelay: the processor stopped (state " + state + ")");
                Runtime.getRuntime().removeShutdownHook(shutdown);
                relay.close();
                return Main.EXIT_FAILURE;
            }
        }
        return 0;
    }
}
