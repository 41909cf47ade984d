package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces requests to the requests topic the way the processor expects them: key = request id,
 * value = the request's JSON, from an idempotent producer with {@code acks=all}, so a retried send
 * never writes a request twice.
 */
public final class RequestSender {

    private static final Logger LOG = LoggerFactory.getLogger(RequestSender.class);

    private RequestSender() {}

    /**
     * What happened to a batch of sends.
     *
     * @param sent how many the broker acknowledged
     * @param written the requests the broker acknowledged, in no particular order
     * @param failed how many were not written (not sent at all after the first failure, or refused)
     * @param firstError the first failure, for people, or {@code null}
     * @param elapsed from the first send to the last acknowledgement
     */
    public record Report(int sent, List<ChatRequest> written, int failed, String firstError, Duration elapsed) {

        public Report {
            written = List.copyOf(written);
        }

        /** Whether every request was written. */
        public boolean complete() {
            return failed == 0;
        }
    }

    /**
     * Sends {@code requests} to {@code topic} and waits until each is acknowledged or has failed.
     * Sending stops at the first failure: the usual cause (broker gone, not authorized) fails
     * everything after it too, and waiting for each to time out helps nobody.
     */
    public static Report send(Cluster cluster, String topic, List<ChatRequest> requests, Progress progress) {
        AtomicInteger acknowledged = new AtomicInteger();
        Queue<ChatRequest> written = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        long start = System.nanoTime();
        int attempted = 0;
        KafkaProducer<String, byte[]> producer;
        try {
            producer = new KafkaProducer<>(cluster.producerConfig("tokenrelay-submit"),
                    new StringSerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            throw cluster.translate(e, topic);
        }
        try {
            for (ChatRequest request : requests) {
                if (firstError.get() != null) {
                    break;
                }
                try {
                    producer.send(new ProducerRecord<>(topic, request.id(), JsonCodec.encode(request)), (metadata, error) -> {
                        if (error == null) {
                            written.add(request);
                            acknowledged.incrementAndGet();
                        } else {
                            refused.incrementAndGet();
                            firstError.compareAndSet(null, error);
                        }
                    });
                    attempted++;
                } catch (KafkaException e) {
                    firstError.compareAndSet(null, e);
                }
                progress.update(acknowledged.get(), requests.size(), "");
            }
            producer.flush();
        } catch (KafkaException e) {
            firstError.compareAndSet(null, e);
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
        progress.finish();
        int failed = requests.size() - acknowledged.get();
        String error = null;
        if (firstError.get() != null) {
            LOG.debug("sending requests failed", firstError.get());
            error = cluster.translate(firstError.get(), topic).getMessage();
        }
        LOG.debug("{} requests attempted, {} acknowledged, {} refused", attempted, acknowledged.get(), refused.get());
        return new Report(acknowledged.get(), List.copyOf(written), failed, error, Duration.ofNanos(System.nanoTime() - start));
    }
}
