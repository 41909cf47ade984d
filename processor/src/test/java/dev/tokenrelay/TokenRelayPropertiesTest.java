package dev.tokenrelay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.KafkaSettings;
import dev.tokenrelay.config.TokenRelayConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The Kafka Streams properties tokenrelay adds to the user's. */
class TokenRelayPropertiesTest {

    @Test
    void shouldStartFromTokenrelaysDefaultsAndLetTheUsersPropertiesWin() throws ConfigException {
        // Given a configuration that sets poll.ms and a compression under kafka.streams
        TokenRelayConfig config = ConfigLoader.parse("""
                kafka:
                  streams:
                    poll.ms: "50"
                    compression.type: zstd
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://api.example.com/v1"}
                """, "tokenrelay.yaml");

        // When the Kafka Streams properties are built
        Properties properties = TokenRelay.streamsProperties(config, "127.0.0.1:9092");

        // Then exactly-once and the global thread's exception handling are on, and the user's values stand
        assertThat(properties)
                .containsEntry("processing.guarantee", "exactly_once_v2")
                .containsEntry("processing.exception.handler.global.enabled", true)
                .containsEntry("main.consumer.processing.exception.handler.global.enabled", true)
                .containsEntry("poll.ms", "50")
                .containsEntry("compression.type", "zstd")
                .doesNotContainKey("producer.compression.type");
        // And no task waits for an empty input to be fetched: no stage joins by time
        assertThat(properties).containsEntry("max.task.idle.ms", -1L);
    }

    @Test
    void shouldCompressTheProducersBatchesUnlessTheUserChoseACompression() {
        // Given no compression set, one set for every client, and one set for the producer
        Properties none = new Properties();
        Properties unprefixed = new Properties();
        unprefixed.put("compression.type", "zstd");
        Properties prefixed = new Properties();
        prefixed.put("producer.compression.type", "none");

        // When tokenrelay adds its default
        TokenRelay.compressUnlessSet(none);
        TokenRelay.compressUnlessSet(unprefixed);
        TokenRelay.compressUnlessSet(prefixed);

        // Then lz4 is set only where the user chose nothing, and never overrides their choice
        assertThat(none).containsEntry("producer.compression.type", "lz4");
        assertThat(unprefixed).doesNotContainKey("producer.compression.type").containsEntry("compression.type", "zstd");
        assertThat(prefixed).containsEntry("producer.compression.type", "none").hasSize(1);
    }

    @Test
    void shouldJoinAsAStaticMemberNamedAfterTheHostAndTheStateDirectory() {
        // Given no instance name, and two state directories on one host
        KafkaSettings kafka = kafka(null);
        Properties first = stateDir("/var/lib/tokenrelay/streams");
        Properties again = stateDir("/var/lib/tokenrelay/streams");
        Properties second = stateDir("/var/lib/tokenrelay/streams-2");

        // When the processor joins as a static member, twice with the first directory
        TokenRelay.joinAsStaticMember(first, kafka, () -> Optional.of("relay-host"));
        TokenRelay.joinAsStaticMember(again, kafka, () -> Optional.of("relay-host"));
        TokenRelay.joinAsStaticMember(second, kafka, () -> Optional.of("relay-host"));

        // Then the id is the host name and a hash of the directory: the same across restarts, distinct per directory
        assertThat(first.getProperty("group.instance.id")).matches("relay-host-[0-9a-f]{8}");
        assertThat(again.getProperty("group.instance.id")).isEqualTo(first.getProperty("group.instance.id"));
        assertThat(second.getProperty("group.instance.id")).startsWith("relay-host-")
                .isNotEqualTo(first.getProperty("group.instance.id"));
    }

    @Test
    void shouldJoinUnderTheConfiguredInstanceName() {
        // Given an instance name in the configuration
        Properties properties = stateDir("/var/lib/tokenrelay/streams");

        // When the processor joins
        TokenRelay.joinAsStaticMember(properties, kafka("relay-1"), () -> Optional.of("relay-host"));

        // Then that name is the group instance id, to which Kafka Streams appends the thread
        assertThat(properties).containsEntry("group.instance.id", "relay-1");
    }

    @Test
    void shouldJoinAsADynamicMemberWhenAskedToOrWhenTheHostHasNoName() {
        // Given dynamic membership asked for, and a host without a name
        Properties asked = stateDir("/var/lib/tokenrelay/streams");
        Properties nameless = stateDir("/var/lib/tokenrelay/streams");

        // When the processor joins
        TokenRelay.joinAsStaticMember(asked, kafka("none"), () -> Optional.of("relay-host"));
        TokenRelay.joinAsStaticMember(nameless, kafka(null), Optional::empty);

        // Then neither sets a group instance id
        assertThat(asked).doesNotContainKey("group.instance.id");
        assertThat(nameless).doesNotContainKey("group.instance.id");
    }

    @Test
    void shouldDeriveTheInstanceNameFromKafkaStreamsDefaultStateDirectoryWhenNoneIsSet() {
        // Given no state.dir, and Kafka Streams' default directory set explicitly
        Properties unset = new Properties();
        Properties defaultDir = stateDir(Path.of(System.getProperty("java.io.tmpdir"), "kafka-streams").toString());

        // When the processor joins
        TokenRelay.joinAsStaticMember(unset, kafka(null), () -> Optional.of("relay-host"));
        TokenRelay.joinAsStaticMember(defaultDir, kafka(null), () -> Optional.of("relay-host"));

        // Then the name is derived from the directory Kafka Streams will use
        assertThat(unset.getProperty("group.instance.id")).isNotNull()
                .isEqualTo(defaultDir.getProperty("group.instance.id"));
    }

    private static KafkaSettings kafka(String instanceName) {
        return new KafkaSettings(null, null, null, null, instanceName);
    }

    private static Properties stateDir(String dir) {
        Properties properties = new Properties();
        properties.put("state.dir", dir);
        return properties;
    }

    @Test
    void shouldGiveIntakeAClientOfItsOwnAndLeaveDispatchWhereTheProcessorWas() throws ConfigException {
        // Given a configuration with a state directory, a client id, 3 stream threads and a member name
        TokenRelayConfig config = ConfigLoader.parse("""
                kafka:
                  instanceName: worker-1
                  streams:
                    num.stream.threads: "3"
                    state.dir: /var/lib/tokenrelay
                    client.id: relay
                processor:
                  separateIntake: true
                  intakeThreads: 2
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://api.example.com/v1"}
                """, "tokenrelay.yaml");
        Properties base = TokenRelay.streamsProperties(config, "127.0.0.1:9092");

        // When the properties of each role are built
        Properties intake = TokenRelay.roleProperties(base, "intake", config);
        Properties dispatch = TokenRelay.roleProperties(base, "dispatch", config);

        // Then both join with their role's tag and the assignor that keeps the roles apart
        for (Properties role : new Properties[] {intake, dispatch}) {
            assertThat(role).containsEntry("task.assignor.class", "dev.tokenrelay.kafka.RoleTaskAssignor")
                    .containsEntry("tokenrelay.requests.topic", "tokenrelay.requests");
        }
        assertThat(intake).containsEntry("client.tag.tokenrelay-role", "intake");
        assertThat(dispatch).containsEntry("client.tag.tokenrelay-role", "dispatch");
        // And dispatch keeps the processor's state directory, threads, member name and client id
        assertThat(dispatch).containsEntry("state.dir", "/var/lib/tokenrelay").containsEntry("num.stream.threads", "3")
                .containsEntry("group.instance.id", "worker-1").containsEntry("client.id", "relay");
        // And intake gets its own of each, with its own thread count
        assertThat(intake).containsEntry("state.dir", Path.of("/var/lib/tokenrelay", "intake").toString())
                .containsEntry("num.stream.threads", 2).containsEntry("group.instance.id", "worker-1-intake")
                .containsEntry("client.id", "relay-intake");
        assertThat(TokenRelay.separateIntake(config, base)).isTrue();
    }

    @Test
    void shouldRunOneClientByDefaultOrWhenTheBrokerAssignsTheTasks() throws ConfigException {
        // Given intake apart left off, and asked for under the streams group protocol
        TokenRelayConfig off = ConfigLoader.parse("""
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://api.example.com/v1"}
                """, "tokenrelay.yaml");
        TokenRelayConfig streamsProtocol = ConfigLoader.parse("""
                kafka:
                  streams:
                    group.protocol: streams
                processor:
                  separateIntake: true
                pools:
                  main: {accounts: [a]}
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://api.example.com/v1"}
                """, "tokenrelay.yaml");

        // Then intake does not run apart
        assertThat(TokenRelay.separateIntake(off, TokenRelay.streamsProperties(off, "127.0.0.1:9092"))).isFalse();
        assertThat(TokenRelay.separateIntake(streamsProtocol,
                TokenRelay.streamsProperties(streamsProtocol, "127.0.0.1:9092"))).isFalse();
    }
}
