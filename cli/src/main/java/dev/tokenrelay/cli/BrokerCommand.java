package dev.tokenrelay.cli;

import dev.tokenrelay.broker.EmbeddedKafkaBroker;
import dev.tokenrelay.tools.StopOnSignal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenrelay broker}: the embedded single-node Kafka broker on its own, in the foreground
 * until SIGTERM or Ctrl-C. Started again on the same data directory and port it has the same
 * cluster, topics and records, so a broker outage can be played as an operator sees one (the fault
 * suite and {@code chaos} stop and start it), and a local processor can be restarted against a
 * broker that outlives it.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run the embedded single-node Kafka broker (KRaft, 127.0.0.1 only) until SIGTERM or Ctrl-C.")
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Where the broker keeps its cluster id and log; formatted on first use, reused after.")
    Path dataDir;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "The client port on 127.0.0.1 (default: ${DEFAULT-VALUE}); keep it fixed across restarts, "
                    + "since clients reconnect to the same address.")
    int port;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        PrintWriter out = spec.commandLine().getOut();
        try (StopOnSignal signals = StopOnSignal.install(stop::countDown);
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, port)) {
            // The line scripts and tests wait for: from here on clients can connect.
            out.println("broker listening on " + broker.bootstrapServers() + ", cluster " + broker.clusterId()
                    + ", data in " + broker.dataDir());
            out.flush();
            stop.await();
            out.println("broker stopping");
            out.flush();
        }
        return 0;
    }
}
