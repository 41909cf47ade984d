package dev.tokenrelay.bench;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Kafka Streams' own per-thread metrics of an application in this JVM, read over JMX: how each
 * stream thread divides its time between polling, processing, punctuating and committing, and how
 * long those take. They tell where a stream thread's time goes when it is the bottleneck.
 */
final class StreamsThreadMetrics {

    /** The metrics kept; latencies are in milliseconds, ratios are shares of the thread's time. */
    static final List<String> NAMES = List.of("poll-ratio", "process-ratio", "punctuate-ratio", "commit-ratio",
            "poll-latency-avg", "poll-latency-max", "process-latency-avg", "process-latency-max",
            "punctuate-latency-avg", "punctuate-latency-max", "commit-latency-avg", "commit-latency-max",
            "commit-rate", "process-rate", "blocked-time-ns-total");

    private StreamsThreadMetrics() {}

    /**
     * The metrics of every stream thread of {@code applicationId}, by thread name without the
     * application's instance id ({@code StreamThread-1}); empty when none can be read.
     */
    static Map<String, Map<String, Double>> read(String applicationId) {
        Map<String, Map<String, Double>> threads = new TreeMap<>();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            Set<ObjectName> names = server.queryNames(
                    new ObjectName("kafka.streams:type=stream-thread-metrics,thread-id=" + applicationId + "-*"), null);
            for (ObjectName name : names) {
                String threadId = name.getKeyProperty("thread-id");
                String shortName = threadId.substring(threadId.lastIndexOf('-', threadId.lastIndexOf('-') - 1) + 1);
                Map<String, Double> values = new TreeMap<>();
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
                threads.put(shortName, values);
            }
        } catch (JMException e) {
            return Map.of();
        }
        return threads;
    }
}
