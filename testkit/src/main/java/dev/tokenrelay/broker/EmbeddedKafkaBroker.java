package dev.tokenrelay.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A single-node Apache Kafka broker running in this JVM in KRaft mode (one process acting as both
 * broker and controller), built on Kafka's own {@link KafkaRaftServer}: a real broker, not a mock.
 *
 * <p>The data directory is formatted once; starting again on the same directory reuses its log
 * dirs and cluster id, so topics and records survive a restart. The layout of {@code dataDir} is:
 * <ul>
 *   <li>{@code cluster.id}: the cluster id the log dirs were formatted with,</li>
 *   <li>{@code server.properties}: the configuration of the last start (for inspection),</li>
 *   <li>{@code kafka-logs/}: the log dir, which also holds the KRaft metadata log.</li>
 * </ul>
 *
 * <p>Every listener binds to {@code 127.0.0.1} only. Internal topics (consumer offsets,
 * transaction state, share-group state) use replication factor 1 and min.insync.replicas 1, so
 * consumer groups and transactions (exactly-once) work on one node; topics are never created
 * automatically.
 *
 * <p>Note that Kafka treats some broker faults as fatal and then exits the whole JVM; a process
 * that must survive that should run the broker in a child JVM instead.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Path.of("data/kafka"), 0)) {
 *     String bootstrap = broker.bootstrapServers(); // "127.0.0.1:PORT"
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    private static final String CLUSTER_ID_FILE = "cluster.id";
    private static final String CONFIG_FILE = "server.properties";
    private static final String LOG_DIR = "kafka-logs";
    private static final String META_PROPERTIES = "meta.properties";
    private static final int NODE_ID = 1;
    private static final int MAX_START_ATTEMPTS = 5;

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final int port;
    private final int saslPort;
    private final String clusterId;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, int port, int saslPort, String clusterId) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
        this.saslPort = saslPort;
        this.clusterId = clusterId;
    }

    /**
     * Starts a broker on {@code dataDir}, formatting it first unless it already holds a formatted
     * log dir, and returns once the broker accepts clients.
     *
     * @param dataDir directory for the cluster id and the log dir; created if missing
     * @param port    the client port on 127.0.0.1, or 0 to pick a free one
     * @throws IllegalStateException if the storage cannot be formatted or the broker does not start
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * Starts a broker as {@link #start(Path, int)} does, with a second client listener on a free
     * port of 127.0.0.1 that requires SASL/PLAIN authentication ({@code SASL_PLAINTEXT}), for
     * trying clients against a secured cluster; {@link #saslBootstrapServers()} says where.
     *
     * @param plainUsers the users the SASL listener accepts, user name to password; none (empty)
     *     for no SASL listener
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> plainUsers) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(plainUsers, "plainUsers");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        Path logDir = dir.resolve(LOG_DIR);
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create Kafka data directory " + logDir, e);
        }
        boolean formatted = Files.exists(logDir.resolve(META_PROPERTIES));
        String clusterId = clusterId(dir, logDir, formatted);

        RuntimeException lastBindFailure = null;
        for (int attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
            // A port found free here may be taken before the broker binds it: retry with new ones.
            int brokerPort = port == 0 ? freePort() : port;
            int controllerPort = freePort();
            while (controllerPort == brokerPort) {
                controllerPort = freePort();
            }
            int saslPort = 0;
            while (!plainUsers.isEmpty() && (saslPort == 0 || saslPort == brokerPort || saslPort == controllerPort)) {
                saslPort = freePort();
            }
            Properties props = brokerProperties(logDir, brokerPort, controllerPort);
            if (saslPort != 0) {
                addSaslListener(props, saslPort, plainUsers);
            }
            Path configFile = writeConfig(dir, props);
            if (!formatted) {
                format(configFile, clusterId);
                formatted = true;
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            try {
                server.startup();
                return new EmbeddedKafkaBroker(server, dir, brokerPort, saslPort, clusterId);
            } catch (RuntimeException e) {
                stopQuietly(server, e);
                if (!isBindFailure(e)) {
                    throw new IllegalStateException("Kafka broker on " + dir + " failed to start", e);
                }
                if (port != 0 && !isFree(port)) {
                    throw new IllegalStateException("Kafka broker port " + HOST + ":" + port + " is already in use", e);
                }
                lastBindFailure = e;
            }
        }
        throw new IllegalStateException("Kafka broker on " + dir + " could not bind its ports after "
                + MAX_START_ATTEMPTS + " attempts", lastBindFailure);
    }

    /** The bootstrap servers for clients, {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /**
     * The bootstrap servers of the SASL/PLAIN listener, {@code 127.0.0.1:PORT}.
     *
     * @throws IllegalStateException when the broker was started without SASL users
     */
    public String saslBootstrapServers() {
        if (saslPort == 0) {
            throw new IllegalStateException("this broker has no SASL listener: start it with SASL users");
        }
        return HOST + ":" + saslPort;
    }

    /** The client (PLAINTEXT) port the broker listens on. */
    public int port() {
        return port;
    }

    /** The data directory holding the cluster id and the log dir. */
    public Path dataDir() {
        return dataDir;
    }

    /** The id of the cluster the data directory was formatted for. */
    public String clusterId() {
        return clusterId;
    }

    /** Shuts the broker down and waits until it has stopped. Calling it again does nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.shutdown();
            server.awaitShutdown();
        }
    }

    private static Properties brokerProperties(Path logDir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", Integer.toString(NODE_ID));
        p.setProperty("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + brokerPort);
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("log.dirs", logDir.toString());

        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("num.partitions", "4");
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");

        // One node: without replication factor 1 here, group joins hang on INVALID_REPLICATION_FACTOR
        // and transactional producers never initialise.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        // The defaults (50 partitions each) make the first group join and first transaction slow.
        p.setProperty("offsets.topic.num.partitions", "8");
        p.setProperty("transaction.state.log.num.partitions", "8");
        p.setProperty("share.coordinator.state.topic.num.partitions", "8");

        // Otherwise the first rebalance of every group (and Streams app) waits 3 s.
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // The 128 MiB default is allocated on the heap of the host JVM.
        p.setProperty("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        return p;
    }

    // The PLAINTEXT listener stays the inter-broker one, so the broker needs no credentials of its own.
    private static void addSaslListener(Properties p, int saslPort, Map<String, String> plainUsers) {
        String listener = "SASL_PLAINTEXT://" + HOST + ":" + saslPort;
        p.setProperty("listeners", p.getProperty("listeners") + "," + listener);
        p.setProperty("advertised.listeners", p.getProperty("advertised.listeners") + "," + listener);
        p.setProperty("listener.security.protocol.map",
                p.getProperty("listener.security.protocol.map") + ",SASL_PLAINTEXT:SASL_PLAINTEXT");
        p.setProperty("sasl.enabled.mechanisms", "PLAIN");
        p.setProperty("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN");
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        plainUsers.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password)
                .append('"'));
        p.setProperty("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.append(';').toString());
    }

    private static String clusterId(Path dir, Path logDir, boolean formatted) {
        Path idFile = dir.resolve(CLUSTER_ID_FILE);
        try {
            if (formatted) {
                // The log dir is the source of truth: formatting again with another id would make
                // the broker refuse to start.
                Properties meta = new Properties();
                try (InputStream in = Files.newInputStream(logDir.resolve(META_PROPERTIES))) {
                    meta.load(in);
                }
                String id = meta.getProperty("cluster.id");
                if (id == null || id.isBlank()) {
                    throw new IllegalStateException("No cluster.id in " + logDir.resolve(META_PROPERTIES));
                }
                if (!Files.exists(idFile)) {
                    Files.writeString(idFile, id + System.lineSeparator(), StandardCharsets.UTF_8);
                }
                return id;
            }
            if (Files.exists(idFile)) {
                String id = Files.readString(idFile, StandardCharsets.UTF_8).strip();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            String id = Uuid.randomUuid().toString();
            Files.writeString(idFile, id + System.lineSeparator(), StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or write the cluster id in " + dir, e);
        }
    }

    private static Path writeConfig(Path dir, Properties props) {
        Path file = dir.resolve(CONFIG_FILE);
        try (OutputStream out = Files.newOutputStream(file)) {
            props.store(out, "Written by EmbeddedKafkaBroker; rewritten on every start");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    private static void format(Path configFile, String clusterId) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exitCode = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", configFile.toString()}, out);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Formatting Kafka storage with " + configFile + " failed: "
                    + output.toString(StandardCharsets.UTF_8).strip(), e);
        }
        if (exitCode != 0) {
            throw new IllegalStateException("Formatting Kafka storage with " + configFile + " exited with "
                    + exitCode + ": " + output.toString(StandardCharsets.UTF_8).strip());
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot find a free port on " + HOST, e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return socket.isBound();
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && message.contains("failed to bind")) {
                return true;
            }
        }
        return false;
    }

    private static void stopQuietly(KafkaRaftServer server, RuntimeException failure) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
