package dev.tokenrelay.batches;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.cancel.StoreCancellations;
import dev.tokenrelay.config.TopicsConfig;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.schema.BatchOpened;
import dev.tokenrelay.schema.BatchStatus;
import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch counter and the cancellations store in a {@link TopologyTestDriver}, with no broker. */
class BatchTopologyTest {

    private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");

    @TempDir
    Path stateDir;

    private final AtomicLong cancelVersion = new AtomicLong();
    private TopologyTestDriver driver;
    private TestInputTopic<String, ChatResult> results;
    private TestInputTopic<String, byte[]> control;
    private TestOutputTopic<String, BatchStatus> batches;

    @BeforeEach
    void start() {
        Topics topics = new Topics(TopicsConfig.defaults());
        StreamsBuilder builder = new StreamsBuilder();
        BatchTopology.build(builder, topics, cancelVersion);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "batch-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(builder.build(), props);
        results = driver.createInputTopic(topics.results(), Topics.KEYS.serializer(), Topics.RESULTS.serializer());
        control = driver.createInputTopic(topics.control(), Topics.KEYS.serializer(), Topics.RAW_CONTROL.serializer());
        batches = driver.createOutputTopic(topics.batches(), Topics.KEYS.deserializer(), Topics.BATCH_STATUSES.deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldTellAResultInNoBatchWithoutDecodingIt() {
        // Given a result in no batch whose answer mentions "batch": in its text, and one in a batch
        ObjectNode completion = JsonNodeFactory.instance.objectNode();
        completion.putArray("choices").addObject().putObject("message").put("content", "{\"batch\": 7}");
        ChatResult none = new ChatResult("r-1", 0, ResultStatus.SUCCEEDED, 200, completion, null, null, null,
                List.of(), Instant.EPOCH);
        ChatResult inOne = new ChatResult("r-2", 0, ResultStatus.SUCCEEDED, 200, completion, null, null, null,
                List.of(), Instant.EPOCH, "nightly");

        // When their bytes are looked at, then only the one in a batch may have one
        assertThat(BatchTopology.mayHaveBatch(JsonCodec.encode(none))).isFalse();
        assertThat(BatchTopology.mayHaveBatch(JsonCodec.encode(inOne))).isTrue();
    }

    @Test
    void shouldCountTheResultsOfABatchAndFinishItWhenTheTotalIsReached() {
        // Given a batch of three opened by submit
        control.pipeInput("nightly", JsonCodec.encode(new BatchOpened("nightly", 3, T0, "PT2S")));

        // When its three results arrive, and one of no batch
        results.pipeInput("r1", result("r1", ResultStatus.SUCCEEDED, "nightly", 1));
        results.pipeInput("r0", result("r0", ResultStatus.SUCCEEDED, null, 1));
        results.pipeInput("r2", result("r2", ResultStatus.FAILED, "nightly", 2));
        results.pipeInput("r3", result("r3", ResultStatus.CANCELLED, "nightly", 3));

        // Then every change is written, and the last says it finished at its last result
        List<BatchStatus> written = batches.readValuesToList();
        assertThat(written).hasSize(4).allSatisfy(status -> assertThat(status.batch()).isEqualTo("nightly"));
        assertThat(written.get(0).inProgress()).isEqualTo(3);
        assertThat(written.get(2).finishedAt()).isNull();
        assertThat(written.get(3)).isEqualTo(new BatchStatus("nightly", 3, 1, 1, 0, 0, 1, 0, T0,
                T0.plusSeconds(3), "PT2S"));
    }

    @Test
    void shouldCountResultsThatArriveBeforeTheBatchIsOpened() {
        // Given two results of a batch whose opening has not arrived
        results.pipeInput("r1", result("r1", ResultStatus.EXPIRED, "early", 1));
        results.pipeInput("r2", result("r2", ResultStatus.SUCCEEDED, "early", 2));

        // When the batch is opened with a total of two
        control.pipeInput("early", JsonCodec.encode(new BatchOpened("early", 2, T0, null)));

        // Then the total is unknown until then, and the batch is finished by its opening
        List<BatchStatus> written = batches.readValuesToList();
        assertThat(written.get(1).total()).isNull();
        assertThat(written.get(1).inProgress()).isNull();
        assertThat(written.get(1).createdAt()).isEqualTo(T0.plusSeconds(1));
        BatchStatus last = written.get(2);
        assertThat(last.total()).isEqualTo(2);
        assertThat(last.expired()).isEqualTo(1);
        assertThat(last.inProgress()).isZero();
        assertThat(last.createdAt()).isEqualTo(T0);
        assertThat(last.finishedAt()).isNotNull();
    }

    @Test
    void shouldCopyCancellationsToTheGlobalStoreAndMatchRequestsThere() {
        // Given cancellations of a batch, a request and a metadata field, and a control record that is none
        control.pipeInput(Cancel.batchKey("nightly"), JsonCodec.encode(Cancel.ofBatch("nightly", null, T0)));
        control.pipeInput(Cancel.requestKey("r9"), JsonCodec.encode(Cancel.ofRequest("r9", "wrong prompt", T0)));
        control.pipeInput(Cancel.metadataKey("tenant", "acme"), JsonCodec.encode(Cancel.ofMetadata("tenant", "acme", null, T0)));
        control.pipeInput("request:bad", "not json".getBytes(StandardCharsets.UTF_8));

        // When requests are asked about through the store
        KeyValueStore<String, Cancel> store = driver.getKeyValueStore(StoreCancellations.STORE);
        StoreCancellations cancellations = new StoreCancellations(store, cancelVersion);

        // Then the matching ones are cancelled with their reason, the version moved once per cancellation
        assertThat(cancellations.cancelled(request("r1", "nightly", null))).contains("batch nightly cancelled");
        assertThat(cancellations.cancelled(request("r9", null, null))).contains("wrong prompt");
        assertThat(cancellations.cancelled(request("r2", null, "acme"))).contains("requests with metadata tenant=acme cancelled");
        assertThat(cancellations.cancelled(request("r3", "other", "globex"))).isEmpty();
        assertThat(cancellations.version()).isEqualTo(3);
        assertThat(store.get("request:bad")).isNull();
        assertThat(batches.isEmpty()).isTrue();
    }

    private static ChatResult result(String id, ResultStatus status, String batch, int second) {
        return new ChatResult(id, 0, status, 200, null, null, null, null, List.of(), T0.plusSeconds(second), batch);
    }

    private static ChatRequest request(String id, String batch, String tenant) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "q");
        ObjectNode metadata = tenant == null ? null : JsonNodeFactory.instance.objectNode().put("tenant", tenant);
        return new ChatRequest(id, 0, body, null, null, null, metadata, 0, batch);
    }
}
