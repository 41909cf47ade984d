package dev.tokenrelay;

import dev.tokenrelay.config.KafkaSettings;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.KafkaClients;
import dev.tokenrelay.kafka.KafkaProblems;
import dev.tokenrelay.kafka.RoleTaskAssignor;
import dev.tokenrelay.kafka.StaticMembership;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.TopicAdmin;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.ops.Operations;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.upstream.Providers;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running tokenrelay processor: its Kafka clients, the topics, the upstream caller and the Kafka
 * Streams application, on the cluster it is given. Several instances with the same
 * application id share the work.
 *
 * <p>With {@code processor.separateIntake}, the application runs as two Kafka Streams
 * clients in this process, one for intake and one for dispatch, kept apart by
 * {@link RoleTaskAssignor}: a backlog of requests then has stream threads of its own and never
 * takes a dispatch task's turn to read. To callers it is still one processor.
 */
public final class TokenRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TokenRelay.class);

    /** The subdirectory of the configured state directory where intake's client keeps its state. */
    static final String INTAKE_STATE_DIR = "intake";

    /** The states of a Kafka Streams client, worst first: the processor is as far as its furthest-behind client. */
    private static final List<KafkaStreams.State> SEVERITY = List.of(KafkaStreams.State.ERROR,
            KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.PENDING_SHUTDOWN,
            KafkaStreams.State.CREATED, KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING);

    private final TokenRelayConfig config;
    private final KafkaClients clients;
    private final UpstreamCaller caller;
    // Dispatch's client runs every task when intake does not run apart; intake's is then null.
    private final KafkaStreams streams;
    private final KafkaStreams intake;
    private final Operations ops;

    private TokenRelay(TokenRelayConfig config, KafkaClients clients, UpstreamCaller caller, KafkaStreams streams,
            KafkaStreams intake, Operations ops) {
        this.config = config;
        this.clients = clients;
        this.caller = caller;
        this.streams = streams;
        this.intake = intake;
        this.ops = ops;
    }

    /**
     * Starts the processor on the cluster at {@code bootstrapServers}: the missing topics, then the
     * Streams application. Returns once the application is started; use
     * {@link #awaitRunning(Duration)} to wait until it processes.
     *
     * @param clock the one source of time of every stage: cooldowns, deadlines, parking, the times
     *              written to results ({@link Clock#systemUTC()} outside tests)
     */
    public static TokenRelay start(TokenRelayConfig config, String bootstrapServers, Clock clock) {
        String bootstrap = bootstrapServers;
        UpstreamCaller caller = null;
        Operations ops = null;
        KafkaStreams streams = null;
        KafkaStreams intake = null;
        try {
            KafkaClients clients = KafkaClients.of(bootstrap, clientProperties(config));
            warnUnknownSettings(config.kafka().streams());
            prepareCluster(config, clients);
            caller = UpstreamCaller.create(config, Providers.builtIn(), clock);
            caller.credentials().warnAtStart();
            ops = Operations.create(config.ops());
            ops.gaugeCredentials(config.accounts().keySet(), caller.credentials());
            Properties properties = streamsProperties(config, bootstrap);
            boolean apart = separateIntake(config, properties);
            if (apart) {
                Properties intakeProperties = roleProperties(properties, RoleTaskAssignor.INTAKE, config);
                properties = roleProperties(properties, RoleTaskAssignor.DISPATCH, config);
                intake = newStreams(config, caller, ops, intakeProperties);
            }
            streams = newStreams(config, caller, ops, properties);
            KafkaStreams dispatch = streams;
            KafkaStreams intakeStreams = intake;
            // Listening before Streams starts, so readiness says 503 until it runs.
            ops.serve(intake == null ? List.of(streams) : List.of(intake, streams),
                    () -> combinedState(dispatch, intakeStreams));
            streams.start();
            if (intake != null) {
                intake.start();
            }
            Object instance = properties.get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
            LOG.info("tokenrelay started: application {} on {}, {}, {}", config.kafka().applicationId(), bootstrap,
                    instance == null ? "dynamic group member" : "static group member " + instance + "-<thread>",
                    apart ? "intake on " + config.processor().intakeThreads() + " stream thread(s) of its own"
                            : "intake and dispatch on the same stream threads");
            return new TokenRelay(config, clients, caller, streams, intake, ops);
        } catch (RuntimeException e) {
            if (intake != null) {
                intake.close(CloseOptions.timeout(Duration.ZERO));
            }
            if (streams != null) {
                streams.close(CloseOptions.timeout(Duration.ZERO));
            }
            if (ops != null) {
                ops.close();
            }
            if (caller != null) {
                caller.close();
            }
            throw e;
        }
    }

    private static KafkaStreams newStreams(TokenRelayConfig config, UpstreamCaller caller, Operations ops,
            Properties properties) {
        // Topology-level settings given under kafka.streams apply to the builder too.
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(properties)));
        TokenRelayTopology.build(builder, config, caller, ops.pipeline());
        KafkaStreams streams = new KafkaStreams(builder.build(properties), properties);
        streams.setUncaughtExceptionHandler(TokenRelay::onStreamThreadFailure);
        return streams;
    }

    /**
     * Whether intake runs on a Kafka Streams client of its own: asked for, and possible. Under the
     * {@code streams} group protocol the broker assigns the tasks and no task assignor of the
     * application can keep the roles apart.
     */
    static boolean separateIntake(TokenRelayConfig config, Properties properties) {
        if (!config.processor().separateIntake()) {
            return false;
        }
        Object protocol = properties.get(StreamsConfig.GROUP_PROTOCOL_CONFIG);
        if (protocol != null && !"classic".equalsIgnoreCase(protocol.toString())) {
            LOG.warn("{} is {}: intake and dispatch share their stream threads (processor.separateIntake needs the"
                    + " classic group protocol)", StreamsConfig.GROUP_PROTOCOL_CONFIG, protocol);
            return false;
        }
        if (properties.get(StreamsConfig.TASK_ASSIGNOR_CLASS_CONFIG) != null) {
            LOG.warn("{} is set: intake and dispatch share their stream threads (processor.separateIntake needs"
                    + " tokenrelay's own task assignor)", StreamsConfig.TASK_ASSIGNOR_CLASS_CONFIG);
            return false;
        }
        return true;
    }

    /**
     * The settings of the client of one role: both join the one application with its tag and
     * {@link RoleTaskAssignor}. Dispatch keeps the configured state directory, threads and member
     * name, so that a processor that ran both roles in one client finds its queues where they
     * were; intake gets a state directory, a member name and a client id of its own (two clients
     * cannot share them) and {@code processor.intakeThreads} threads.
     */
    static Properties roleProperties(Properties base, String role, TokenRelayConfig config) {
        Properties properties = new Properties();
        properties.putAll(base);
        properties.put(StreamsConfig.clientTagPrefix(RoleTaskAssignor.ROLE_TAG), role);
        properties.put(StreamsConfig.TASK_ASSIGNOR_CLASS_CONFIG, RoleTaskAssignor.class.getName());
        properties.put(RoleTaskAssignor.REQUESTS_TOPIC_CONFIG, new Topics(config.topics()).requests());
        if (role.equals(RoleTaskAssignor.INTAKE)) {
            properties.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.processor().intakeThreads());
            properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDir(base).resolve(INTAKE_STATE_DIR).toString());
            suffix(properties, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "-" + RoleTaskAssignor.INTAKE);
            suffix(properties, StreamsConfig.CLIENT_ID_CONFIG, "-" + RoleTaskAssignor.INTAKE);
        }
        return properties;
    }

    private static void suffix(Properties properties, String key, String suffix) {
        Object value = properties.get(key);
        if (value != null) {
            properties.put(key, value + suffix);
        }
    }

    private static Path stateDir(Properties properties) {
        return Path.of(properties.getProperty(StreamsConfig.STATE_DIR_CONFIG,
                (String) StreamsConfig.configDef().defaultValues().get(StreamsConfig.STATE_DIR_CONFIG)));
    }

    /**
     * The processor's state when it runs as two clients: the worse of the two, so that it is
     * RUNNING only when both are, and failed or stopping when either is.
     */
    static KafkaStreams.State combinedState(KafkaStreams dispatch, KafkaStreams intake) {
        KafkaStreams.State state = dispatch.state();
        if (intake == null) {
            return state;
        }
        KafkaStreams.State other = intake.state();
        return SEVERITY.indexOf(other) < SEVERITY.indexOf(state) ? other : state;
    }

    /** The Kafka Streams configuration: exactly-once, tokenrelay's defaults, then the user's overrides. */
    static Properties streamsProperties(TokenRelayConfig config, String bootstrapServers) {
        Properties properties = new Properties();
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, config.kafka().applicationId());
        properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // A finished call's slot is refilled by the drain punctuator, which an idle thread runs only
        // between polls: poll as often as it drains, or slots wait up to the 100 ms default.
        properties.put(StreamsConfig.POLL_MS_CONFIG, config.processor().drainInterval().toMillis());
        // An unreadable record on an internal topic is logged and skipped rather than stopping the app;
        // unreadable requests never reach a deserializer (intake reads bytes and dead-letters them).
        properties.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class.getName());
        // No stage joins streams by time, so a task with two inputs (the batch counter reads results
        // and control) processes what it has rather than wait for the other to be fetched. It also
        // skips the log text Kafka Streams builds for every such wait, a tenth of a stream
        // thread's CPU when one input is always empty.
        properties.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        enableGlobalProcessingHandler(properties);
        properties.putAll(clientProperties(config));
        compressUnlessSet(properties);
        joinAsStaticMember(properties, config.kafka(), StaticMembership::localHostName);
        return properties;
    }

    /**
     * Sets {@code group.instance.id}, unless {@code kafka.instanceName} asks for dynamic membership:
     * a processor restarted after a crash then takes its partitions back as soon as it joins,
     * instead of waiting a session timeout for the broker to drop its dead self. A clean stop still
     * leaves the group (see {@link #close()}), so the others take over at once.
     */
    static void joinAsStaticMember(Properties properties, KafkaSettings kafka, Supplier<Optional<String>> hostName) {
        Optional<String> name = StaticMembership.instanceName(kafka, stateDir(properties), hostName);
        name.ifPresent(instance -> properties.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance));
        if (name.isEmpty() && kafka.staticMembership()) {
            LOG.warn("this host has no name to derive kafka.instanceName from: joining the group as a dynamic member,"
                    + " so a restart after a crash waits for the session timeout; set kafka.instanceName");
        }
    }

    /**
     * Replaces a failed stream thread, unless another processor took over this one's place in the
     * group: two live members under one {@code group.instance.id} fence each other, and a replaced
     * thread would rejoin under the same id and fence the other back, on and on. This processor
     * stops instead, so that the newer one works.
     */
    static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onStreamThreadFailure(Throwable exception) {
        for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
            if (cause instanceof FencedInstanceIdException) {
                LOG.error("another processor joined the consumer group under this one's group.instance.id: stopping."
                        + " Give each instance of an application its own kafka.instanceName ({})", cause.getMessage());
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
        }
        LOG.error("stream thread failed; replacing it", exception);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /**
     * Gives a global thread (the accounts table's) the same processing exception handler as the
     * stream threads, the default from Kafka 5.0. Each stream thread's partition assignor reads its
     * settings from the main consumer's, so the setting goes there too; without both, every start
     * logs a warning per stream thread and one more per {@code StreamsConfig}.
     */
    public static void enableGlobalProcessingHandler(Properties properties) {
        String key = StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG;
        properties.put(key, true);
        properties.put(StreamsConfig.mainConsumerPrefix(key), true);
    }

    /**
     * Has the Streams producer compress its batches with lz4, unless {@code compression.type} is
     * already set, prefixed or not. Every value tokenrelay writes is JSON text (prompts, completions,
     * their copies in the changelogs), so each hop writes, replicates and fetches a fraction of the
     * bytes, and a fetch returns several times more attempts per partition.
     */
    public static void compressUnlessSet(Properties properties) {
        String key = ProducerConfig.COMPRESSION_TYPE_CONFIG;
        if (!properties.containsKey(key) && !properties.containsKey(StreamsConfig.producerPrefix(key))) {
            properties.put(StreamsConfig.producerPrefix(key), "lz4");
        }
    }

    /**
     * Checks that the cluster answers with the configured credentials, creates the missing topics
     * and refuses an attempts topic that another deployment consumes: each a clear message in
     * seconds, not a client retrying for a minute.
     */
    private static void prepareCluster(TokenRelayConfig config, KafkaClients clients) {
        String bootstrap = clients.bootstrapServers();
        Topics topics = new Topics(config.topics());
        ClusterChecks.requireConnectable(bootstrap, config.kafka().useEmbedded() ? "the embedded broker"
                : "kafka.bootstrapServers");
        Admin admin;
        try {
            admin = Admin.create(clients.admin(config.kafka().applicationId() + "-admin", Map.of(
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ClusterChecks.API_TIMEOUT.toMillis(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ClusterChecks.API_TIMEOUT.toMillis())));
        } catch (KafkaException e) {
            // e.g. a sasl.jaas.config that does not parse: the message names the setting, not its value
            throw StartupException.cluster("cannot create a Kafka client for " + bootstrap + ": "
                    + KafkaProblems.rootMessage(e));
        }
        try (admin) {
            ClusterChecks.requireAnswer(admin, bootstrap);
            // Before creating anything: a refused deployment leaves no topics behind.
            ClusterChecks.requireOwnAttemptsTopic(admin, bootstrap, config.kafka().applicationId(), topics.attempts());
            try {
                TopicAdmin.ensureTopics(admin, topics.newTopics(), Duration.ofSeconds(60));
            } catch (IllegalStateException e) {
                throw StartupException.cluster(e.getCause() == null ? e.getMessage()
                        : KafkaProblems.explain(e.getCause(), bootstrap, ClusterChecks.API_TIMEOUT));
            }
        }
    }

    private static Map<String, String> clientProperties(TokenRelayConfig config) {
        try {
            return config.kafka().clientProperties();
        } catch (IllegalArgumentException e) {
            throw StartupException.configuration(e.getMessage());
        }
    }

    /**
     * Warns once, at start, of every key under {@code kafka.streams} that no Kafka client knows: a
     * misspelt setting (say {@code sasl.jaas.conifg}) would otherwise be ignored with one warning
     * per client deep in Kafka's logs.
     */
    private static void warnUnknownSettings(Map<String, String> streams) {
        for (String key : KafkaClients.unknownKeys(streams)) {
            LOG.warn("{} is not a setting of Kafka Streams or of any Kafka client: it has no effect; check its spelling",
                    KafkaSettings.streamsPath(key));
        }
    }

    /** Waits until the Streams application is running; false if it failed or the timeout passed. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            KafkaStreams.State state = state();
            if (state == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING
                    || state == KafkaStreams.State.PENDING_SHUTDOWN) {
                return false;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * What this instance knows of an account's health: the accounts topic as its global table holds
     * it (every instance holds all of it).
     */
    public Optional<AccountState> accountState(String account) {
        ReadOnlyKeyValueStore<String, ValueAndTimestamp<AccountState>> store = streams.store(
                StoreQueryParameters.fromNameAndType(StoreAccountStates.STORE,
                        QueryableStoreTypes.<String, AccountState>timestampedKeyValueStore()));
        return new StoreAccountStates(store).get(account);
    }

    /**
     * Where the metrics and health endpoint listens, e.g. {@code http://127.0.0.1:9464}; empty when
     * {@code ops.port} is -1.
     */
    public Optional<URI> opsUri() {
        return ops.uri();
    }

    /**
     * The state of the Streams application: when intake runs apart, RUNNING only when both of its
     * clients are, else the worse of their states.
     */
    public KafkaStreams.State state() {
        return combinedState(streams, intake);
    }

    /** Where clients reach the Kafka cluster this processor uses. */
    public String bootstrapServers() {
        return clients.bootstrapServers();
    }

    /** Kafka clients of the cluster this processor uses, with its client settings. */
    public KafkaClients clients() {
        return clients;
    }

    public TokenRelayConfig config() {
        return config;
    }

    /**
     * Stops processing (committing what was done), then the upstream client.
     * The processor leaves its consumer group, so another instance takes over its accounts and
     * re-issues their calls at once instead of after the session timeout. A static member does not
     * leave on its own when it closes (Kafka expects it back); this asks it to. Intake stops first,
     * so that no new attempt is written for a dispatch that is stopping.
     */
    @Override
    public void close() {
        CloseOptions options = CloseOptions.timeout(config.processor().shutdownTimeout())
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
        if (intake != null) {
            intake.close(options);
        }
        streams.close(options);
        ops.close();
        caller.close();
        LOG.info("tokenrelay stopped");
    }
}
