package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String MINIMAL = """
            accounts:
              a:
                provider: openai-chat
                baseUrl: https://api.example.com/v1
            pools:
              main:
                accounts: [a]
            """;

    @Test
    void shouldLoadTheDockerComposeConfiguration() throws ConfigException {
        // Given the configuration docker-compose.yml mounts into the processor
        Path docker = Path.of("../config/docker.yaml");

        // When it is loaded
        TokenRelayConfig config = ConfigLoader.load(docker);

        // Then it joins the compose broker instead of starting an embedded one
        assertThat(config.kafka().useEmbedded()).isFalse();
        assertThat(config.kafka().bootstrapServers()).isEqualTo("kafka:19092");
        assertThat(config.account("openai").apiKey()).isEqualTo(Secret.env("OPENAI_API_KEY"));
    }

    @Test
    void shouldLoadTheExampleConfiguration() throws ConfigException {
        // Given the documented example shipped in config/
        Path example = Path.of("../config/tokenrelay.example.yaml");

        // When it is loaded
        TokenRelayConfig config = ConfigLoader.load(example);

        // Then every section is read as documented
        assertThat(config.kafka().useEmbedded()).isTrue();
        assertThat(config.kafka().streams()).containsEntry("num.stream.threads", "2");
        assertThat(config.pools()).containsOnlyKeys("main", "local");
        assertThat(config.accounts()).containsOnlyKeys("openai-primary", "openai-secondary", "local-vllm");
        assertThat(config.defaultPool()).isEqualTo("main");
        assertThat(config.poolChain("main")).containsExactly("main", "local");
        assertThat(config.pool("main").accounts())
                .containsExactly(new PoolMember("openai-primary", 10), new PoolMember("openai-secondary", 0));
        assertThat(config.account("openai-primary").apiKey()).isEqualTo(Secret.env("OPENAI_API_KEY"));
        assertThat(config.account("local-vllm").responseTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(config.topics()).isEqualTo(TopicsConfig.defaults());
        assertThat(config.processor()).isEqualTo(ProcessorSettings.defaults());
        assertThat(config.policy()).isEqualTo(OutcomePolicy.defaults());
        assertThat(config.retry()).isEqualTo(RetryPolicy.defaults());
    }

    @Test
    void shouldApplyDefaultsWhenSectionsAreAbsent() throws ConfigException {
        // Given a configuration with only accounts and pools

        // When it is parsed
        TokenRelayConfig config = ConfigLoader.parse(MINIMAL, "tokenrelay.yaml");

        // Then every other section holds its defaults
        assertThat(config.kafka().useEmbedded()).isTrue();
        assertThat(config.kafka().applicationId()).isEqualTo("tokenrelay");
        assertThat(config.kafka().embedded()).isEqualTo(new EmbeddedBroker(9092, Path.of("data", "kafka")));
        assertThat(config.kafka().streams()).isEmpty();
        assertThat(config.topics().requests()).isEqualTo(new TopicSpec("tokenrelay.requests", 4, null));
        assertThat(config.topics().deadLetter().name()).isEqualTo("tokenrelay.dead-letter");
        assertThat(config.topics().accounts()).isEqualTo(new TopicSpec("tokenrelay.accounts", 4, null));
        assertThat(config.topics().batches().name()).isEqualTo("tokenrelay.batches");
        assertThat(config.topics().control().name()).isEqualTo("tokenrelay.control");
        assertThat(config.topics().cancellations().name()).isEqualTo("tokenrelay.cancellations");
        assertThat(config.processor()).isEqualTo(new ProcessorSettings(
                Duration.ofDays(7), Duration.ofMillis(10), 64, Duration.ofSeconds(30), Duration.ofHours(1)));
        assertThat(config.policy()).isEqualTo(OutcomePolicy.defaults());
        assertThat(config.defaultPool()).isEqualTo("main");
        assertThat(config.pool("main").strategy()).isEqualTo(Strategy.FILL_FIRST);
        assertThat(config.pool("main").fallback()).isNull();
        AccountConfig account = config.account("a");
        assertThat(account.provider()).isEqualTo(ProviderType.OPENAI_CHAT);
        assertThat(account.baseUrl()).isEqualTo(URI.create("https://api.example.com/v1"));
        assertThat(account.apiKey()).isNull();
        assertThat(account.models()).isEmpty();
        assertThat(account.maxInFlight()).isNull();
        assertThat(account.effectiveMaxInFlight(config.processor())).isEqualTo(64);
        assertThat(account.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(account.responseTimeout()).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void shouldAcceptPlainStringAndObjectPoolMembers() throws ConfigException {
        // Given a pool mixing a plain account id, a mapping with a priority, and a mapping without one
        String yaml = """
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://a.example.com"}
                  b: {provider: openai-chat, baseUrl: "https://b.example.com"}
                  c: {provider: openai-chat, baseUrl: "https://c.example.com"}
                pools:
                  main:
                    strategy: round-robin
                    accounts:
                      - a
                      - account: b
                        priority: 5
                      - {account: c}
                """;

        // When it is parsed
        TokenRelayConfig config = ConfigLoader.parse(yaml, "tokenrelay.yaml");

        // Then each form gives a member, priority 0 when not written
        assertThat(config.pool("main").accounts()).containsExactly(
                new PoolMember("a", 0), new PoolMember("b", 5), new PoolMember("c", 0));
        assertThat(config.pool("main").strategy()).isEqualTo(Strategy.ROUND_ROBIN);
    }

    @Test
    void shouldRejectAnUnknownKeyNamingItsPathAndTheKnownKeys() {
        // Given a misspelt key inside a pool
        String yaml = MINIMAL + "    strategyy: round-robin\n";

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the message names the path and lists the keys that would have been accepted
        assertThat(error).hasMessage(
                "tokenrelay.yaml: pools.main.strategyy: unknown key (known: accounts, strategy, fallback)");
        assertThat(error.path()).isEqualTo("pools.main.strategyy");
    }

    @Test
    void shouldRejectAnUnknownTopLevelKey() {
        // Given a key that is not a section
        String yaml = MINIMAL + "pool: x\n";

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the message names the key
        assertThat(error.getMessage()).startsWith("tokenrelay.yaml: pool: unknown key (known: ");
    }

    @Test
    void shouldReportAMisspeltRequiredKeyAsUnknownRatherThanMissing() {
        // Given required keys misspelt at the top level and inside a pool
        ConfigException topLevel = parseError(MINIMAL.replace("accounts:\n  a:", "acounts:\n  a:"));
        ConfigException inPool = parseError(MINIMAL.replace("    accounts: [a]", "    acounts: [a]"));

        // Then the misspelt key is named, not the missing one
        assertThat(topLevel).hasMessage("tokenrelay.yaml: acounts: unknown key "
                + "(known: kafka, topics, processor, pools, accounts, defaultPool, policy, retry, ops)");
        assertThat(inPool).hasMessage(
                "tokenrelay.yaml: pools.main.acounts: unknown key (known: accounts, strategy, fallback)");
    }

    @Test
    void shouldRejectADuplicateKeyNamingItsPath() {
        // Given an account whose baseUrl is written twice
        String yaml = """
                accounts:
                  a:
                    provider: openai-chat
                    baseUrl: https://one.example.com
                    baseUrl: https://two.example.com
                pools:
                  main:
                    accounts: [a]
                """;

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the duplicate is reported with its path
        assertThat(error).hasMessage("tokenrelay.yaml: accounts.a.baseUrl: duplicate key");
    }

    @Test
    void shouldRejectADuplicatePoolName() {
        // Given two pools with the same name
        String yaml = MINIMAL + """
                  main:
                    accounts: [a]
                """;

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the duplicate is reported with its path
        assertThat(error).hasMessage("tokenrelay.yaml: pools.main: duplicate key");
    }

    @Test
    void shouldRejectABaseUrlThatIsNotAbsoluteHttp() {
        // Given an ftp base URL
        String yaml = MINIMAL.replace("https://api.example.com/v1", "ftp://x");

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the message names the path and the value
        assertThat(error).hasMessage("tokenrelay.yaml: accounts.a.baseUrl: not an absolute http(s) URL: 'ftp://x'");
    }

    @Test
    void shouldRejectABaseUrlWithUserInfoWithoutRepeatingIt() {
        // Given a base URL carrying credentials
        String yaml = MINIMAL.replace("https://api.example.com/v1", "https://user:hunter2@api.example.com");

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then it is rejected and the credentials are not in the message
        assertThat(error.path()).isEqualTo("accounts.a.baseUrl");
        assertThat(error.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void shouldRejectAPoolNamingAnUnknownAccount() {
        // Given a pool whose second member is not an account
        String yaml = MINIMAL.replace("accounts: [a]", "accounts: [a, x]");

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the member's path is named
        assertThat(error).hasMessage("tokenrelay.yaml: pools.main.accounts[1]: unknown account 'x'");
    }

    @Test
    void shouldRejectAFallbackCycle() {
        // Given two pools falling back on each other
        String yaml = """
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://a.example.com"}
                pools:
                  a: {accounts: [a], fallback: b}
                  b: {accounts: [a], fallback: a}
                defaultPool: a
                """;

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the cycle is spelt out
        assertThat(error).hasMessage("tokenrelay.yaml: pools.a.fallback: cycle a -> b -> a");
    }

    @Test
    void shouldRejectALiteralApiKeyWithoutEchoingIt() {
        // Given an account with its key written into the file
        String yaml = """
                accounts:
                  a:
                    provider: openai-chat
                    baseUrl: https://api.example.com/v1
                    apiKey: fake-literal-key-0123456789
                pools:
                  main:
                    accounts: [a]
                """;

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then it is rejected with instructions, and the key is not repeated
        assertThat(error).hasMessage("tokenrelay.yaml: accounts.a.apiKey: put the key in an environment variable or a "
                + "file and write ${env:NAME} or ${file:PATH}; literal keys are not accepted");
        assertThat(error.getMessage()).doesNotContain("fake-literal-key");
        assertThat(error.getCause()).isNull();
    }

    @Test
    void shouldRejectANumericApiKeyWithoutEchoingIt() {
        // Given an account whose key YAML reads as a number
        String yaml = MINIMAL.replace("baseUrl: https://api.example.com/v1",
                "baseUrl: https://api.example.com/v1\n    apiKey: 9876543210");

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then it is rejected like any literal
        assertThat(error.path()).isEqualTo("accounts.a.apiKey");
        assertThat(error.getMessage()).doesNotContain("9876543210");
    }

    @Test
    void shouldReadApiKeyReferences() throws ConfigException {
        // Given accounts with an environment and a file reference
        String yaml = """
                accounts:
                  a: {provider: openai-chat, baseUrl: "https://a.example.com", apiKey: "${env:KEY_A}"}
                  b: {provider: openai-chat, baseUrl: "https://b.example.com", apiKey: "${file:/run/secrets/b}"}
                pools:
                  main: {accounts: [a, b]}
                """;

        // When it is parsed
        TokenRelayConfig config = ConfigLoader.parse(yaml, "tokenrelay.yaml");

        // Then both are references
        assertThat(config.account("a").apiKey()).isEqualTo(Secret.env("KEY_A"));
        assertThat(config.account("b").apiKey()).isEqualTo(Secret.file(Path.of("/run/secrets/b")));
    }

    @Test
    void shouldRejectAnEmptyFile() {
        // Given files with nothing, or only comments, in them
        for (String yaml : List.of("", "  \n", "# nothing here\n", "---\n", "~\n")) {
            // When each is parsed
            ConfigException error = parseError(yaml);

            // Then the message says the configuration is empty
            assertThat(error.getMessage()).as(yaml)
                    .isEqualTo("tokenrelay.yaml: the configuration is empty; expected a mapping with at least "
                            + "'accounts' and 'pools'");
        }
    }

    @Test
    void shouldRejectATopLevelThatIsNotAMapping() {
        // Given a file holding a list
        ConfigException error = parseError("- a\n- b\n");

        // Then the message says what is expected
        assertThat(error).hasMessage("tokenrelay.yaml: expected a mapping with at least 'accounts' and 'pools'");
    }

    @Test
    void shouldListTheAllowedValuesOfAnUnknownEnumValue() {
        // Given a misspelt strategy and a misspelt provider
        ConfigException strategy = parseError(MINIMAL + "    strategy: fill_first\n");
        ConfigException provider = parseError(MINIMAL.replace("openai-chat", "openai"));

        // Then each message lists the accepted names
        assertThat(strategy).hasMessage(
                "tokenrelay.yaml: pools.main.strategy: unknown value 'fill_first' (allowed: fill-first, round-robin)");
        assertThat(provider).hasMessage(
                "tokenrelay.yaml: accounts.a.provider: unknown value 'openai' (allowed: openai-chat, openai-responses, anthropic-messages)");
    }

    @Test
    void shouldReadDurationsInEveryForm() throws ConfigException {
        // Given durations in milliseconds, seconds, minutes, hours, days and ISO-8601
        String yaml = MINIMAL + """
                processor:
                  drainInterval: 500ms
                  shutdownTimeout: 5m
                  dedupeRetention: 2h
                policy:
                  defaultCooldown: PT1M30S
                """;

        // When it is parsed
        TokenRelayConfig config = ConfigLoader.parse(yaml.replace("https://api.example.com/v1",
                "https://api.example.com/v1\n    connectTimeout: 3s\n    responseTimeout: 1d"), "tokenrelay.yaml");

        // Then each has its unit
        assertThat(config.processor().drainInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.processor().shutdownTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.processor().dedupeRetention()).isEqualTo(Duration.ofHours(2));
        assertThat(config.policy().defaultCooldown()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.account("a").connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.account("a").responseTimeout()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void shouldRejectADurationWithoutUnit() {
        // Given a bare number and a misspelt unit
        ConfigException number = parseError(MINIMAL + "processor:\n  drainInterval: 10\n");
        ConfigException unit = parseError(MINIMAL + "processor:\n  drainInterval: 10 sec\n");

        // Then both name the path and the accepted forms
        assertThat(number).hasMessage("tokenrelay.yaml: processor.drainInterval: expected a duration like 500ms, "
                + "15s, 5m, 1h30m, 7d or PT15S, got 10");
        assertThat(unit).hasMessage("tokenrelay.yaml: processor.drainInterval: expected a duration like 500ms, "
                + "15s, 5m, 1h30m, 7d or PT15S, got '10 sec'");
    }

    @Test
    void shouldRejectNumbersThatAreStringsOrFractions() {
        // Given a quoted number, a word, and a fraction where a whole number belongs
        ConfigException quoted = parseError(MINIMAL + "processor:\n  defaultMaxInFlight: \"12\"\n");
        ConfigException word = parseError(MINIMAL + "processor:\n  defaultMaxInFlight: abc\n");
        ConfigException fraction = parseError(MINIMAL + "processor:\n  defaultMaxInFlight: 1.5\n");

        // Then none is coerced
        assertThat(quoted.getMessage()).startsWith(
                "tokenrelay.yaml: processor.defaultMaxInFlight: expected a whole number, got '12'");
        assertThat(word.getMessage()).startsWith(
                "tokenrelay.yaml: processor.defaultMaxInFlight: expected a whole number, got 'abc'");
        assertThat(fraction.getMessage()).startsWith("tokenrelay.yaml: processor.defaultMaxInFlight: expected a whole number");
    }

    @Test
    void shouldRejectABooleanWrittenAsAStringOrNumber() {
        // Given booleans written as YAML 1.1 words and numbers
        ConfigException yes = parseError(MINIMAL + "policy:\n  checkEmptyCompletion: yes\n");
        ConfigException one = parseError(MINIMAL + "policy:\n  checkEmptyCompletion: 1\n");

        // Then both are errors
        assertThat(yes.path()).isEqualTo("policy.checkEmptyCompletion");
        assertThat(yes.problem()).startsWith("expected true or false");
        assertThat(one.path()).isEqualTo("policy.checkEmptyCompletion");
    }

    @Test
    void shouldReadYesAndNoAsStrings() throws ConfigException {
        // Given model names that YAML 1.1 would read as booleans
        String yaml = MINIMAL.replace("baseUrl: https://api.example.com/v1",
                "baseUrl: https://api.example.com/v1\n    models: [no, yes, on]");

        // When it is parsed
        TokenRelayConfig config = ConfigLoader.parse(yaml, "tokenrelay.yaml");

        // Then they stay the words that were written
        assertThat(config.account("a").models()).containsExactly("no", "yes", "on");
    }

    @Test
    void shouldRejectAnEmptyApiKey() {
        // Given an account whose key is an empty string
        String yaml = MINIMAL.replace("baseUrl: https://api.example.com/v1",
                "baseUrl: https://api.example.com/v1\n    apiKey: \"\"");

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then it is an error rather than an account silently without a key
        assertThat(error.path()).isEqualTo("accounts.a.apiKey");
    }

    @Test
    void shouldRejectAMappingWhereAListBelongs() {
        // Given pool accounts written as a mapping
        ConfigException error = parseError(MINIMAL.replace("accounts: [a]", "accounts: {a: 1}"));

        // Then the message says a list was expected
        assertThat(error).hasMessage("tokenrelay.yaml: pools.main.accounts: expected a list, got a mapping");
    }

    @Test
    void shouldRejectASecondDocument() {
        // Given two YAML documents in one file
        ConfigException error = parseError(MINIMAL + "---\n" + MINIMAL);

        // Then it is an error rather than a silently ignored document
        assertThat(error).hasMessage(
                "tokenrelay.yaml: more than one YAML document; write the whole configuration as one");
    }

    @Test
    void shouldReportAYamlSyntaxErrorWithItsPosition() {
        // Given a line with broken indentation
        String yaml = "accounts:\n  a: {provider: openai-chat\n";

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the message has a line and column and no Java class names
        assertThat(error.getMessage()).matches("tokenrelay\\.yaml: line \\d+, column \\d+: not valid YAML: .+");
        assertThat(error.getMessage()).doesNotContain("Exception");
    }

    @Test
    void shouldKeepTheDefaultTopicNameWhenOnlyPartitionsAreGiven() throws ConfigException {
        // Given a topic section that changes partitions and the replication factor only
        String yaml = MINIMAL + """
                topics:
                  requests: {partitions: 12}
                  results: {name: my.results, replicationFactor: 3}
                """;

        // When it is parsed
        TopicsConfig topics = ConfigLoader.parse(yaml, "tokenrelay.yaml").topics();

        // Then the unnamed topic keeps its default name, the others their defaults
        assertThat(topics.requests()).isEqualTo(new TopicSpec("tokenrelay.requests", 12, null));
        assertThat(topics.results()).isEqualTo(new TopicSpec("my.results", 4, (short) 3));
        assertThat(topics.attempts()).isEqualTo(new TopicSpec("tokenrelay.attempts", 4, null));
    }

    @Test
    void shouldNameTopicsAfterTheApplicationId() throws ConfigException {
        // Given a staging deployment that names one topic itself
        String yaml = MINIMAL + """
                kafka:
                  applicationId: relay-staging
                topics:
                  results: {name: shared.results}
                  attempts: {partitions: 8}
                """;

        // When it is parsed
        TopicsConfig topics = ConfigLoader.parse(yaml, "tokenrelay.yaml").topics();

        // Then every topic it does not name belongs to its application id, and its own name is kept
        assertThat(topics.requests().name()).isEqualTo("relay-staging.requests");
        assertThat(topics.attempts()).isEqualTo(new TopicSpec("relay-staging.attempts", 8, null));
        assertThat(topics.outcomes().name()).isEqualTo("relay-staging.outcomes");
        assertThat(topics.deadLetter().name()).isEqualTo("relay-staging.dead-letter");
        assertThat(topics.accounts().name()).isEqualTo("relay-staging.accounts");
        assertThat(topics.results().name()).isEqualTo("shared.results");
        assertThat(topics).isNotEqualTo(TopicsConfig.defaults());
    }

    @Test
    void shouldRejectInvalidTopics() {
        // Given a topic name with a space, zero partitions, and a name used twice
        ConfigException name = parseError(MINIMAL + "topics:\n  outcomes: {name: \"my outcomes\"}\n");
        ConfigException partitions = parseError(MINIMAL + "topics:\n  deadLetter: {partitions: 0}\n");
        ConfigException twice = parseError(MINIMAL + "topics:\n  results: {name: tokenrelay.requests}\n");

        // Then each names its path
        assertThat(name.path()).isEqualTo("topics.outcomes.name");
        assertThat(name.problem()).startsWith("'my outcomes' is not a valid Kafka topic name");
        assertThat(partitions).hasMessage("tokenrelay.yaml: topics.deadLetter.partitions: must be at least 1, got 0");
        assertThat(twice).hasMessage(
                "tokenrelay.yaml: topics.results.name: 'tokenrelay.requests' is already the name of topics.requests");
    }

    @Test
    void shouldReadPerMinuteLimitsAndRejectZero() throws ConfigException {
        // Given an account with both per-minute limits, and one with a tokens-per-minute limit of 0
        String limits = MINIMAL.replace("baseUrl: https://api.example.com/v1",
                "baseUrl: https://api.example.com/v1\n    requestsPerMinute: 500\n    tokensPerMinute: 30000");
        String zero = MINIMAL.replace("baseUrl: https://api.example.com/v1",
                "baseUrl: https://api.example.com/v1\n    tokensPerMinute: 0");

        // When they are read
        AccountConfig account = ConfigLoader.parse(limits, "tokenrelay.yaml").account("a");
        ConfigException error = parseError(zero);

        // Then the limits are kept, and the zero is an error at its path
        assertThat(account.requestsPerMinute()).isEqualTo(500);
        assertThat(account.tokensPerMinute()).isEqualTo(30000);
        assertThat(error).hasMessage("tokenrelay.yaml: accounts.a.tokensPerMinute: must be at least 1, got 0");
    }

    @Test
    void shouldReadTheDisableRuleWithItsDefaultsAndRejectAMissingCount() throws ConfigException {
        // Given a disable rule with only its count, one with every value, and one without a count
        String countOnly = MINIMAL + "policy:\n  disable: {afterFailures: 5}\n";
        String full = MINIMAL + "policy:\n  disable: {afterFailures: 3, within: 30s, probeAfter: 2m}\n";
        String noCount = MINIMAL + "policy:\n  disable: {within: 30s}\n";
        String zeroWindow = MINIMAL + "policy:\n  disable: {afterFailures: 3, within: 0s}\n";

        // When they are read
        DisableRule defaults = ConfigLoader.parse(countOnly, "tokenrelay.yaml").policy().disable();
        DisableRule given = ConfigLoader.parse(full, "tokenrelay.yaml").policy().disable();

        // Then absent values take their defaults, the rule is off without the section, and errors name the path
        assertThat(defaults).isEqualTo(new DisableRule(5, Duration.ofMinutes(1), Duration.ofMinutes(5)));
        assertThat(given).isEqualTo(new DisableRule(3, Duration.ofSeconds(30), Duration.ofMinutes(2)));
        assertThat(ConfigLoader.parse(MINIMAL, "tokenrelay.yaml").policy().disable()).isNull();
        assertThat(parseError(noCount)).hasMessageStartingWith("tokenrelay.yaml: policy.disable.afterFailures: is required");
        assertThat(parseError(zeroWindow))
                .hasMessage("tokenrelay.yaml: policy.disable.within: must be greater than zero, got PT0S");
    }

    @Test
    void shouldPassKafkaPropertiesThroughAsStrings() throws ConfigException {
        // Given a Kafka section with bootstrap servers and pass-through properties of several types
        String yaml = MINIMAL + """
                kafka:
                  bootstrapServers: broker-1:9092,broker-2:9092
                  applicationId: relay-prod
                  embedded: {port: 0}
                  streams:
                    num.stream.threads: 4
                    processing.guarantee: exactly_once_v2
                    enable.idempotence: true
                """;

        // When it is parsed
        KafkaSettings kafka = ConfigLoader.parse(yaml, "tokenrelay.yaml").kafka();

        // Then the properties are strings, in order
        assertThat(kafka.useEmbedded()).isFalse();
        assertThat(kafka.bootstrapServers()).isEqualTo("broker-1:9092,broker-2:9092");
        assertThat(kafka.applicationId()).isEqualTo("relay-prod");
        assertThat(kafka.embedded().port()).isZero();
        assertThat(kafka.streams()).containsExactly(
                Map.entry("num.stream.threads", "4"),
                Map.entry("processing.guarantee", "exactly_once_v2"),
                Map.entry("enable.idempotence", "true"));
    }

    @Test
    void shouldRejectAPassThroughPropertyThatHasItsOwnSetting() {
        // Given bootstrap.servers in the pass-through properties
        ConfigException error = parseError(MINIMAL + "kafka:\n  streams:\n    bootstrap.servers: x:9092\n");

        // Then the message points to the dedicated setting, quoting the dotted key
        assertThat(error).hasMessage(
                "tokenrelay.yaml: kafka.streams[\"bootstrap.servers\"]: set kafka.bootstrapServers instead");
    }

    @Test
    void shouldReadTheInstanceNameForStaticGroupMembership() throws ConfigException {
        // Given no instance name, a name, and "none"
        KafkaSettings absent = ConfigLoader.parse(MINIMAL, "tokenrelay.yaml").kafka();
        KafkaSettings named = ConfigLoader.parse(MINIMAL + "kafka:\n  instanceName: relay-1\n", "tokenrelay.yaml").kafka();
        KafkaSettings none = ConfigLoader.parse(MINIMAL + "kafka:\n  instanceName: none\n", "tokenrelay.yaml").kafka();

        // Then the absent name is derived at start, a name is kept, and none turns static membership off
        assertThat(absent.instanceName()).isNull();
        assertThat(absent.staticMembership()).isTrue();
        assertThat(named.instanceName()).isEqualTo("relay-1");
        assertThat(named.staticMembership()).isTrue();
        assertThat(none.staticMembership()).isFalse();
    }

    @Test
    void shouldRejectAnInstanceNameKafkaCannotUseAndAGroupInstanceIdSetAsAPassThroughProperty() {
        // Given an instance name with a space, and group.instance.id under kafka.streams
        ConfigException badName = parseError(MINIMAL + "kafka:\n  instanceName: relay 1\n");
        ConfigException passThrough = parseError(MINIMAL + "kafka:\n  streams:\n    group.instance.id: relay-1\n");

        // Then each message names the path, and the second points to the dedicated setting
        assertThat(badName).hasMessage("tokenrelay.yaml: kafka.instanceName: 'relay 1' is not valid: use 1 to 200 of"
                + " letters, digits, '.', '_' and '-', or none for dynamic group membership");
        assertThat(passThrough).hasMessage(
                "tokenrelay.yaml: kafka.streams[\"group.instance.id\"]: set kafka.instanceName instead");
    }

    @Test
    void shouldRequireADefaultPoolWhenThereAreSeveralPools() {
        // Given two pools and no default pool
        String yaml = MINIMAL + "  other:\n    accounts: [a]\n";

        // When it is parsed
        ConfigException error = parseError(yaml);

        // Then the default pool is asked for
        assertThat(error).hasMessage("tokenrelay.yaml: defaultPool: required when more than one pool is configured");
    }

    @Test
    void shouldRequireAccountsAndPools() {
        // Given a configuration without accounts, and one without pools
        ConfigException noAccounts = parseError("pools:\n  main:\n    accounts: [a]\n");
        ConfigException noPools = parseError("accounts:\n  a: {provider: openai-chat, baseUrl: \"https://a.example\"}\n");

        // Then each names the missing section
        assertThat(noAccounts).hasMessage("tokenrelay.yaml: accounts: required: configure at least one");
        assertThat(noPools).hasMessage("tokenrelay.yaml: pools: required: configure at least one");
    }

    @Test
    void shouldReportAnInvalidStatusWithItsIndex() {
        // Given a status list with a class that does not exist
        ConfigException error = parseError(MINIMAL + "policy:\n  retryableStatuses: [429, 6xx]\n");

        // Then the item is named by its index
        assertThat(error).hasMessage("tokenrelay.yaml: policy.retryableStatuses[1]: expected a status code "
                + "(100..599) or a class such as 5xx, got '6xx'");
    }

    @Test
    void shouldRetryTheSameAccountOnlyAfter408429And5xxByDefault() throws ConfigException {
        // Given a configuration without a retry section
        RetryPolicy retry = ConfigLoader.parse(MINIMAL, "tokenrelay.yaml").retry();

        // Then 408, 429, 5xx and transport errors allow a same-account retry; a bad-request 4xx does not
        assertThat(retry.sameAccountStatuses()).isEqualTo(StatusSet.parse(List.of(408, 429, "5xx")));
        assertThat(retry.allowsSameAccountAfter(null)).isTrue();
        assertThat(List.of(400, 404, 413, 422)).noneMatch(retry::allowsSameAccountAfter);
    }

    @Test
    void shouldRejectARedirectAmongTheSameAccountStatusesNamingThePath() {
        // Given a same-account status list holding a redirect
        ConfigException error = parseError(MINIMAL + "retry:\n  sameAccountStatuses: [429, 307]\n");

        // Then the message names the setting
        assertThat(error).hasMessage("tokenrelay.yaml: retry.sameAccountStatuses: only 2xx (a fake success), 4xx "
                + "and 5xx statuses can be retried on the same account, got 307");
    }

    @Test
    void shouldReportAMissingFile(@TempDir Path dir) {
        // Given a path where no file is
        Path missing = dir.resolve("absent.yaml");

        // When it is loaded
        ConfigException error = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(missing));

        // Then the message names the file
        assertThat(error).hasMessage(missing + ": file not found");
    }

    @Test
    void shouldLoadAFileAndNameItInErrors(@TempDir Path dir) throws Exception {
        // Given a file with an error
        Path file = dir.resolve("tokenrelay.yaml");
        Files.writeString(file, MINIMAL.replace("[a]", "[b]"));

        // When it is loaded
        assertThatThrownBy(() -> ConfigLoader.load(file))
                // Then the message starts with the file
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": pools.main.accounts[0]: unknown account 'b'");
    }

    private static ConfigException parseError(String yaml) {
        ConfigException error = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(yaml, "tokenrelay.yaml"));
        assertThat(error).as("expected a ConfigException for:%n%s", yaml).isNotNull();
        return error;
    }
}
