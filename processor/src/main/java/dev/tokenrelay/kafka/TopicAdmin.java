package dev.tokenrelay.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics an application needs, idempotently.
 *
 * <p>Safe to call from several processes at once: a topic another caller created first counts as
 * created. An existing topic is left as it is (its partitions and configs are not compared).
 */
public final class TopicAdmin {

    private static final long DESCRIBE_BACKOFF_MS = 50;

    private TopicAdmin() {
    }

    /**
     * Creates those of {@code topics} that do not exist yet and waits until every one of them can
     * be described and has a leader for each partition.
     *
     * @param admin   the admin client to use
     * @param topics  the topics, with partitions, replication factor and configs
     * @param timeout the time allowed for the whole operation
     * @throws IllegalStateException naming the topic, if one cannot be created or does not become
     *                               ready within {@code timeout}
     */
    public static void ensureTopics(Admin admin, Collection<NewTopic> topics, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(timeout, "timeout");
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, NewTopic> byName = new LinkedHashMap<>();
        for (NewTopic topic : topics) {
            byName.put(topic.name(), topic);
        }

        Set<String> existing = await(admin.listTopics(new ListTopicsOptions().timeoutMs(remainingMs(deadline))).names(),
                deadline, "Listing topics before creating " + byName.keySet());
        List<NewTopic> missing = byName.values().stream().filter(t -> !existing.contains(t.name())).toList();
        if (!missing.isEmpty()) {
            Map<String, KafkaFuture<Void>> created =
                    admin.createTopics(missing, new CreateTopicsOptions().timeoutMs(remainingMs(deadline))).values();
            for (NewTopic topic : missing) {
                awaitCreated(created.get(topic.name()), topic.name(), deadline);
            }
        }
        awaitReady(admin, byName.keySet(), deadline, timeout);
    }

    private static void awaitReady(Admin admin, Set<String> names, long deadline, Duration timeout) {
        for (String name : names) {
            while (true) {
                String problem;
                try {
                    TopicDescription description = admin.describeTopics(List.of(name),
                                    new DescribeTopicsOptions().timeoutMs(remainingMs(deadline)))
                            .allTopicNames().get(remainingMs(deadline), TimeUnit.MILLISECONDS).get(name);
                    problem = description.partitions().stream()
                            .filter(p -> p.leader() == null || p.leader().isEmpty())
                            .map(TopicPartitionInfo::partition)
                            .findFirst()
                            .map(p -> "partition " + p + " has no leader")
                            .orElse(null);
                    if (problem == null) {
                        break;
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof RetriableException)) {
                        throw new IllegalStateException("Describing topic '" + name + "' failed: " + e.getCause(), e.getCause());
                    }
                    problem = e.getCause().toString();
                } catch (TimeoutException e) {
                    problem = "describe timed out";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for topic '" + name + "'", e);
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("Topic '" + name + "' was not ready within " + timeout + ": " + problem);
                }
                try {
                    // Metadata reaches the broker shortly after creation; poll until it has.
                    Thread.sleep(DESCRIBE_BACKOFF_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for topic '" + name + "'", e);
                }
            }
        }
    }

    private static void awaitCreated(KafkaFuture<Void> future, String name, long deadline) {
        try {
            future.get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                // Another starter winning the race is fine; the describe that follows checks the topic.
                throw new IllegalStateException("Creating topic '" + name + "' failed: " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Creating topic '" + name + "' timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic '" + name + "'", e);
        }
    }

    private static <T> T await(KafkaFuture<T> future, long deadline, String what) {
        try {
            return future.get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted: " + what, e);
        }
    }

    private static int remainingMs(long deadline) {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
    }
}
