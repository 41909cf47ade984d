package dev.tokenrelay.tools;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every tool takes to find Kafka: the processor's configuration file and, optionally,
 * the bootstrap servers instead of the file's. A picocli mixin.
 */
public final class ClusterOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "The processor's configuration: where Kafka is and the topic names.")
    Path configFile;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "The Kafka cluster, instead of the configuration's (without --config the topics have their "
                    + "default names, tokenrelay.*).")
    String bootstrapServers;

    /** The cluster these options name. */
    public Cluster resolve() {
        return Cluster.resolve(configFile, bootstrapServers);
    }
}
