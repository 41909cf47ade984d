package dev.tokenrelay.bench;

import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The topics of one benchmark phase, named after its application id so that phases never read
 * each other's records.
 */
record BenchTopics(String requests, String attempts, String results, int partitions) {

    static BenchTopics of(String prefix, int partitions) {
        return new BenchTopics(prefix + ".requests", prefix + ".attempts", prefix + ".results", partitions);
    }

    List<NewTopic> newTopics() {
        return List.of(topic(requests), topic(attempts), topic(results));
    }

    private NewTopic topic(String name) {
        return new NewTopic(name, Optional.of(partitions), Optional.empty());
    }
}
