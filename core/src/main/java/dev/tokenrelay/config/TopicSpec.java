package dev.tokenrelay.config;

import java.util.regex.Pattern;

/**
 * One topic: its name and how it is created when it does not exist yet.
 *
 * @param name a valid Kafka topic name
 * @param partitions at least 1; the most processor instances that can share the topic's work
 * @param replicationFactor null for the broker's default
 */
public record TopicSpec(String name, int partitions, Short replicationFactor) {

    /** The default number of partitions of every topic. */
    public static final int DEFAULT_PARTITIONS = 4;

    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /** Checks every value. */
    public TopicSpec {
        if (name == null) {
            throw new InvalidConfigException("name", "required");
        }
        if (!TOPIC_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new InvalidConfigException("name", "'" + name
                    + "' is not a valid Kafka topic name: use 1 to 249 of letters, digits, '.', '_' and '-'");
        }
        if (partitions < 1) {
            throw new InvalidConfigException("partitions", "must be at least 1, got " + partitions);
        }
        if (replicationFactor != null && replicationFactor < 1) {
            throw new InvalidConfigException("replicationFactor", "must be at least 1, got " + replicationFactor);
        }
    }

    /** A topic with the default partition count and the broker's default replication factor. */
    public TopicSpec(String name) {
        this(name, DEFAULT_PARTITIONS, null);
    }
}
