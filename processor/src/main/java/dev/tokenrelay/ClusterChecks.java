package dev.tokenrelay;

import dev.tokenrelay.kafka.KafkaProblems;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code run} checks of the cluster before it starts Kafka Streams, so that a wrong address,
 * refused credentials or a topic shared with another deployment is one clear message in seconds
 * instead of a client retrying for minutes or two deployments calling the upstreams twice.
 */
final class ClusterChecks {

    // A TCP connect, then one Kafka call: together the answer comes within 15 s.
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration API_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(ClusterChecks.class);

    private ClusterChecks() {}

    /**
     * Fails unless a bootstrap server accepts TCP connections.
     *
     * @throws StartupException saying, for each address, which cause
     */
    static void requireConnectable(String bootstrapServers, String origin) {
        KafkaProblems.unreachable(bootstrapServers, origin, CONNECT_TIMEOUT).ifPresent(problem -> {
            throw StartupException.cluster(problem);
        });
    }

    /**
     * Fails unless the cluster answers as Kafka with the configured credentials.
     *
     * @throws StartupException saying which cause (authentication, authorization, no answer)
     */
    static void requireAnswer(Admin admin, String bootstrapServers) {
        await(admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) API_TIMEOUT.toMillis())).clusterId(),
                bootstrapServers);
    }

    /**
     * Fails when another consumer group (another deployment's application id) has committed
     * offsets of {@code attemptsTopic}: two deployments on one attempts topic take each other's
     * attempts and call the upstreams twice. Groups this principal may not describe are not seen.
     *
     * @throws StartupException (a configuration error) naming the group and what to do
     */
    static void requireOwnAttemptsTopic(Admin admin, String bootstrapServers, String applicationId,
            String attemptsTopic) {
        Collection<GroupListing> groups = await(admin.listGroups(
                new ListGroupsOptions().timeoutMs((int) API_TIMEOUT.toMillis())).all(), bootstrapServers);
        List<String> others = groups.stream()
                .filter(group -> group.type().map(type -> type != GroupType.SHARE).orElse(true))
                .map(GroupListing::groupId)
                .filter(id -> !id.equals(applicationId))
                .toList();
        if (others.isEmpty()) {
            return;
        }
        int partitions;
        try {
            partitions = admin.describeTopics(List.of(attemptsTopic),
                            new DescribeTopicsOptions().timeoutMs((int) API_TIMEOUT.toMillis()))
                    .allTopicNames().get(API_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS)
                    .get(attemptsTopic).partitions().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return; // a topic that does not exist yet is nobody's
            }
            throw StartupException.cluster(KafkaProblems.explain(e.getCause(), bootstrapServers, API_TIMEOUT));
        } catch (java.util.concurrent.TimeoutException e) {
            throw StartupException.cluster(KafkaProblems.noAnswer(bootstrapServers, API_TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StartupException.cluster("interrupted while describing " + attemptsTopic);
        }
        List<TopicPartition> attempts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            attempts.add(new TopicPartition(attemptsTopic, p));
        }
        Map<String, ListConsumerGroupOffsetsSpec> specs = new LinkedHashMap<>();
        others.forEach(group -> specs.put(group, new ListConsumerGroupOffsetsSpec().topicPartitions(attempts)));
        var offsets = admin.listConsumerGroupOffsets(specs);
        for (String group : others) {
            Map<TopicPartition, OffsetAndMetadata> committed;
            try {
                committed = offsets.partitionsToOffsetAndMetadata(group).get(API_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // A group this principal may not describe, or one that went away meanwhile.
                LOG.debug("cannot read the offsets of group {}: {}", group, e.toString());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw StartupException.cluster("interrupted while checking the consumer groups of " + attemptsTopic);
            }
            if (committed.values().stream().anyMatch(offset -> offset != null)) {
                throw StartupException.configuration("topic '" + attemptsTopic + "' is already consumed by consumer "
                        + "group '" + group + "', another deployment's application id; two deployments on one attempts "
                        + "topic take each other's attempts and call the upstreams twice. Give this deployment its own "
                        + "topics (leave topics.*.name out: they are named after kafka.applicationId '" + applicationId
                        + "'), or, if that deployment is gone for good, delete its group: kafka-consumer-groups.sh "
                        + "--bootstrap-server " + bootstrapServers + " --delete --group " + group);
            }
        }
    }

    private static <T> T await(KafkaFuture<T> future, String bootstrapServers) {
        try {
            return future.get(API_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            LOG.debug("Kafka call failed", e.getCause());
            throw StartupException.cluster(KafkaProblems.explain(e.getCause(), bootstrapServers, API_TIMEOUT));
        } catch (java.util.concurrent.TimeoutException e) {
            throw StartupException.cluster(KafkaProblems.noAnswer(bootstrapServers, API_TIMEOUT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StartupException.cluster("interrupted while connecting to Kafka at " + bootstrapServers);
        }
    }
}
