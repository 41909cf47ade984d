package dev.tokenrelay.chaos;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.chaos.FaultSchedule.Step;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.ChildProcessor;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite: three processor instances of one application, each in a JVM of its own, on a
 * broker that is a child process too, work through a run of requests across two pools with
 * failover while, on a schedule drawn from a seed, one instance is killed with SIGKILL and
 * restarted, all three are restarted one after the other with SIGTERM, a fourth joins and leaves,
 * and the broker is stopped and started. Afterwards, read with {@code read_committed}, every
 * request has exactly one result, every trail agrees with the outcomes topic, no success has a dead
 * letter, and the calls made again (at-least-once) stay within what the interruptions can repeat.
 *
 * <p>Bounded for every build ({@value #DEFAULT_REQUESTS} requests, one round of faults); the longer
 * form takes {@code -Dtokenrelay.faults.requests=N}, {@code -Dtokenrelay.faults.rounds=R} and
 * {@code -Dtokenrelay.faults.seed=S}. Faults are placed by progress (after so many results of a
 * batch), never by time, so a slow machine sees the same schedule.
 */
class FaultSuiteIT {

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    static final int DEFAULT_REQUESTS = 1_500;
    private static final int REQUESTS = Integer.getInteger("tokenrelay.faults.requests", DEFAULT_REQUESTS);
    private static final int ROUNDS = Integer.getInteger("tokenrelay.faults.rounds", 1);
    private static final long SEED = Long.getLong("tokenrelay.faults.seed", 20261202L);

    private static final int INSTANCES = 3;
    private static final int PARTITIONS = 4;
    private static final int MAX_IN_FLIGHT = 4;
    private static final List<String> PRIMARY = List.of("p1", "p2", "p3");
    private static final List<String> RESERVE = List.of("r1", "r2");
    /** Every so many requests is pinned to an account that answers 400: it fails, and is dead-lettered. */
    private static final int PINNED_EVERY = 50;
    private static final String BROKEN = "broken";
    // Long enough for a JVM to start on two busy cores, a rebalance, and the state restored.
    private static final Duration START_WAIT = Duration.ofSeconds(90);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);
    private static final Duration PROGRESS_WAIT = Duration.ofSeconds(120);
    private static final Pattern OPS_URI = Pattern.compile("tokenrelay: metrics on (http://\\S+)/metrics");

    private static final String CONFIG = """
            defaultPool: primary
            pools:
              primary:
                strategy: round-robin
                accounts: [p1, p2, p3]
                fallback: reserve
              reserve:
                strategy: round-robin
                accounts: [r1, r2]
            accounts:
              p1: { provider: openai-chat, baseUrl: "{{url:p1}}", maxInFlight: %1$d }
              p2: { provider: openai-chat, baseUrl: "{{url:p2}}", maxInFlight: %1$d }
              p3: { provider: openai-chat, baseUrl: "{{url:p3}}", maxInFlight: %1$d }
              r1: { provider: openai-chat, baseUrl: "{{url:r1}}", maxInFlight: %1$d }
              r2: { provider: openai-chat, baseUrl: "{{url:r2}}", maxInFlight: %1$d }
              broken: { provider: openai-chat, baseUrl: "{{url:broken}}", maxInFlight: %1$d }
            policy:
              defaultCooldown: 1s
            """.formatted(MAX_IN_FLIGHT);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldEndEveryRequestExactlyOnceThroughCrashesRestartsRebalancesAndABrokerOutage() throws Exception {
        Instant began = Instant.now();
        Random random = new Random(SEED);
        SimulatedUpstream upstream = UPSTREAM.get();
        scriptAccounts(upstream, random);
        List<String> ids = IntStream.rangeClosed(1, REQUESTS).mapToObj(i -> "fault-" + i).toList();
        List<Step> steps = FaultSchedule.steps(random, ROUNDS, true);
        // Given a broker in its own process
        try (ChildDeployment deployment = new ChildDeployment(dir.resolve("broker"), freePort(), upstream)) {
            deployment.startBroker();
            try (RelayHarness relay = RelayHarness.withoutProcessor(deployment.bootstrapServers(), "faults-" + SEED,
                    upstream, PARTITIONS, CONFIG)) {
                deployment.configure(Files.readString(relay.writeConfigFile(dir)));

                // When three processor instances of one application, each in its own JVM, work through requests
                // across both pools while the schedule's faults hit them and the broker
                FaultCounts faults = new FaultRun(deployment, client(relay), line -> System.out.println("FaultSuiteIT: " + line))
                        .run(ids, steps, random);

                // Then, read with read_committed, every request has exactly one result that agrees with the outcomes topic
                List<ChatResult> results = relay.allResults().stream().map(ConsumerRecord::value).toList();
                List<DeadLetter> deadLetters = relay.allDeadLetters().stream().map(ConsumerRecord::value).toList();
                DeliveryAudit audit = DeliveryAudit.of(ids, results,
                        relay.allOutcomes().stream().map(ConsumerRecord::value).toList(), deadLetters,
                        upstreamCalls(upstream), upstreamCallsById(upstream));
                long bound = repeatBound(faults);
                System.out.printf("FaultSuiteIT: seed %d, rounds %d, %d s%n%s", SEED, ROUNDS,
                        Duration.between(began, Instant.now()).toSeconds(), audit.report(faults, bound));
                assertThat(audit.duplicates()).as(audit.examples()::toString).isZero();
                assertThat(audit.lost()).as(audit.examples()::toString).isZero();
                assertThat(audit.unexpected()).as(audit.examples()::toString).isZero();
                assertThat(audit.results()).isEqualTo(ids.size());
                assertThat(audit.trailMismatches()).as(audit.examples()::toString).isZero();
                // And no request that succeeded was also dead-lettered
                assertThat(audit.deadLettersForSuccesses()).as(audit.examples()::toString).isZero();
                // And the requests pinned to the broken account failed, and were dead-lettered
                List<String> failed = results.stream().filter(r -> r.status() == ResultStatus.FAILED).map(ChatResult::id).toList();
                assertThat(failed).hasSize(REQUESTS / PINNED_EVERY).allMatch(id -> id.endsWith("0"));
                assertThat(deadLetters).extracting(DeadLetter::requestId).containsExactlyInAnyOrderElementsOf(failed);
                // And every call in a trail reached the upstream; calls made again stay within what the interruptions had open
                assertThat(audit.underCalledRequests()).as(audit.examples()::toString).isZero();
                assertThat(audit.callsRepeated()).isBetween(0L, bound);
                // And the run did what it says: each fault hit, failover happened, and the reserve pool answered
                assertThat(faults).isEqualTo(new FaultCounts(INSTANCES, ROUNDS, ROUNDS * (1 + INSTANCES),
                        ROUNDS * (2 * INSTANCES + 2), ROUNDS));
                assertThat(results).anySatisfy(r -> assertThat(r.attempts()).hasSizeGreaterThan(1));
                assertThat(RESERVE).allSatisfy(account -> assertThat(upstream.calls(account)).isPositive());
            }
        }
    }

    /** Requests through the harness's producer, results counted by a read_committed reader. */
    private static FaultRun.Client client(RelayHarness relay) {
        return new FaultRun.Client() {
            @Override
            public void send(String id) {
                boolean pinned = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1)) % PINNED_EVERY == 0;
                relay.sendAsync(pinned ? request(id, null, BROKEN) : request(id, "primary", null));
            }

            @Override
            public void flush() {
                relay.flush();
            }

            @Override
            public void awaitResults(int count) {
                List<ConsumerRecord<String, ChatResult>> seen = relay.results(all -> RelayHarness.keys(all).size() >= count);
                assertThat(RelayHarness.keys(seen)).as("results of %d requests", count).hasSizeGreaterThanOrEqualTo(count);
            }
        };
    }

    /**
     * The instances as child JVMs of {@code tokenrelay run}, each with its own name, state directory
     * and ops port, and the broker as a child {@code tokenrelay broker} on a fixed port.
     */
    private final class ChildDeployment implements FaultRun.Deployment, AutoCloseable {
        private final Path brokerData;
        private final int brokerPort;
        private final SimulatedUpstream upstream;
        private final ChildProcessor[] running = new ChildProcessor[INSTANCES + 1];
        private List<Path> configs;
        private ChildProcessor broker;

        ChildDeployment(Path brokerData, int brokerPort, SimulatedUpstream upstream) {
            this.brokerData = brokerData;
            this.brokerPort = brokerPort;
            this.upstream = upstream;
        }

        String bootstrapServers() {
            return "127.0.0.1:" + brokerPort;
        }

        void configure(String base) {
            configs = IntStream.rangeClosed(1, INSTANCES + 1).mapToObj(i -> instanceConfig(base, i)).toList();
        }

        @Override
        public int instances() {
            return INSTANCES;
        }

        @Override
        public void start(int index) {
            running[index] = ChildProcessor.run(configs.get(index));
        }

        @Override
        public void awaitReady(int index) {
            ChildProcessor instance = running[index];
            URI ops = URI.create(instance.awaitOutput(OPS_URI, START_WAIT));
            HttpRequest ready = HttpRequest.newBuilder(ops.resolve("/health/ready")).timeout(Duration.ofSeconds(5)).build();
            await().atMost(START_WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> instance.isAlive()
                            && http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        }

        @Override
        public void kill(int index) {
            running[index].kill();
            running[index].close();
        }

        @Override
        public void stop(int index) {
            ChildProcessor instance = running[index];
            assertThat(instance.isAlive()).as(() -> "instance " + index + " ran until stopped; its output:\n"
                    + instance.output()).isTrue();
            instance.stop();
            assertThat(instance.awaitExit(STOP_WAIT)).as(instance::output).isZero();
            instance.close();
        }

        @Override
        public boolean controlsBroker() {
            return true;
        }

        @Override
        public void stopBroker() {
            broker.stop();
            assertThat(broker.awaitExit(STOP_WAIT)).as(broker::output).isZero();
            broker.close();
        }

        @Override
        public void startBroker() {
            try {
                Files.createDirectories(brokerData);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            broker = ChildProcessor.command("broker", "--data-dir", brokerData.toString(), "--port",
                    Integer.toString(brokerPort)).directory(brokerData).start();
            broker.awaitOutput("broker listening on " + bootstrapServers(), START_WAIT);
        }

        @Override
        public void awaitCallsInFlight() {
            await().atMost(PROGRESS_WAIT).until(() -> inFlight(upstream) > 0);
        }

        /** Whatever a failed run left running is killed. */
        @Override
        public void close() {
            for (ChildProcessor instance : running) {
                if (instance != null) {
                    instance.close();
                }
            }
            if (broker != null) {
                broker.close();
            }
        }
    }

    /**
     * Scripts of mostly answers with some failures, drawn from the seed: primary accounts give
     * empty completions (fake successes), 400s and 503s (which cool the account for a second), so
     * requests fail over inside the pool and some into the reserve pool, whose accounts fail now
     * and then too. Latencies vary from 20 to 120 ms, so calls are in flight at every fault.
     */
    private static void scriptAccounts(SimulatedUpstream upstream, Random random) {
        int steps = REQUESTS * 3;
        for (String account : PRIMARY) {
            upstream.script(account, script(random, steps, 0.10, 0.04, 0.03));
        }
        for (String account : RESERVE) {
            upstream.script(account, script(random, steps, 0.03, 0.0, 0.02));
        }
        // A 400 neither cools the account nor is retried on it: a pinned request ends with it at once.
        upstream.script(BROKEN, Behaviour.status(400).after(Duration.ofMillis(20)));
    }

    private static Behaviour[] script(Random random, int steps, double empty, double badRequest, double unavailable) {
        Behaviour[] script = new Behaviour[steps + 1];
        for (int i = 0; i < steps; i++) {
            double draw = random.nextDouble();
            Behaviour behaviour;
            if (draw < empty) {
                behaviour = Behaviour.emptyCompletion();
            } else if (draw < empty + badRequest) {
                behaviour = Behaviour.status(400);
            } else if (draw < empty + badRequest + unavailable) {
                behaviour = Behaviour.status(503);
            } else {
                behaviour = Behaviour.echo();
            }
            script[i] = behaviour.after(Duration.ofMillis(20 + random.nextInt(100)));
        }
        // Calls past the script (repeats after crashes) get answers.
        script[steps] = Behaviour.echo().after(Duration.ofMillis(20));
        return script;
    }

    /**
     * What calls made again can add up to. Each interruption (an instance killed, stopped or joining,
     * each of which closes tasks; the broker stopping, which aborts every instance's open
     * transactions) repeats at most the calls whose results its tasks had not committed: those in
     * flight, at most maxInFlight per account, and those answered since the task's last commit,
     * which with commits every 100 ms, a drain every 10 ms and calls of 20 ms or more are about as
     * many again. A broker outage counts once per instance.
     */
    private static long repeatBound(FaultCounts faults) {
        return (long) faults.interruptions() * accounts().size() * MAX_IN_FLIGHT * 2;
    }

    /** Each instance its own name, state directory and free ops port, as instances on one host need. */
    private Path instanceConfig(String base, int number) {
        Path state = dir.resolve("state-" + number);
        String named = base.replaceFirst("(?m)^(  applicationId: .*)$", "$1\n  instanceName: faults-" + number);
        String moved = named.replaceFirst("(?m)^(    state\\.dir: ).*$",
                Matcher.quoteReplacement("    state.dir: \"" + state + "\""));
        assertThat(moved).contains("instanceName: faults-" + number).contains(state.toString()).contains("port: 0");
        Path instanceDir = dir.resolve("instance-" + number);
        try {
            Files.createDirectories(instanceDir);
            return Files.writeString(instanceDir.resolve("tokenrelay.yaml"), moved);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int inFlight(SimulatedUpstream upstream) {
        return accounts().stream().mapToInt(upstream::inFlight).sum();
    }

    private static long upstreamCalls(SimulatedUpstream upstream) {
        return accounts().stream().mapToLong(upstream::calls).sum();
    }

    /** Calls per request id, from the prompt "question ID" each request carries to every account. */
    private static Map<String, Integer> upstreamCallsById(SimulatedUpstream upstream) {
        Map<String, Integer> calls = new HashMap<>();
        for (String account : accounts()) {
            for (JsonNode body : upstream.requestBodies(account)) {
                String prompt = body.path("messages").path(0).path("content").asText();
                calls.merge(prompt.replaceFirst("^question ", ""), 1, Integer::sum);
            }
        }
        return calls;
    }

    private static List<String> accounts() {
        List<String> all = new ArrayList<>(PRIMARY);
        all.addAll(RESERVE);
        all.add(BROKEN);
        return all;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
