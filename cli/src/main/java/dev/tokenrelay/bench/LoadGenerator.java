package dev.tokenrelay.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.JsonCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The benchmark's client: builds the requests up front (so that encoding them is not part of the
 * measured stretch) and produces them to a requests topic, all at once or at a fixed rate.
 */
final class LoadGenerator implements AutoCloseable {

    /** The client id, and the name of its network thread, which the CPU meter counts as load. */
    static final String CLIENT_ID = Measurement.LOAD_PREFIX + "producer";

    private static final String[] WORDS = ("the of and to in is you that it he was for on are as with his they at be this"
            + " have from or one had by word but not what all were we when your can said there use an each which she"
            + " do how their if will up other about out many then them these so some her would make like him into time"
            + " has look two more write go see number no way could people my than first water been call who oil its now"
            + " find long down day did get come made may part summarize explain translate rewrite answer question"
            + " customer invoice order shipping refund account password report quarterly revenue forecast model"
            + " latency throughput partition broker stream message request response error retry timeout deadline"
            + " please briefly carefully following document paragraph table list steps reason example python java"
            + " function class method variable database query index schema migration deploy server client network")
            .split(" ");

    private final String idPrefix;
    private final List<String> ids;
    private final List<byte[]> values;
    private final KafkaProducer<String, byte[]> producer;

    private LoadGenerator(String idPrefix, List<String> ids, List<byte[]> values, KafkaProducer<String, byte[]> producer) {
        this.idPrefix = idPrefix;
        this.ids = ids;
        this.values = values;
        this.producer = producer;
    }

    /**
     * Encodes {@code count} chat requests whose user message is {@code promptChars} long, and opens
     * a producer to {@code bootstrapServers}.
     *
     * @param idPrefix starts every request id, so that a reader can tell these requests' results apart
     */
    static LoadGenerator create(String bootstrapServers, String idPrefix, int count, int promptChars) {
        List<String> ids = new ArrayList<>(count);
        List<byte[]> values = new ArrayList<>(count);
        Random random = new Random(count);
        for (int i = 0; i < count; i++) {
            String id = idPrefix + "%07d".formatted(i);
            String prompt = prompt(id, promptChars, random);
            ObjectNode body = JsonCodec.mapper().createObjectNode().put("model", "bench-model");
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
            ids.add(id);
            values.add(JsonCodec.encode(new ChatRequest(id, 0, body, null, null, null, null)));
        }
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Large batches: the load must not be what limits a zero-latency run.
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        // Room for a whole run of requests, so that send() does not block on a full buffer.
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        return new LoadGenerator(idPrefix, ids, values, producer);
    }

    /**
     * A user message of {@code chars} characters: the id, then words drawn at random from a small
     * vocabulary. Text that repeats one phrase compresses far better than prompts do; words drawn
     * like this compress about as well as prose, so a compressing producer is not flattered.
     */
    static String prompt(String id, int chars, Random random) {
        StringBuilder text = new StringBuilder(chars + 16).append(id);
        while (text.length() < chars) {
            text.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.substring(0, Math.max(id.length(), chars));
    }

    /** What every request id starts with. */
    String idPrefix() {
        return idPrefix;
    }

    /** The request ids, in the order they are produced. */
    List<String> ids() {
        return ids;
    }

    /** The size of one encoded request, in bytes. */
    int requestBytes() {
        return values.isEmpty() ? 0 : values.get(0).length;
    }

    /** Fetches the topic's metadata now, so that the first send of the measured stretch does not wait for it. */
    void prepare(String topic) {
        producer.partitionsFor(topic);
    }

    /**
     * Produces every request to {@code topic}, keyed by its id.
     *
     * @param ratePerSecond requests per second, or 0 for as fast as the producer takes them
     * @return when each request was handed to the producer ({@link System#nanoTime()}), by index
     */
    long[] produce(String topic, double ratePerSecond) {
        long[] sent = new long[ids.size()];
        long start = System.nanoTime();
        for (int i = 0; i < ids.size(); i++) {
            if (ratePerSecond > 0) {
                long due = start + (long) (i * 1e9 / ratePerSecond);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            sent[i] = System.nanoTime();
            producer.send(new ProducerRecord<>(topic, ids.get(i), values.get(i)));
        }
        producer.flush();
        return sent;
    }

    @Override
    public void close() {
        producer.close();
    }
}
