package dev.tokenrelay.cli;

import dev.tokenrelay.TokenRelay;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.TopicReader;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.tools.StopOnSignal;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: an embedded broker, a simulated upstream whose accounts misbehave in different
 * ways, and the processor; submits a few dozen requests and prints where each one went.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the processor against simulated accounts that misbehave, and show each request's path.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--requests", defaultValue = "36", description = "How many requests to submit (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--timeout", defaultValue = "60s", converter = DurationConverter.class, paramLabel = "DURATION", description = "How long to wait for every result (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (requests < 1) {
            spec.commandLine().getErr().println("tokenrelay: --requests must be at least 1");
            return Main.EXIT_USAGE;
        }
        Path dataDir = Files.createTempDirectory("tokenrelay-demo");
        AtomicBoolean interrupted = new AtomicBoolean();
        // Ctrl-C ends the wait for results: what arrived is printed, and the processor and the
        // embedded broker are closed before the JVM exits.
        try (StopOnSignal signal = StopOnSignal.install(() -> interrupted.set(true));
                SimulatedUpstream upstream = SimulatedUpstream.start()) {
            scriptAccounts(upstream);
            TokenRelayConfig config = ConfigLoader.parse(demoConfig(upstream, dataDir), "demo configuration");
            try (LocalRelay local = LocalRelay.start(config, Clock.systemUTC())) {
                TokenRelay relay = local.relay();
                out.printf("tokenrelay demo: embedded Kafka at %s, simulated upstream on 127.0.0.1:%d%n",
                        relay.bootstrapServers(), upstream.port());
                Map<String, String> route = submit(relay, requests);
                out.printf("submitted %d requests; waiting for their results...%n%n", requests);
                List<ChatResult> results = awaitResults(relay, requests, interrupted);
                print(out, results, route);
                if (interrupted.get()) {
                    out.println("interrupted: stopping the processor and the embedded broker");
                }
                out.flush();
                return results.size() == requests ? 0 : Main.EXIT_FAILURE;
            }
        }
    }

    private static void scriptAccounts(SimulatedUpstream upstream) {
        upstream.script("steady", Behaviour.echo().after(Duration.ofMillis(200)));
        upstream.script("rate-limited", Behaviour.rateLimited(Duration.ofSeconds(2)).after(Duration.ofMillis(50)));
        upstream.script("empty-200", Behaviour.emptyCompletion().after(Duration.ofMillis(100)));
        upstream.script("server-error", Behaviour.status(500).after(Duration.ofMillis(80)));
        upstream.script("hangs", Behaviour.noAnswer());
        upstream.script("reserve", Behaviour.echo().after(Duration.ofMillis(150)));
        upstream.script("codex-empty", Behaviour.emptyCompletion().after(Duration.ofMillis(120)));
        upstream.script("codex-ok", Behaviour.echo().after(Duration.ofMillis(250)));
        upstream.script("claude", Behaviour.echo().after(Duration.ofMillis(180)));
    }

    private static String demoConfig(SimulatedUpstream upstream, Path dataDir) {
        return """
                kafka:
                  applicationId: tokenrelay-demo
                  embedded: { port: 0, dataDir: "%s" }
                  streams:
                    state.dir: "%s"
                ops: { port: -1 }
                topics:
                  requests:  { partitions: 2 }
                  attempts:  { partitions: 2 }
                  results:   { partitions: 2 }
                  outcomes:  { partitions: 2 }
                  deadLetter: { partitions: 2 }
                  accounts:  { partitions: 1 }
                # Short cooldowns, so that the requests pinned to a failing account wait seconds, not 15 s.
                policy: { defaultCooldown: 3s }
                defaultPool: main
                pools:
                  main:
                    strategy: round-robin
                    accounts: [rate-limited, empty-200, server-error, hangs, steady]
                    fallback: reserve
                  keyless:
                    accounts: [no-key]
                    fallback: reserve
                  codex:
                    accounts: [codex-empty, codex-ok]
                    fallback: reserve
                  claude:
                    accounts: [claude]
                  reserve:
                    accounts: [reserve]
                accounts:
                  steady:       { provider: openai-chat, baseUrl: "%s" }
                  rate-limited: { provider: openai-chat, baseUrl: "%s" }
                  empty-200:    { provider: openai-chat, baseUrl: "%s" }
                  server-error: { provider: openai-chat, baseUrl: "%s" }
                  hangs:        { provider: openai-chat, baseUrl: "%s", responseTimeout: 1s }
                  reserve:      { provider: openai-chat, baseUrl: "%s" }
                  no-key:       { provider: openai-chat, baseUrl: "%s", apiKey: "${env:TOKENRELAY_DEMO_UNSET_KEY}" }
                  codex-empty:  { provider: openai-responses, baseUrl: "%s" }
                  codex-ok:     { provider: openai-responses, baseUrl: "%s" }
                  claude:       { provider: anthropic-messages, baseUrl: "%s" }
                """.formatted(dataDir.resolve("kafka"), dataDir.resolve("streams"),
                upstream.baseUrl("steady"), upstream.baseUrl("rate-limited"), upstream.baseUrl("empty-200"),
                upstream.baseUrl("server-error"), upstream.baseUrl("hangs"), upstream.baseUrl("reserve"),
                upstream.baseUrl("no-key"), upstream.baseUrl("codex-empty"), upstream.baseUrl("codex-ok"),
                upstream.rootUrl("claude"));
    }

    /** Submits the requests: most to the default pool, a few pinned, a few to the pool with no key. */
    private static Map<String, String> submit(TokenRelay relay, int count) {
        Map<String, String> route = new LinkedHashMap<>();
        Map<String, Object> producerConfig = relay.clients().producer("tokenrelay-demo", Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"));
        try (KafkaProducer<String, byte[]> producer =
                     new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 1; i <= count; i++) {
                String id = "demo-%03d".formatted(i);
                String pool = null;
                String account = null;
                if (i % 12 == 0) {
                    account = "server-error";
                    route.put(id, "pinned to server-error");
                } else if (i % 12 == 6) {
                    pool = "keyless";
                    route.put(id, "pool keyless");
                } else if (i % 12 == 3 || i % 12 == 9) {
                    pool = "codex";
                    route.put(id, "pool codex (Responses)");
                } else if (i % 12 == 10) {
                    pool = "claude";
                    route.put(id, "pool claude (Messages)");
                } else {
                    route.put(id, "pool main");
                }
                var body = JsonCodec.mapper().createObjectNode().put("model", "demo-model");
                body.putArray("messages").addObject().put("role", "user").put("content", "question " + i);
                ChatRequest request = new ChatRequest(id, 0, body, pool, account, null, null);
                producer.send(new ProducerRecord<>(relay.config().topics().requests().name(), id,
                        JsonCodec.encode(request)));
            }
            producer.flush();
        }
        return route;
    }

    private List<ChatResult> awaitResults(TokenRelay relay, int count, AtomicBoolean interrupted) {
        try (TopicReader<ChatResult> reader = new TopicReader<>(relay.clients(),
                relay.config().topics().results().name(), Topics.RESULTS.deserializer())) {
            return reader.readUntil(all -> all.size() >= count || interrupted.get(), timeout).stream()
                    .map(ConsumerRecord::value)
                    .sorted(Comparator.comparing(ChatResult::id))
                    .toList();
        }
    }

    private static void print(PrintWriter out, List<ChatResult> results, Map<String, String> route) {
        Map<ResultStatus, Integer> totals = new EnumMap<>(ResultStatus.class);
        for (ChatResult result : results) {
            totals.merge(result.status(), 1, Integer::sum);
            out.printf("%-9s %-10s %3d  %-24s %s%n", result.id(), result.status().name().toLowerCase(java.util.Locale.ROOT),
                    result.httpStatus(), route.get(result.id()), path(result.attempts()));
        }
        List<String> missing = new ArrayList<>(route.keySet());
        results.forEach(r -> missing.remove(r.id()));
        out.println();
        out.printf("%d results for %d requests: %s%n", results.size(), route.size(), totals.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(java.util.Locale.ROOT))
                .collect(Collectors.joining(", ")));
        if (!missing.isEmpty()) {
            out.printf("no result for: %s%n", String.join(", ", missing));
        }
    }

    private static String path(List<TrailEntry> trail) {
        return trail.stream()
                .map(e -> e.account() + "(" + e.reason() + ")")
                .collect(Collectors.joining(" -> "));
    }
}
