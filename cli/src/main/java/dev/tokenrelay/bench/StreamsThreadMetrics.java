package dev.tokenrelay.bench;

import dev.tokenrelay.ops.scrape.PrometheusText;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Kafka Streams' own per-thread metrics of an application: how each stream thread divides its time
 * between polling, processing, punctuating and committing, how long those take, and how many
 * records it read from each input topic. They tell where a stream thread's time goes when it is the
 * bottleneck, and which thread carries which stage: one busy account's dispatch task runs on one
 * thread, and that thread also reads whatever intake tasks it was given.
 */
final class StreamsThreadMetrics {

    /** The metrics kept; latencies are in milliseconds, ratios are shares of the thread's time. */
    static final List<String> NAMES = List.of("poll-ratio", "process-ratio", "punctuate-ratio", "commit-ratio",
            "poll-latency-avg", "poll-latency-max", "process-latency-avg", "process-latency-max",
            "punctuate-latency-avg", "punctuate-latency-max", "commit-latency-avg", "commit-latency-max",
            "commit-rate", "process-rate", "blocked-time-ns-total");

    /**
     * The prefix of the entries that count the records a thread read from one input topic, followed
     * by the topic's name without the application's prefix ({@code records-read:requests}).
     */
    static final String RECORDS_READ = "records-read:";

    // <application id>-<instance UUID>-StreamThread-<n>: the UUID differs between two clients in one process.
    private static final Pattern THREAD_ID = Pattern.compile(
            "(?<uuid>[0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-(?<thread>.+)");

    private StreamsThreadMetrics() {}

    /**
     * The metrics of every stream thread of {@code applicationId} in this JVM, read over JMX, by
     * thread name without the application's instance id ({@code StreamThread-1}); empty when none
     * can be read.
     */
    static Map<String, Map<String, Double>> read(String applicationId) {
        Map<String, Map<String, Double>> threads = new TreeMap<>();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            Set<ObjectName> names = server.queryNames(
                    new ObjectName("kafka.streams:type=stream-thread-metrics,thread-id=" + applicationId + "-*"), null);
            for (ObjectName name : names) {
                Map<String, Double> values = threads.computeIfAbsent(name.getKeyProperty("thread-id"), id -> new TreeMap<>());
                for (String metric : NAMES) {
                    try {
                        if (server.getAttribute(name, metric) instanceof Number number
                                && Double.isFinite(number.doubleValue())) {
                            values.put(metric, number.doubleValue());
                        }
                    } catch (JMException e) {
                        // Not every Kafka Streams version has every metric.
                    }
                }
            }
            for (ObjectName name : server.queryNames(new ObjectName(
                    "kafka.streams:type=stream-topic-metrics,thread-id=" + applicationId + "-*,*"), null)) {
                try {
                    if (server.getAttribute(name, "records-consumed-total") instanceof Number number) {
                        addRead(threads.computeIfAbsent(name.getKeyProperty("thread-id"), id -> new TreeMap<>()),
                                applicationId, name.getKeyProperty("topic"), number.doubleValue());
                    }
                } catch (JMException e) {
                    // Topic-level metrics came with Kafka Streams 3.3; older ones have none.
                }
            }
        } catch (JMException e) {
            return Map.of();
        }
        return byShortName(threads, applicationId);
    }

    /**
     * The same figures from a processor's {@code /metrics} (Prometheus text, tokenrelay's curated
     * Kafka metrics), for a processor in a process of its own. Metrics the curated set leaves out
     * (the maxima of poll and process, the blocked time) are absent.
     */
    static Map<String, Map<String, Double>> fromPrometheus(PrometheusText scrape, String applicationId) {
        Map<String, Map<String, Double>> threads = new TreeMap<>();
        for (PrometheusText.Sample sample : scrape.samples()) {
            String threadId = sample.label("thread_id");
            if (threadId == null || !threadId.startsWith(applicationId + "-") || !Double.isFinite(sample.value())) {
                continue;
            }
            if (sample.name().equals("kafka_stream_topic_records_consumed_total") && sample.label("topic") != null) {
                addRead(threads.computeIfAbsent(threadId, id -> new TreeMap<>()), applicationId, sample.label("topic"),
                        sample.value());
                continue;
            }
            for (String metric : NAMES) {
                if (sample.name().equals("kafka_stream_thread_" + metric.replace('-', '_'))) {
                    threads.computeIfAbsent(threadId, id -> new TreeMap<>()).put(metric, sample.value());
                }
            }
        }
        return byShortName(threads, applicationId);
    }

    /** The records each thread read from each input topic, by topic; empty for a thread that read none. */
    static Map<String, Double> recordsRead(Map<String, Double> thread) {
        Map<String, Double> read = new TreeMap<>();
        thread.forEach((key, value) -> {
            if (key.startsWith(RECORDS_READ) && value > 0) {
                read.put(key.substring(RECORDS_READ.length()), value);
            }
        });
        return read;
    }

    private static void addRead(Map<String, Double> thread, String applicationId, String topic, double records) {
        String shortTopic = topic.startsWith(applicationId + ".") ? topic.substring(applicationId.length() + 1) : topic;
        thread.merge(RECORDS_READ + shortTopic, records, Double::sum);
    }

    /**
     * The threads by short name: {@code StreamThread-1}, without the application id and its
     * client's UUID; or, when the processor runs two clients (intake apart), each with the first
     * part of its client's UUID in front ({@code bf871767-StreamThread-1}), since both clients have a
     * {@code StreamThread-1}.
     */
    private static Map<String, Map<String, Double>> byShortName(Map<String, Map<String, Double>> threads,
            String applicationId) {
        Map<String, Matcher> parsed = new TreeMap<>();
        Set<String> clients = new TreeSet<>();
        threads.keySet().forEach(threadId -> {
            Matcher matcher = THREAD_ID.matcher(threadId.substring(applicationId.length() + 1));
            if (matcher.matches()) {
                parsed.put(threadId, matcher);
                clients.add(matcher.group("uuid"));
            }
        });
        Map<String, Map<String, Double>> named = new TreeMap<>();
        threads.forEach((threadId, values) -> {
            Matcher matcher = parsed.get(threadId);
            String name = matcher == null ? threadId.substring(applicationId.length() + 1)
                    : clients.size() > 1 ? matcher.group("uuid") + "-" + matcher.group("thread") : matcher.group("thread");
            named.put(name, values);
        });
        return named;
    }
}
