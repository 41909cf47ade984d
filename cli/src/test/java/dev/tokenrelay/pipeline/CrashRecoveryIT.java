package dev.tokenrelay.pipeline;

import static dev.tokenrelay.testing.RelayHarness.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.testing.ChildProcessor;
import dev.tokenrelay.testing.KafkaBroker;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.Upstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processor killed with {@code kill -9} and started again on the same host with the same state
 * directory resumes within seconds, because it rejoins its group as the same static member; and
 * one stopped cleanly leaves its group at once, though static members do not leave on their own;
 * and of two processors given one name, the older stops instead of fencing the newer back. The
 * processor runs in a child JVM, so that it can be killed as a crash would.
 */
class CrashRecoveryIT {

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    /** The target for a restart after kill -9, printed beside the time measured. */
    private static final Duration RESUME_TARGET = Duration.ofSeconds(15);
    /**
     * What the test asserts: well under the 45 s session timeout that a restarted dynamic member
     * waits out (48 s measured), so that it fails when the restart waits for the dead member, and
     * not when a busy machine starts the JVM slowly.
     */
    private static final Duration RESUME_BOUND = Duration.ofSeconds(35);
    /** Far shorter than the 45 s session timeout that would free a static member that did not leave. */
    private static final Duration LEAVE_BOUND = Duration.ofSeconds(5);
    private static final Duration STOP_WAIT = Duration.ofSeconds(40);

    // Two calls at a time per account, each taking 500 ms: about 8 results a second, so the
    // requests take several seconds and calls are in flight when the processor is killed.
    private static final String ACCOUNTS = """
            pools:
              main:
                strategy: round-robin
                accounts: [slow-a, slow-b]
            accounts:
              slow-a: { provider: openai-chat, baseUrl: "{{url:slow-a}}", maxInFlight: 2 }
              slow-b: { provider: openai-chat, baseUrl: "{{url:slow-b}}", maxInFlight: 2 }
            """;

    @TempDir
    Path dir;

    @Test
    void shouldResumeWithoutWaitingForTheDeadMembersSessionAndEndEveryRequestExactlyOnce() throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("slow-a", Behaviour.echo().after(Duration.ofMillis(500)));
        upstream.script("slow-b", Behaviour.echo().after(Duration.ofMillis(500)));
        List<String> ids = IntStream.rangeClosed(1, 48).mapToObj(i -> "crash-" + i).toList();
        try (RelayHarness relay = RelayHarness.withoutProcessor(KAFKA, upstream, 4, ACCOUNTS);
                Admin admin = admin()) {
            Path configFile = relay.writeConfigFile(dir);
            String applicationId = relay.config().kafka().applicationId();
            Set<String> transactionalIdsBeforeKill;
            // Given a processor in its own JVM working through 48 requests
            try (ChildProcessor first = ChildProcessor.run(configFile)) {
                ids.forEach(id -> relay.send(request(id, null, null)));
                int resultsBeforeKill = relay.results(all -> all.size() >= 8).size();
                await().atMost(RelayHarness.WAIT).until(() -> upstream.inFlight("slow-a") + upstream.inFlight("slow-b") > 0);
                assertThat(resultsBeforeKill).as("results before the kill").isBetween(8, ids.size() - 1);
                transactionalIdsBeforeKill = transactionalIds(admin, applicationId);
                assertThat(transactionalIdsBeforeKill).isNotEmpty();

                // When it is killed with calls in flight and started again with the same configuration and state directory
                first.kill();
            }
            try (ChildProcessor second = ChildProcessor.run(configFile)) {
                Instant restarted = second.startedAt();
                List<ConsumerRecord<String, ChatResult>> seen = relay.results(
                        all -> all.stream().anyMatch(r -> r.value().completedAt().isAfter(restarted)));
                Duration resumedAfter = Duration.between(restarted, Instant.now());
                System.out.printf("CrashRecoveryIT: after kill -9, the restarted processor's first result was read"
                        + " %d ms after its JVM started (target %d s)%n", resumedAfter.toMillis(), RESUME_TARGET.toSeconds());

                // Then the restarted processor writes a new result without waiting for the dead member's session to end
                assertThat(seen).as(() -> "a result completed after the restart; the processor's output:\n" + second.output())
                        .anyMatch(r -> r.value().completedAt().isAfter(restarted));
                assertThat(resumedAfter).as(() -> "time to the first new result; the processor's output:\n" + second.output())
                        .isLessThan(RESUME_BOUND);
                // And every request ends, each with exactly one result read with read_committed
                relay.awaitResults(ids);
                second.stop();
                second.awaitExit(STOP_WAIT);
                List<ConsumerRecord<String, ChatResult>> results = relay.allResults();
                assertThat(results).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);
                assertThat(results).allSatisfy(r -> assertThat(r.value().status()).isEqualTo(ResultStatus.SUCCEEDED));
                // And it wrote under the dead processor's transactional ids, which fenced the dead one's at once
                assertThat(transactionalIds(admin, applicationId)).isEqualTo(transactionalIdsBeforeKill);
            }
        }
    }

    @Test
    void shouldLeaveTheGroupAtOnceWhenStoppedWithSigterm() throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("slow-a", Behaviour.echo());
        upstream.script("slow-b", Behaviour.echo());
        try (RelayHarness relay = RelayHarness.withoutProcessor(KAFKA, upstream, 4, ACCOUNTS);
                Admin admin = admin();
                ChildProcessor processor = ChildProcessor.run(relay.writeConfigFile(dir))) {
            // Given a processor in its own JVM that has joined its group as a static member and works
            String group = relay.config().kafka().applicationId();
            relay.send(request("before-stop", null, null));
            relay.awaitResult("before-stop");
            assertThat(members(admin, group)).singleElement()
                    .satisfies(member -> assertThat(member.groupInstanceId()).isPresent());

            // When it is stopped with SIGTERM
            processor.stop();
            processor.awaitExit(STOP_WAIT);

            // Then its group has no member left, long before a session timeout would have removed it
            await().atMost(LEAVE_BOUND).until(() -> members(admin, group).isEmpty());
        }
    }

    @Test
    void shouldStopTheOlderOfTwoProcessorsThatShareAnInstanceName() throws Exception {
        SimulatedUpstream upstream = UPSTREAM.get();
        upstream.script("slow-a", Behaviour.echo());
        upstream.script("slow-b", Behaviour.echo());
        try (RelayHarness relay = RelayHarness.withoutProcessor(KAFKA, upstream, 4, ACCOUNTS)) {
            // Given two processors of one application, each with its own state directory but both named "twin"
            String yaml = Files.readString(relay.writeConfigFile(dir));
            Path olderConfig = Files.writeString(dir.resolve("older.yaml"), twin(yaml, dir.resolve("older-state")));
            Path newerConfig = Files.writeString(dir.resolve("newer.yaml"), twin(yaml, dir.resolve("newer-state")));
            try (ChildProcessor older = ChildProcessor.run(olderConfig)) {
                relay.send(request("before-twin", null, null));
                relay.awaitResult("before-twin");

                // When the second one starts
                try (ChildProcessor newer = ChildProcessor.run(newerConfig)) {

                    // Then the older one, fenced out of the group, stops with an error that says why
                    assertThat(older.awaitExit(RelayHarness.WAIT)).as(older::output).isEqualTo(1);
                    assertThat(older.output()).contains("Give each instance of an application its own kafka.instanceName");
                    // And the newer one goes on serving requests
                    relay.send(request("after-twin", null, null));
                    relay.awaitResult("after-twin");
                    assertThat(newer.isAlive()).as(newer::output).isTrue();
                }
            }
        }
    }

    /** The configuration with kafka.instanceName "twin" and its own state directory. */
    private static String twin(String yaml, Path stateDir) {
        String named = yaml.replaceFirst("(?m)^(  applicationId: .*)$", "$1\n  instanceName: twin");
        String moved = named.replaceFirst("(?m)^(    state\\.dir: ).*$",
                Matcher.quoteReplacement("    state.dir: \"" + stateDir + "\""));
        assertThat(moved).contains("instanceName: twin").contains(stateDir.toString());
        return moved;
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()));
    }

    private static Set<String> transactionalIds(Admin admin, String applicationId)
            throws ExecutionException, InterruptedException {
        Collection<TransactionListing> listings = admin.listTransactions().all().get();
        return listings.stream().map(TransactionListing::transactionalId)
                .filter(id -> id.startsWith(applicationId + "-")).collect(Collectors.toSet());
    }

    private static Collection<MemberDescription> members(Admin admin, String group)
            throws ExecutionException, InterruptedException {
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        return description.members();
    }
}
