package dev.tokenrelay.cli;

import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.OperationsSettings;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.KafkaClients;
import dev.tokenrelay.ops.scrape.MetricsScraper;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.tools.AccountStatesReader;
import dev.tokenrelay.tools.AccountsTable;
import dev.tokenrelay.tools.StopOnSignal;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code accounts}: a table of every configured account's state, from the compacted accounts
 * topic (cooling until, why, failures, disabled, last error) and from the processor's
 * {@code /metrics} when it can be reached (credential, in flight, queued, success rate). {@code --watch}
 * redraws it.
 */
@Command(name = "accounts", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show every configured account: cooling until, why, consecutive failures, disabled, "
                + "credential, calls in flight, attempts queued, success rate and last error.",
                "The state comes from the accounts topic; credential (\"no credential\" when the processor has no "
                        + "usable key or token for the account), in flight, queued and success rate from the "
                        + "processor's metrics endpoint (\"-\" when it cannot be reached)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the table was printed", "1:Kafka could not be read (broker unreachable, topic missing)",
                "2:usage or configuration error"})
public final class AccountsCommand implements Callable<Integer> {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    private static final String CLEAR_SCREEN = "\033[H\033[2J";

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "The processor's YAML configuration: accounts, topic names, Kafka and ops settings.")
    Path configFile;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "The Kafka cluster (default: kafka.bootstrapServers of the configuration, "
                    + "or its embedded broker's port on 127.0.0.1).")
    String bootstrapServers;

    @Option(names = "--metrics-url", paramLabel = "URL", converter = MetricsUrlConverter.class,
            description = "A processor's metrics endpoint, e.g. http://127.0.0.1:9464/metrics (default: the "
                    + "configuration's ops host and port). Repeat it for several instances: their figures add up.")
    List<URI> metricsUrls = new ArrayList<>();

    @Option(names = "--watch", description = "Redraw the table every --interval until stopped (Ctrl-C).")
    boolean watch;

    @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How often --watch redraws: 500ms, 2s, 1m... (default: 2s).")
    Duration interval;

    @Option(names = "--timeout", defaultValue = "10s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait for Kafka and for the metrics endpoint (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (interval != null && !watch) {
            return usage(err, "--interval only applies with --watch");
        }
        Duration every = interval == null ? Duration.ofSeconds(2) : interval;
        if (every.isNegative() || every.isZero() || timeout.isNegative() || timeout.isZero()) {
            return usage(err, "--interval and --timeout must be greater than zero");
        }
        TokenRelayConfig config;
        try {
            config = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            err.println("tokenrelay: invalid configuration: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        String bootstrap = bootstrapServers != null ? bootstrapServers.strip() : defaultBootstrap(config);
        if (bootstrap == null || bootstrap.isEmpty()) {
            return usage(err, "the configuration starts an embedded broker on any free port (kafka.embedded.port: 0); "
                    + "pass --bootstrap-servers with the address the processor printed");
        }
        List<URI> urls = metricsUrls.isEmpty() ? defaultMetricsUrls(config.ops()) : metricsUrls;
        String topic = config.topics().accounts().name();
        MetricsScraper scraper = new MetricsScraper(timeout);
        String origin = bootstrapServers != null ? "--bootstrap-servers" : config.kafka().useEmbedded()
                ? "the embedded broker of " + configFile : "kafka.bootstrapServers in " + configFile;
        KafkaClients clients;
        try {
            clients = KafkaClients.of(bootstrap, config.kafka().clientProperties());
        } catch (IllegalArgumentException e) {
            err.println("tokenrelay: invalid configuration: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        // Ctrl-C ends a watch between two frames, and the command exits 0 like a single table.
        CountDownLatch stop = new CountDownLatch(1);
        try (AccountStatesReader reader = new AccountStatesReader(clients, origin, topic, timeout);
                StopOnSignal signal = StopOnSignal.install(stop::countDown)) {
            Map<String, AccountState> states = reader.readToEnd();
            boolean clear = watch && System.console() != null;
            while (true) {
                Frame frame = frame(config, states, urls, scraper);
                if (clear) {
                    out.print(CLEAR_SCREEN);
                }
                out.println("accounts of " + config.kafka().applicationId() + " at " + TIME.format(frame.at())
                        + " (topic " + topic + " on " + bootstrap + ")");
                out.print(AccountsTable.render(frame.rows(), frame.at()));
                out.flush();
                frame.problems().forEach(problem -> err.println("tokenrelay: " + problem));
                if (urls.isEmpty()) {
                    err.println("tokenrelay: no metrics endpoint (ops.port is " + config.ops().port()
                            + " in the configuration): pass --metrics-url to see in flight, queued and success rate");
                }
                err.flush();
                if (!watch) {
                    return 0;
                }
                if (stop.await(every.toMillis(), TimeUnit.MILLISECONDS)) {
                    return 0;
                }
                try {
                    states = reader.readToEnd();
                } catch (AccountStatesReader.ReadException e) {
                    // A watch outlives a broker's hiccup: keep the last known states and say so.
                    err.println("tokenrelay: " + e.getMessage() + " (showing the last states read)");
                }
            }
        } catch (AccountStatesReader.ReadException e) {
            err.println("tokenrelay: " + e.getMessage());
            return Main.EXIT_FAILURE;
        }
    }

    private record Frame(Instant at, List<AccountsTable.Row> rows, List<String> problems) {}

    private static Frame frame(TokenRelayConfig config, Map<String, AccountState> states, List<URI> urls,
            MetricsScraper scraper) {
        List<String> problems = new ArrayList<>();
        Map<String, AccountsTable.AccountMetrics> metrics = null;
        for (URI url : urls) {
            try {
                PrometheusText scrape = scraper.scrape(url);
                Map<String, AccountsTable.AccountMetrics> figures = new HashMap<>();
                config.accounts().keySet().forEach(account ->
                        figures.put(account, AccountsTable.AccountMetrics.of(scrape, account)));
                if (metrics == null) {
                    metrics = figures;
                } else {
                    metrics.replaceAll((account, sum) -> sum.plus(figures.get(account)));
                }
            } catch (MetricsScraper.ScrapeException e) {
                problems.add("metrics: " + e.getMessage());
            }
        }
        List<AccountsTable.Row> rows = new ArrayList<>();
        for (String account : config.accounts().keySet()) {
            rows.add(new AccountsTable.Row(account, states.get(account), metrics == null ? null : metrics.get(account)));
        }
        return new Frame(Instant.now(), rows, problems);
    }

    /** The configured cluster, or the embedded broker's fixed port on loopback; {@code null} when unknowable. */
    static String defaultBootstrap(TokenRelayConfig config) {
        if (!config.kafka().useEmbedded()) {
            return config.kafka().bootstrapServers();
        }
        int port = config.kafka().embedded().port();
        return port == 0 ? null : "127.0.0.1:" + port;
    }

    /** The configured ops endpoint; loopback when it listens on every interface; none when off or on any port. */
    static List<URI> defaultMetricsUrls(OperationsSettings ops) {
        if (!ops.enabled() || ops.port() == 0) {
            return List.of();
        }
        String host = ops.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = "127.0.0.1";
        } else if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return List.of(URI.create("http://" + host + ":" + ops.port() + "/metrics"));
    }

    private int usage(PrintWriter err, String message) {
        err.println("tokenrelay accounts: " + message);
        err.println("Try 'tokenrelay accounts --help' for the options.");
        return Main.EXIT_USAGE;
    }

    /** {@code http(s)://host[:port][/path]}; a URL without a path means its {@code /metrics}. */
    static final class MetricsUrlConverter implements CommandLine.ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            URI uri;
            try {
                uri = new URI(value.strip());
            } catch (URISyntaxException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a URL, e.g. http://127.0.0.1:9464/metrics");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new CommandLine.TypeConversionException("'" + value
                        + "' is not an http(s) URL with a host, e.g. http://127.0.0.1:9464/metrics");
            }
            if (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/")) {
                uri = uri.resolve("/metrics");
            }
            return uri;
        }
    }
}
