package dev.tokenrelay.config;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The topics the processor reads and writes. A topic's name defaults to
 * {@code <applicationId>.<role>} ({@code tokenrelay.requests} under the default application id),
 * so that two deployments with different application ids on one cluster never share a topic;
 * every topic has 4 partitions unless configured.
 *
 * <p>In YAML a topic may be given in part: {@code requests: {partitions: 12}} keeps the derived
 * name. The names must be distinct.
 *
 * @param requests chat requests from clients, keyed by request id
 * @param attempts attempts keyed by account id: the failover topic
 * @param results exactly one final result per request
 * @param outcomes one record per attempt: audit, metrics, billing
 * @param deadLetter failed and unreadable input, the replay source
 * @param accounts account state (cooldowns, disabled accounts), compacted
 * @param batches the counts of each batch, keyed by batch id, compacted: written by the processor
 * @param control what operators and clients tell the processor (a batch opened, a cancellation),
 *                compacted: written by {@code submit} and {@code cancel}, read by the processor alone
 * @param cancellations the cancellations of the control topic, compacted: the processor copies them
 *                here so that every instance reads them all (a topic read that way is read by nothing else)
 */
public record TopicsConfig(TopicSpec requests, TopicSpec attempts, TopicSpec results, TopicSpec outcomes,
        TopicSpec deadLetter, TopicSpec accounts, TopicSpec batches, TopicSpec control, TopicSpec cancellations) {

    /** Checks that every topic is given and that the names are distinct. */
    public TopicsConfig {
        Map<String, TopicSpec> byRole = new LinkedHashMap<>();
        byRole.put("requests", requests);
        byRole.put("attempts", attempts);
        byRole.put("results", results);
        byRole.put("outcomes", outcomes);
        byRole.put("deadLetter", deadLetter);
        byRole.put("accounts", accounts);
        byRole.put("batches", batches);
        byRole.put("control", control);
        byRole.put("cancellations", cancellations);
        Map<String, String> roleByName = new HashMap<>();
        byRole.forEach((role, spec) -> {
            if (spec == null) {
                throw new InvalidConfigException(role, "required");
            }
            String earlier = roleByName.putIfAbsent(spec.name(), role);
            if (earlier != null) {
                throw new InvalidConfigException(role + ".name",
                        "'" + spec.name() + "' is already the name of topics." + earlier);
            }
        });
    }

    /** Every topic at its default under the default application id: {@code tokenrelay.requests}... */
    public static TopicsConfig defaults() {
        return forApplication(KafkaSettings.DEFAULT_APPLICATION_ID);
    }

    /** Every topic at its default for {@code applicationId}: {@code <applicationId>.requests}... */
    public static TopicsConfig forApplication(String applicationId) {
        return Declared.NONE.resolve(applicationId);
    }

    /**
     * The topics section as written: each topic in part, every field optional. The names left out
     * are derived from the application id once it is known, by {@link #resolve(String)}.
     */
    public record Declared(Partial requests, Partial attempts, Partial results, Partial outcomes,
            Partial deadLetter, Partial accounts, Partial batches, Partial control, Partial cancellations) {

        /** Nothing declared: every topic at its default. */
        public static final Declared NONE = new Declared(null, null, null, null, null, null, null, null, null);

        /** The topics, with {@code <applicationId>.<role>} for every name left out. */
        public TopicsConfig resolve(String applicationId) {
            return new TopicsConfig(
                    Partial.over(requests, applicationId, "requests"),
                    Partial.over(attempts, applicationId, "attempts"),
                    Partial.over(results, applicationId, "results"),
                    Partial.over(outcomes, applicationId, "outcomes"),
                    Partial.over(deadLetter, applicationId, "dead-letter", "deadLetter"),
                    Partial.over(accounts, applicationId, "accounts"),
                    Partial.over(batches, applicationId, "batches"),
                    Partial.over(control, applicationId, "control"),
                    Partial.over(cancellations, applicationId, "cancellations"));
        }
    }

    /** A topic as written in YAML, where every field may be left out to keep its default. */
    public record Partial(String name, Integer partitions, Short replicationFactor) {

        static TopicSpec over(Partial partial, String applicationId, String role) {
            return over(partial, applicationId, role, role);
        }

        static TopicSpec over(Partial partial, String applicationId, String suffix, String role) {
            String defaultName = applicationId + "." + suffix;
            if (partial == null) {
                return new TopicSpec(defaultName);
            }
            return InvalidConfigException.within(role, () -> new TopicSpec(
                    partial.name != null ? partial.name : defaultName,
                    partial.partitions != null ? partial.partitions : TopicSpec.DEFAULT_PARTITIONS,
                    partial.replicationFactor));
        }
    }
}
