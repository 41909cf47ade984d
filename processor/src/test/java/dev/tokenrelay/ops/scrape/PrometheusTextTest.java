package dev.tokenrelay.ops.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    @Test
    void shouldReadSamplesWithLabelsAndSkipComments() {
        // Given a scrape with help and type lines, labels, an escaped label value and +Inf
        String text = """
                # HELP tokenrelay_attempts_total Attempts by account, outcome and reason
                # TYPE tokenrelay_attempts_total counter
                tokenrelay_attempts_total{account="a",outcome="SUCCESS",reason="ok"} 3.0
                tokenrelay_attempts_total{account="a",outcome="RETRYABLE",reason="status_500"} 1.0
                tokenrelay_attempts_total{account="b",outcome="SUCCESS",reason="ok"} 2.0
                odd{label="say \\"hi\\"\\\\"} 1
                tokenrelay_upstream_latency_seconds_bucket{account="a",le="+Inf"} +Inf
                process_uptime_seconds 12.5
                not a sample
                """;

        // When it is read
        PrometheusText scrape = PrometheusText.parse(text);

        // Then every sample is there, with its labels unescaped, and sums follow the labels
        assertThat(scrape.samples()).hasSize(6);
        assertThat(scrape.sum("tokenrelay_attempts_total", "account", "a")).isEqualTo(4.0);
        assertThat(scrape.sum("tokenrelay_attempts_total",
                labels -> "SUCCESS".equals(labels.get("outcome")))).isEqualTo(5.0);
        assertThat(scrape.samples().get(3).label("label")).isEqualTo("say \"hi\"\\");
        assertThat(scrape.samples().get(4).value()).isInfinite();
        assertThat(scrape.sum("process_uptime_seconds", labels -> true)).isEqualTo(12.5);
        assertThat(scrape.sum("missing", labels -> true)).isZero();
    }
}
