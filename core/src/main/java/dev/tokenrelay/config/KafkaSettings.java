package dev.tokenrelay.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where the Kafka cluster is and how the Streams application identifies itself.
 *
 * @param bootstrapServers the cluster to join; null (or blank, which is normalized to null) starts
 *     the embedded broker
 * @param applicationId the Kafka Streams {@code application.id}: instances sharing it share the
 *     work; default {@code tokenrelay}
 * @param embedded settings of the embedded broker, used only when {@link #useEmbedded()}
 * @param streams further Kafka Streams and client properties, passed through to every Kafka client
 *     of the processor and the tools; a value may be a {@code ${env:NAME}} or {@code ${file:PATH}}
 *     reference (see {@link #clientProperties()}); default empty
 * @param instanceName this instance's name in the consumer group: Kafka's {@code group.instance.id}
 *     (static membership), to which Kafka Streams appends {@code -N} per stream thread. It must stay
 *     the same across restarts of one instance and differ between the instances of one
 *     application. Null (the default) derives it from the host name and the state directory;
 *     {@value #DYNAMIC_MEMBERSHIP} turns static membership off
 */
public record KafkaSettings(String bootstrapServers, String applicationId, EmbeddedBroker embedded,
        Map<String, String> streams, String instanceName) {

    /** Default {@link #applicationId()}. */
    public static final String DEFAULT_APPLICATION_ID = "tokenrelay";

    private static final String KAFKA_CONFIG_PROVIDERS = "config.providers";
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):[^}]+}");
    /** The {@link #instanceName()} that asks for dynamic group membership (no {@code group.instance.id}). */
    public static final String DYNAMIC_MEMBERSHIP = "none";

    // application.id prefixes internal topic names, so it is held to the topic-name characters.
    private static final Pattern APPLICATION_ID = Pattern.compile("[a-zA-Z0-9._-]{1,200}");
    // The broker accepts a group.instance.id of at most 249 of these characters; Kafka Streams
    // appends "-N" per stream thread.
    private static final Pattern INSTANCE_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    // These have settings of their own; accepting them in the pass-through as well would leave
    // two places to set one thing, and one of them silently losing.
    private static final Map<String, String> OWN_SETTINGS = Map.of(
            "bootstrap.servers", "bootstrapServers",
            "application.id", "applicationId",
            "group.instance.id", "instanceName");

    /** Applies the defaults and checks every value. */
    public KafkaSettings {
        bootstrapServers = bootstrapServers == null || bootstrapServers.isBlank() ? null : bootstrapServers.strip();
        applicationId = applicationId == null ? DEFAULT_APPLICATION_ID : applicationId;
        if (!APPLICATION_ID.matcher(applicationId).matches()) {
            throw new InvalidConfigException("applicationId", "'" + applicationId
                    + "' is not valid: use 1 to 200 of letters, digits, '.', '_' and '-'");
        }
        embedded = embedded == null ? EmbeddedBroker.defaults() : embedded;
        streams = checkStreams(streams);
        if (instanceName != null && !INSTANCE_NAME.matcher(instanceName).matches()) {
            throw new InvalidConfigException("instanceName", "'" + instanceName + "' is not valid: use 1 to 200 of"
                    + " letters, digits, '.', '_' and '-', or " + DYNAMIC_MEMBERSHIP + " for dynamic group membership");
        }
    }

    /** The embedded broker with application id {@code tokenrelay} and no extra properties. */
    public static KafkaSettings defaults() {
        return new KafkaSettings(null, null, null, null, null);
    }

    /** Whether the instance joins its consumer group as a static member, under a {@code group.instance.id}. */
    public boolean staticMembership() {
        return !DYNAMIC_MEMBERSHIP.equals(instanceName);
    }

    /** Whether to start the embedded broker, that is whether no bootstrap servers are configured. */
    public boolean useEmbedded() {
        return bootstrapServers == null;
    }

    /**
     * The properties under {@code streams}, with every value written as {@code ${env:NAME}} or
     * {@code ${file:PATH}} replaced by what it refers to, read now: so a SASL password or a
     * keystore password need not be written in the file. When {@code config.providers} is set,
     * Kafka resolves its own references and every value is passed on as written.
     *
     * @throws IllegalArgumentException naming the key (never a value) when a reference resolves to
     *     nothing: the variable is unset or blank, the file missing, unreadable or empty
     */
    public Map<String, String> clientProperties() {
        if (streams.containsKey(KAFKA_CONFIG_PROVIDERS)) {
            return streams;
        }
        Map<String, String> resolved = new LinkedHashMap<>();
        streams.forEach((key, value) -> {
            String stripped = value.strip();
            if (REFERENCE.matcher(stripped).matches()) {
                Secret secret = Secret.parse(stripped);
                value = secret.resolve().orElseThrow(() -> new InvalidConfigException(streamsPath(key),
                        secret + " is unset, empty or unreadable"));
            }
            resolved.put(key, value);
        });
        return Collections.unmodifiableMap(resolved);
    }

    /** The path of a key under {@code kafka.streams}, as configuration messages name it. */
    public static String streamsPath(String key) {
        return ConfigPaths.join("kafka.streams", ConfigPaths.key(key));
    }

    private static Map<String, String> checkStreams(Map<String, String> streams) {
        if (streams == null) {
            return Map.of();
        }
        Set<String> keys = streams.keySet();
        for (String key : keys) {
            String path = ConfigPaths.join("streams", ConfigPaths.key(key));
            if (OWN_SETTINGS.containsKey(key)) {
                throw new InvalidConfigException(path, "set kafka." + OWN_SETTINGS.get(key) + " instead");
            }
            // Only the key is named: pass-through values can be passwords (sasl.jaas.config).
            if (streams.get(key) == null) {
                throw new InvalidConfigException(path, "must have a value");
            }
        }
        return Collections.unmodifiableMap(new LinkedHashMap<>(streams));
    }
}
