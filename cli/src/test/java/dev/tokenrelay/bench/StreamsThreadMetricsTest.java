package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.ops.scrape.PrometheusText;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamsThreadMetricsTest {

    private static final String THREAD_1 = "bench-relay-a47e678a-ec2b-408f-8155-08211172dd04-StreamThread-1";
    private static final String THREAD_2 = "bench-relay-a47e678a-ec2b-408f-8155-08211172dd04-StreamThread-2";
    private static final String INTAKE_THREAD = "bench-relay-0c1d2e3f-0000-4000-8000-000000000001-StreamThread-1";

    @Test
    void shouldReadEachStreamThreadsTimeAndRecordsFromAProcessorsScrape() {
        // Given a scrape with two threads' shares of time, their reads per task and another application's thread
        PrometheusText scrape = PrometheusText.parse("""
                # TYPE kafka_stream_thread_process_ratio gauge
                kafka_stream_thread_process_ratio{client_id="c",thread_id="%1$s"} 0.438
                kafka_stream_thread_punctuate_ratio{client_id="c",thread_id="%1$s"} 0.345
                kafka_stream_thread_commit_latency_avg{client_id="c",thread_id="%1$s"} 14.2
                kafka_stream_thread_poll_ratio{client_id="c",thread_id="%2$s"} 0.75
                kafka_stream_thread_process_ratio{client_id="c",thread_id="%2$s"} NaN
                kafka_stream_topic_records_consumed_total{task_id="5_2",thread_id="%1$s",topic="bench-relay.attempts"} 40000.0
                kafka_stream_topic_records_consumed_total{task_id="4_0",thread_id="%1$s",topic="bench-relay.requests"} 10000.0
                kafka_stream_topic_records_consumed_total{task_id="4_2",thread_id="%1$s",topic="bench-relay.requests"} 10001.0
                kafka_stream_topic_records_consumed_total{task_id="5_0",thread_id="%1$s",topic="bench-relay.control"} 0.0
                kafka_stream_topic_records_consumed_total{task_id="4_1",thread_id="%2$s",topic="bench-relay.requests"} 19999.0
                kafka_stream_thread_process_ratio{client_id="c",thread_id="bench-pipe-a47e678a-ec2b-408f-8155-08211172dd04-StreamThread-1"} 0.9
                """.formatted(THREAD_1, THREAD_2));

        // When it is read for the application
        Map<String, Map<String, Double>> threads = StreamsThreadMetrics.fromPrometheus(scrape, "bench-relay");

        // Then each thread has its short name, its finite figures and its reads summed over its tasks
        assertThat(threads).containsOnlyKeys("StreamThread-1", "StreamThread-2");
        assertThat(threads.get("StreamThread-1")).containsEntry("process-ratio", 0.438)
                .containsEntry("punctuate-ratio", 0.345).containsEntry("commit-latency-avg", 14.2);
        assertThat(threads.get("StreamThread-2")).containsEntry("poll-ratio", 0.75).doesNotContainKey("process-ratio");
        assertThat(StreamsThreadMetrics.recordsRead(threads.get("StreamThread-1")))
                .containsExactly(Map.entry("attempts", 40000.0), Map.entry("requests", 20001.0));
        assertThat(StreamsThreadMetrics.recordsRead(threads.get("StreamThread-2")))
                .containsExactly(Map.entry("requests", 19999.0));
    }

    @Test
    void shouldKeepTwoClientsThreadsOfOneNameApart() {
        // Given intake apart: two clients of one application, each with a StreamThread-1
        PrometheusText scrape = PrometheusText.parse("""
                kafka_stream_thread_process_ratio{thread_id="%s"} 0.5
                kafka_stream_thread_process_ratio{thread_id="%s"} 0.2
                """.formatted(THREAD_1, INTAKE_THREAD));

        // When it is read
        Map<String, Map<String, Double>> threads = StreamsThreadMetrics.fromPrometheus(scrape, "bench-relay");

        // Then each is named with the first part of its client's UUID, rather than one overwriting the other
        assertThat(threads).containsOnlyKeys("a47e678a-StreamThread-1", "0c1d2e3f-StreamThread-1");
        assertThat(threads.get("a47e678a-StreamThread-1")).containsEntry("process-ratio", 0.5);
        assertThat(threads.get("0c1d2e3f-StreamThread-1")).containsEntry("process-ratio", 0.2);
    }
}
