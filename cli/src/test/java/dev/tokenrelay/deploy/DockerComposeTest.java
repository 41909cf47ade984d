package dev.tokenrelay.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.config.TopicSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml, the Dockerfile and the processor's configuration they run (read with the
 * processor's own loader) must agree, and no Docker engine is needed to check it: the broker's
 * data and the Streams state are in volumes, the processor reaches the broker where it listens,
 * and the health check and the published port are where the ops endpoint listens.
 */
class DockerComposeTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern HOST_PORT = Pattern.compile("([A-Za-z0-9_.-]*):(\\d+)");

    private Path root;
    private JsonNode kafka;
    private JsonNode processor;
    private JsonNode compose;
    private TokenRelayConfig config;

    @BeforeEach
    void readFiles() throws IOException, ConfigException {
        root = repositoryRoot();
        compose = YAML.readTree(root.resolve("docker-compose.yml").toFile());
        kafka = compose.path("services").path("kafka");
        processor = compose.path("services").path("tokenrelay");
        assertThat(kafka.isObject()).as("a kafka service").isTrue();
        assertThat(processor.isObject()).as("a tokenrelay service").isTrue();
        // The configuration the processor runs with: the file mounted where --config points.
        String configPath = argumentAfter(processor.path("command"), "--config");
        String source = mounts(processor).get(configPath);
        assertThat(source).as("a file mounted at %s", configPath).isNotNull().startsWith("./");
        config = ConfigLoader.load(root.resolve(source));
    }

    @Test
    void shouldKeepTheBrokersDataInItsVolume() {
        // Given the apache/kafka image, whose data directory is /tmp/kraft-combined-logs unless KAFKA_LOG_DIRS says otherwise
        String logDirs = kafka.path("environment").path("KAFKA_LOG_DIRS").asText();

        // Then the data directory is the path a named volume is mounted at
        assertThat(logDirs).as("KAFKA_LOG_DIRS").isNotBlank();
        assertThat(namedVolumeAt(kafka, logDirs)).as("a named volume at %s", logDirs).isPresent();
        // And the broker says when it is healthy, which the processor waits for
        assertThat(kafka.path("healthcheck").path("test").isMissingNode()).isFalse();
        assertThat(processor.path("depends_on").path("kafka").path("condition").asText()).isEqualTo("service_healthy");
    }

    @Test
    void shouldReachTheBrokerWhereItListensAndAdvertisesItself() {
        // Given the bootstrap address of the processor's configuration
        String bootstrap = config.kafka().bootstrapServers();
        Matcher address = HOST_PORT.matcher(bootstrap);
        assertThat(address.matches()).as("one host:port, was %s", bootstrap).isTrue();

        // Then its host is the broker's service name
        assertThat(address.group(1)).isEqualTo("kafka");
        // And the broker advertises that address on a listener it listens on, in plain text
        // (the configuration sets no security.protocol)
        JsonNode environment = kafka.path("environment");
        Map<String, String> advertised = listeners(environment.path("KAFKA_ADVERTISED_LISTENERS").asText());
        Map<String, String> listening = listeners(environment.path("KAFKA_LISTENERS").asText());
        String listener = advertised.entrySet().stream().filter(e -> e.getValue().equals(bootstrap))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        assertThat(listener).as("a listener advertised as %s in %s", bootstrap, advertised).isNotNull();
        assertThat(listening.get(listener)).as("listener %s", listener).endsWith(":" + address.group(2));
        assertThat(protocols(environment.path("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").asText()))
                .containsEntry(listener, "PLAINTEXT");
        assertThat(config.kafka().streams()).doesNotContainKey("security.protocol");
    }

    @Test
    void shouldCreateTopicsTheSingleBrokerCanHold() {
        // Given a broker that creates no topic on its own, and one broker
        assertThat(kafka.path("environment").path("KAFKA_AUTO_CREATE_TOPICS_ENABLE").asText()).isEqualTo("false");

        // Then the processor's topics (which `run` creates) have distinct valid names and at most one replica
        List<TopicSpec> topics = List.of(config.topics().requests(), config.topics().attempts(), config.topics().results(),
                config.topics().outcomes(), config.topics().deadLetter(), config.topics().accounts(),
                config.topics().batches(), config.topics().control(), config.topics().cancellations());
        assertThat(topics).extracting(TopicSpec::name).doesNotHaveDuplicates()
                .allMatch(name -> name.matches("[a-zA-Z0-9._-]{1,249}"));
        assertThat(topics).allSatisfy(topic -> assertThat(topic.replicationFactor() == null
                || topic.replicationFactor() <= 1).as("replication factor of %s", topic.name()).isTrue());
        assertThat(Integer.parseInt(config.kafka().streams().getOrDefault("replication.factor", "-1"))).isLessThanOrEqualTo(1);
    }

    @Test
    void shouldKeepTheStreamsStateInTheProcessorsVolume() {
        // Given the state directory of the processor's configuration
        String stateDir = config.kafka().streams().get("state.dir");

        // Then it is inside a named volume of the processor's container
        assertThat(stateDir).as("kafka.streams.state.dir").isNotBlank();
        assertThat(mounts(processor).entrySet()).as("a named volume holding %s", stateDir).anySatisfy(mount -> {
            assertThat(stateDir + "/").startsWith(mount.getKey() + "/");
            assertThat(compose.path("volumes").has(mount.getValue())).isTrue();
        });
    }

    @Test
    void shouldPublishAndHealthCheckTheOpsEndpointWhereItListens() {
        // Given the ops endpoint of the processor's configuration
        int port = config.ops().port();

        // Then it listens on every interface of the container, on the port compose publishes
        assertThat(config.ops().host()).isEqualTo("0.0.0.0");
        assertThat(processor.path("ports")).extracting(JsonNode::asText).anyMatch(mapping -> mapping.endsWith(":" + port));
        // And the health check asks for readiness on that port
        String check = String.join(" ", texts(processor.path("healthcheck").path("test")));
        assertThat(check).contains("http://127.0.0.1:" + port + "/health/ready");
        // And the processor is started again when it stops
        assertThat(processor.path("restart").asText()).isIn("always", "unless-stopped", "on-failure");
    }

    @Test
    void shouldBuildTheProcessorImageFromTheRepositoryAndRunItAsAnUnprivilegedUser() throws IOException {
        // Given the image the tokenrelay service is built from
        Path dockerfile = root.resolve(processor.path("build").path("context").asText())
                .resolve(processor.path("build").path("dockerfile").asText("Dockerfile"));
        List<String> lines = Files.readAllLines(dockerfile);

        // Then a Maven stage builds the jar and a JRE stage runs it
        List<String> stages = lines.stream().filter(line -> line.startsWith("FROM ")).toList();
        assertThat(stages).hasSize(2);
        assertThat(stages.get(0)).contains("maven");
        assertThat(stages.get(1)).contains("jre");
        // And the last USER is not root, and owns the directory the state volume is mounted on
        String user = lines.stream().filter(line -> line.startsWith("USER ")).reduce((a, b) -> b).orElseThrow()
                .substring("USER ".length()).strip();
        assertThat(user).isNotIn("root", "0");
        String stateVolume = mounts(processor).keySet().stream()
                .filter(path -> config.kafka().streams().get("state.dir").startsWith(path + "/")).findFirst().orElseThrow();
        assertThat(String.join("\n", lines)).contains("chown " + user + ":" + user + " " + stateVolume);
        // And the port it exposes is the ops port
        assertThat(lines).contains("EXPOSE " + config.ops().port());
    }

    @Test
    void shouldCopyEveryModuleOfTheBuildIntoTheImagesBuildStage() throws IOException {
        // Given the modules of the parent pom
        List<String> modules = Pattern.compile("<module>([^<]+)</module>")
                .matcher(Files.readString(root.resolve("pom.xml"))).results().map(match -> match.group(1)).toList();
        assertThat(modules).contains("core", "processor", "cli");

        // Then the build stage copies each one's pom and sources, or the image's Maven build fails
        List<String> lines = Files.readAllLines(root.resolve("Dockerfile"));
        for (String module : modules) {
            assertThat(lines).as("Dockerfile copies module %s", module)
                    .contains("COPY " + module + "/pom.xml " + module + "/", "COPY " + module + "/src " + module + "/src");
        }
        // And the jar it runs is where the build writes it
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("COPY --from=build /src/processor/target/tokenrelay.jar "));
    }

    /** The container paths mounted in {@code service}, with their sources (a named volume or a ./path). */
    private static Map<String, String> mounts(JsonNode service) {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (JsonNode volume : service.path("volumes")) {
            String[] parts = volume.asText().split(":");
            mounts.put(parts[1], parts[0]);
        }
        return mounts;
    }

    private Optional<String> namedVolumeAt(JsonNode service, String path) {
        return Optional.ofNullable(mounts(service).get(path)).filter(source -> compose.path("volumes").has(source));
    }

    /** {@code NAME://host:port,...} as listener name to {@code host:port}. */
    private static Map<String, String> listeners(String text) {
        Map<String, String> listeners = new LinkedHashMap<>();
        for (String listener : text.split(",")) {
            String[] parts = listener.strip().split("://", 2);
            if (parts.length == 2) {
                listeners.put(parts[0], parts[1]);
            }
        }
        return listeners;
    }

    /** {@code NAME:PROTOCOL,...} as listener name to security protocol. */
    private static Map<String, String> protocols(String text) {
        Map<String, String> protocols = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            String[] parts = entry.strip().split(":", 2);
            if (parts.length == 2) {
                protocols.put(parts[0], parts[1]);
            }
        }
        return protocols;
    }

    private static String argumentAfter(JsonNode command, String option) {
        List<String> args = texts(command);
        int at = args.indexOf(option);
        assertThat(at).as("%s in %s", option, args).isNotNegative().isLessThan(args.size() - 1);
        return args.get(at + 1);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docker-compose.yml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no docker-compose.yml above " + Path.of("").toAbsolutePath());
    }
}
