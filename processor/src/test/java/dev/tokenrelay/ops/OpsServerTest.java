package dev.tokenrelay.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OpsServerTest {

    private final AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.CREATED);
    private final OpsServer server = OpsServer.start("127.0.0.1", 0, () -> "tokenrelay_up 1\n", state::get);
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        server.close();
    }

    @Test
    void shouldBeReadyOnlyWhileStreamsRuns() throws Exception {
        // Given Streams not started yet: alive, not ready
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> notReady = get("/health/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("\"state\":\"CREATED\"");

        // When it runs, Then it is ready; while it rebalances, alive but not ready
        state.set(KafkaStreams.State.RUNNING);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
        state.set(KafkaStreams.State.REBALANCING);
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);
        assertThat(get("/health/live").statusCode()).isEqualTo(200);

        // When it failed, Then it is neither
        state.set(KafkaStreams.State.ERROR);
        assertThat(get("/health/live").statusCode()).isEqualTo(503);
        assertThat(get("/health/ready").body()).contains("\"state\":\"ERROR\"");
    }

    @Test
    void shouldServeMetricsInThePrometheusTextFormat() throws Exception {
        // When the metrics are fetched
        HttpResponse<String> metrics = get("/metrics");

        // Then they come as Prometheus text
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body()).isEqualTo("tokenrelay_up 1\n");
    }

    @Test
    void shouldAnswerUnknownPathsAndMethodsWithTheirStatus() throws Exception {
        assertThat(get("/metricsx").statusCode()).isEqualTo(404);
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(server.uri().resolve("/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void shouldSayWhatToDoWhenThePortIsTaken() {
        // Given the port this server holds, When a second server asks for it
        int port = server.uri().getPort();
        Throwable error = catchThrowable(() -> OpsServer.start("127.0.0.1", port, () -> "", state::get));

        // Then the message names the address and the setting
        assertThat(error).isInstanceOf(OpsException.class)
                .hasMessageStartingWith("ops: cannot listen on 127.0.0.1:" + port)
                .hasMessageEndingWith("set ops.port to a free port (0 = any free port, -1 = off)");
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        URI uri = server.uri().resolve(path);
        return client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
