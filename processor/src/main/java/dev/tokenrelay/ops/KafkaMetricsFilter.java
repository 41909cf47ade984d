package dev.tokenrelay.ops;

import dev.tokenrelay.config.KafkaMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Chooses which of Kafka's own metrics reach the registry ({@code ops.kafkaMetrics}), and takes
 * the samples that have no value out of a scrape.
 *
 * <p>Kafka registers a metric for every client, node connection, thread, task, processor node,
 * partition and RocksDB property: about 1,700 series for one processor with four partitions, a
 * fifth of them NaN (latencies of things that have not happened yet, averages of empty windows).
 * The curated set keeps what answers "does it keep up, and if not, where": per thread the
 * process, poll, commit and punctuate rates, latencies and share of time; dropped records; store
 * sizes and restoration; consumer lag, consumption and rebalances; the producer's sends, errors,
 * retries and transaction commits; records per topic.
 */
final class KafkaMetricsFilter {

    /** Micrometer's prefix for every metric of a Kafka client or Kafka Streams. */
    static final String KAFKA_PREFIX = "kafka.";

    /** The curated metrics, as Micrometer names them: {@code kafka.<group without -metrics>.<name>}, dots for dashes. */
    static final Set<String> CURATED = Set.of(
            // Kafka Streams: the client and its threads
            "kafka.stream.alive.stream.threads",
            "kafka.stream.failed.stream.threads",
            "kafka.stream.thread.process.rate",
            "kafka.stream.thread.process.total",
            "kafka.stream.thread.process.latency.avg",
            "kafka.stream.thread.process.latency.max",
            "kafka.stream.thread.process.ratio",
            "kafka.stream.thread.poll.rate",
            "kafka.stream.thread.poll.latency.avg",
            "kafka.stream.thread.poll.ratio",
            "kafka.stream.thread.poll.records.avg",
            "kafka.stream.thread.commit.rate",
            "kafka.stream.thread.commit.latency.avg",
            "kafka.stream.thread.commit.latency.max",
            "kafka.stream.thread.commit.ratio",
            "kafka.stream.thread.punctuate.rate",
            "kafka.stream.thread.punctuate.latency.avg",
            "kafka.stream.thread.punctuate.ratio",
            "kafka.stream.thread.task.created.total",
            "kafka.stream.thread.task.closed.total",
            // Kafka Streams: tasks, stores, topics
            "kafka.stream.task.dropped.records.total",
            "kafka.stream.state.estimate.num.keys",
            "kafka.stream.state.total.sst.files.size",
            "kafka.stream.state.updater.active.restoring.tasks",
            "kafka.stream.topic.records.consumed.total",
            "kafka.stream.topic.records.produced.total",
            // The consumers: lag, what they read, rebalances, a poll loop that stalls
            "kafka.consumer.fetch.manager.records.lag.max",
            "kafka.consumer.fetch.manager.records.consumed.rate",
            "kafka.consumer.coordinator.assigned.partitions",
            "kafka.consumer.coordinator.rebalance.total",
            "kafka.consumer.coordinator.failed.rebalance.total",
            "kafka.consumer.coordinator.last.rebalance.seconds.ago",
            "kafka.consumer.last.poll.seconds.ago",
            // The producer: sends, errors, retries, transactions
            "kafka.producer.record.send.rate",
            "kafka.producer.record.error.rate",
            "kafka.producer.record.error.total",
            "kafka.producer.record.retry.total",
            "kafka.producer.request.latency.avg",
            "kafka.producer.txn.commit.time.ns.total",
            "kafka.producer.txn.abort.time.ns.total");

    private final KafkaMetrics selection;

    KafkaMetricsFilter(KafkaMetrics selection) {
        this.selection = selection;
    }

    /** Keeps every meter that is not Kafka's, and Kafka's as the selection says. */
    MeterFilter meterFilter() {
        return MeterFilter.deny(id -> !accepts(id));
    }

    boolean accepts(Meter.Id id) {
        String name = id.getName();
        if (!name.startsWith(KAFKA_PREFIX)) {
            return true;
        }
        return switch (selection) {
            case ALL -> true;
            case CURATED -> CURATED.contains(name);
            case NONE -> false;
        };
    }

    /**
     * The scrape without its NaN samples, unless every Kafka metric was asked for (then it is as
     * Kafka reports it). A NaN says "nothing measured yet" and is skipped by every query anyway;
     * the families left without a sample lose their HELP and TYPE lines too.
     */
    String scrape(String text) {
        if (selection == KafkaMetrics.ALL || !text.contains("NaN")) {
            return text;
        }
        return withoutNaN(text);
    }

    /** Drops the sample lines whose value is NaN, and the comments of families that have no sample left. */
    static String withoutNaN(String text) {
        String[] lines = text.split("\n", -1);
        Set<String> families = new HashSet<>();
        List<String> kept = new ArrayList<>(lines.length);
        for (String line : lines) {
            if (line.isEmpty() || line.startsWith("#")) {
                kept.add(line);
            } else if (!isNaN(line)) {
                kept.add(line);
                families.add(family(line));
            }
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < kept.size(); i++) {
            String line = kept.get(i);
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String name = line.substring(7).split(" ", 2)[0];
                if (!families.contains(name) && !hasSuffixedSamples(families, name)) {
                    continue;
                }
            }
            out.append(line);
            if (i < kept.size() - 1) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    // A sample is "name{labels} value" or "name value"; label values may hold spaces, so the value
    // is the first token after the closing brace.
    private static boolean isNaN(String line) {
        int brace = line.lastIndexOf('}');
        String rest = (brace >= 0 ? line.substring(brace + 1) : line.substring(line.indexOf(' ') + 1)).strip();
        int space = rest.indexOf(' ');
        String value = space < 0 ? rest : rest.substring(0, space);
        return value.equals("NaN");
    }

    private static String family(String line) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
            end++;
        }
        return line.substring(0, end);
    }

    // A counter's samples are name_total, a histogram's name_bucket, name_sum, name_count.
    private static boolean hasSuffixedSamples(Set<String> families, String name) {
        return families.contains(name + "_total") || families.contains(name + "_bucket")
                || families.contains(name + "_count") || families.contains(name + "_sum")
                || families.contains(name + "_created");
    }
}
