package dev.tokenrelay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.config.KafkaMetrics;
import dev.tokenrelay.ops.scrape.PrometheusText;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import org.junit.jupiter.api.Test;

class KafkaMetricsFilterTest {

    private static final String SCRAPE = """
            # HELP kafka_consumer_coordinator_commit_latency_avg The average time taken for a commit request
            # TYPE kafka_consumer_coordinator_commit_latency_avg gauge
            kafka_consumer_coordinator_commit_latency_avg{client_id="c-1",kafka_version="4.4.0"} NaN
            # HELP kafka_stream_thread_process_rate The average per-second number of calls to process
            # TYPE kafka_stream_thread_process_rate gauge
            kafka_stream_thread_process_rate{thread_id="t 1"} 12.5
            kafka_stream_thread_process_rate{thread_id="t 2"} NaN
            # HELP tokenrelay_attempts_total Attempts by account, outcome and reason
            # TYPE tokenrelay_attempts_total counter
            tokenrelay_attempts_total{account="a",outcome="SUCCESS",reason="ok"} 3.0
            """;

    @Test
    void shouldDropNaNSamplesAndTheCommentsOfFamiliesLeftEmpty() {
        // Given a scrape with a family that is all NaN, one that is partly NaN, and a counter
        // When the NaN samples are taken out
        String filtered = new KafkaMetricsFilter(KafkaMetrics.CURATED).scrape(SCRAPE);

        // Then the empty family is gone with its comments, the others keep theirs and their values
        assertThat(filtered).doesNotContain("NaN").doesNotContain("commit_latency_avg");
        assertThat(filtered).contains("# TYPE kafka_stream_thread_process_rate gauge",
                "kafka_stream_thread_process_rate{thread_id=\"t 1\"} 12.5",
                "# TYPE tokenrelay_attempts_total counter",
                "tokenrelay_attempts_total{account=\"a\",outcome=\"SUCCESS\",reason=\"ok\"} 3.0");
        assertThat(PrometheusText.parse(filtered).samples()).hasSize(2);
    }

    @Test
    void shouldLeaveTheScrapeAsKafkaReportsItWhenEveryMetricIsAskedFor() {
        // Given every Kafka metric asked for, Then the scrape is unchanged, NaN included
        assertThat(new KafkaMetricsFilter(KafkaMetrics.ALL).scrape(SCRAPE)).isEqualTo(SCRAPE);
    }

    @Test
    void shouldKeepTokenrelaysAndTheJvmsMetricsAndKafkasAsSelected() {
        // Given a curated Kafka metric, another Kafka metric, and metrics that are not Kafka's
        Meter.Id curated = id("kafka.stream.thread.process.rate");
        Meter.Id other = id("kafka.consumer.node.request.latency.avg");
        Meter.Id own = id("tokenrelay.attempts");
        Meter.Id jvm = id("jvm.memory.used");

        // Then each selection keeps what it says, and never drops the others
        KafkaMetricsFilter all = new KafkaMetricsFilter(KafkaMetrics.ALL);
        KafkaMetricsFilter curatedOnly = new KafkaMetricsFilter(KafkaMetrics.CURATED);
        KafkaMetricsFilter none = new KafkaMetricsFilter(KafkaMetrics.NONE);
        assertThat(all.accepts(curated) && all.accepts(other)).isTrue();
        assertThat(curatedOnly.accepts(curated)).isTrue();
        assertThat(curatedOnly.accepts(other)).isFalse();
        assertThat(none.accepts(curated) || none.accepts(other)).isFalse();
        assertThat(none.accepts(own) && none.accepts(jvm) && curatedOnly.accepts(own)).isTrue();
    }

    private static Meter.Id id(String name) {
        return new Meter.Id(name, Tags.empty(), null, null, Meter.Type.GAUGE);
    }
}
