package dev.tokenrelay.config;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The topics the processor reads and writes; every one defaults to {@code tokenrelay.<role>}
 * with 4 partitions.
 *
 * <p>In YAML a topic may be given in part: {@code requests: {partitions: 12}} keeps the default
 * name. The names must be distinct.
 *
 * @param requests chat requests from clients, keyed by request id
 * @param attempts attempts keyed by account id: the failover topic
 * @param results exactly one final result per request
 * @param outcomes one record per attempt: audit, metrics, billing
 * @param deadLetter failed and unreadable input, the replay source
 * @param accounts account state (cooldowns, disabled accounts), compacted
 */
public record TopicsConfig(TopicSpec requests, TopicSpec attempts, TopicSpec results, TopicSpec outcomes,
        TopicSpec deadLetter, TopicSpec accounts) {

    private static final TopicSpec DEFAULT_REQUESTS = new TopicSpec("tokenrelay.requests");
    private static final TopicSpec DEFAULT_ATTEMPTS = new TopicSpec("tokenrelay.attempts");
    private static final TopicSpec DEFAULT_RESULTS = new TopicSpec("tokenrelay.results");
    private static final TopicSpec DEFAULT_OUTCOMES = new TopicSpec("tokenrelay.outcomes");
    private static final TopicSpec DEFAULT_DEAD_LETTER = new TopicSpec("tokenrelay.dead-letter");
    private static final TopicSpec DEFAULT_ACCOUNTS = new TopicSpec("tokenrelay.accounts");

    /** Applies the default for every absent topic and checks that the names are distinct. */
    public TopicsConfig {
        requests = requests == null ? DEFAULT_REQUESTS : requests;
        attempts = attempts == null ? DEFAULT_ATTEMPTS : attempts;
        results = results == null ? DEFAULT_RESULTS : results;
        outcomes = outcomes == null ? DEFAULT_OUTCOMES : outcomes;
        deadLetter = deadLetter == null ? DEFAULT_DEAD_LETTER : deadLetter;
        accounts = accounts == null ? DEFAULT_ACCOUNTS : accounts;

        Map<String, TopicSpec> byRole = new LinkedHashMap<>();
        byRole.put("requests", requests);
        byRole.put("attempts", attempts);
        byRole.put("results", results);
        byRole.put("outcomes", outcomes);
        byRole.put("deadLetter", deadLetter);
        byRole.put("accounts", accounts);
        Map<String, String> roleByName = new HashMap<>();
        byRole.forEach((role, spec) -> {
            String earlier = roleByName.putIfAbsent(spec.name(), role);
            if (earlier != null) {
                throw new InvalidConfigException(role + ".name",
                        "'" + spec.name() + "' is already the name of topics." + earlier);
            }
        });
    }

    /** Every topic at its default. */
    public static TopicsConfig defaults() {
        return new TopicsConfig(null, null, null, null, null, null);
    }

    @JsonCreator
    private static TopicsConfig fromYaml(@JsonProperty("requests") Partial requests,
            @JsonProperty("attempts") Partial attempts, @JsonProperty("results") Partial results,
            @JsonProperty("outcomes") Partial outcomes, @JsonProperty("deadLetter") Partial deadLetter,
            @JsonProperty("accounts") Partial accounts) {
        return new TopicsConfig(
                Partial.over(requests, DEFAULT_REQUESTS, "requests"),
                Partial.over(attempts, DEFAULT_ATTEMPTS, "attempts"),
                Partial.over(results, DEFAULT_RESULTS, "results"),
                Partial.over(outcomes, DEFAULT_OUTCOMES, "outcomes"),
                Partial.over(deadLetter, DEFAULT_DEAD_LETTER, "deadLetter"),
                Partial.over(accounts, DEFAULT_ACCOUNTS, "accounts"));
    }

    /** A topic as written in YAML, where every field may be left out to keep its default. */
    private record Partial(String name, Integer partitions, Short replicationFactor) {

        static TopicSpec over(Partial partial, TopicSpec defaults, String role) {
            if (partial == null) {
                return defaults;
            }
            return InvalidConfigException.within(role, () -> new TopicSpec(
                    partial.name != null ? partial.name : defaults.name(),
                    partial.partitions != null ? partial.partitions : defaults.partitions(),
                    partial.replicationFactor != null ? partial.replicationFactor : defaults.replicationFactor()));
        }
    }
}
