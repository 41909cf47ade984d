package dev.tokenrelay.tools;

import dev.tokenrelay.schema.JsonCodec;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes records to the control topic ({@code BatchOpened} from {@code submit}, {@code Cancel} from
 * {@code cancel}), each acknowledged before the next: there are a handful, and a command must not
 * say it did what the broker did not take.
 */
public final class ControlWriter implements AutoCloseable {

    private final Cluster cluster;
    private final String topic;
    private final KafkaProducer<String, byte[]> producer;

    private ControlWriter(Cluster cluster, String topic, KafkaProducer<String, byte[]> producer) {
        this.cluster = cluster;
        this.topic = topic;
        this.producer = producer;
    }

    /** A writer to the control topic of {@code cluster}, as client {@code clientId}. */
    public static ControlWriter open(Cluster cluster, String clientId) {
        String topic = cluster.topics().control().name();
        try {
            return new ControlWriter(cluster, topic, new KafkaProducer<>(cluster.producerConfig(clientId),
                    new StringSerializer(), new ByteArraySerializer()));
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
    }

    /** The name of the control topic. */
    public String topic() {
        return topic;
    }

    /** Writes {@code value} under {@code key} and waits for the broker to take it. */
    public void write(String key, Object value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, JsonCodec.encode(value)))
                    .get(Cluster.API_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw cluster.translate(e.getCause(), topic);
        } catch (TimeoutException e) {
            throw cluster.unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ToolException.failure("interrupted while writing to " + topic);
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
