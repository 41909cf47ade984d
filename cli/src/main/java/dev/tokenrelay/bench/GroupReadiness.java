package dev.tokenrelay.bench;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

/**
 * Waits until a Streams application's consumer group has settled: every stream thread a member,
 * every input partition assigned, and the same assignment a moment later. A Streams application
 * reports RUNNING after its first rebalance, but with several threads a second one often follows
 * within seconds; measuring from the first would charge that rebalance to throughput.
 */
final class GroupReadiness {

    private static final long CHECK_MILLIS = 250;
    private static final int STABLE_CHECKS = 3;

    private GroupReadiness() {}

    /**
     * Waits for the group.
     *
     * @param members how many members (stream threads) the group must have
     * @param inputs the input topics whose partitions must all be assigned
     * @throws IllegalStateException if the group does not settle in time
     */
    static void await(String bootstrapServers, String groupId, int members, Map<String, Integer> inputs,
            Duration timeout) throws InterruptedException {
        Set<TopicPartition> expected = new HashSet<>();
        inputs.forEach((topic, partitions) -> {
            for (int p = 0; p < partitions; p++) {
                expected.add(new TopicPartition(topic, p));
            }
        });
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, Measurement.LOAD_PREFIX + "group-check"))) {
            int stableFor = 0;
            String previous = null;
            while (System.nanoTime() < deadline) {
                ConsumerGroupDescription group = describe(admin, groupId);
                last = group == null ? "unknown" : group.groupState() + " with " + group.members().size() + " members";
                String settled = group == null ? null : settledAssignment(group, members, expected);
                stableFor = settled != null && settled.equals(previous) ? stableFor + 1 : settled == null ? 0 : 1;
                previous = settled;
                if (stableFor >= STABLE_CHECKS) {
                    return;
                }
                Thread.sleep(CHECK_MILLIS);
            }
        }
        throw new IllegalStateException("the consumer group " + groupId + " did not settle within " + timeout.toSeconds()
                + " s (last seen: " + last + ")");
    }

    /** The assignment as text when the group is stable, complete and has every member; else null. */
    private static String settledAssignment(ConsumerGroupDescription group, int members, Set<TopicPartition> expected) {
        if (group.groupState() != GroupState.STABLE || group.members().size() != members) {
            return null;
        }
        Set<TopicPartition> assigned = new HashSet<>();
        List<String> parts = new java.util.ArrayList<>();
        for (MemberDescription member : group.members()) {
            assigned.addAll(member.assignment().topicPartitions());
            parts.add(member.consumerId() + "=" + new java.util.TreeSet<>(member.assignment().topicPartitions().stream()
                    .map(TopicPartition::toString).toList()));
        }
        if (!assigned.containsAll(expected)) {
            return null;
        }
        parts.sort(null);
        return String.join(";", parts);
    }

    private static ConsumerGroupDescription describe(Admin admin, String groupId) throws InterruptedException {
        try {
            return admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId)
                    .get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }
}
