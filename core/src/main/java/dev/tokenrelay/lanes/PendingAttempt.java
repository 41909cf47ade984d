package dev.tokenrelay.lanes;

import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.JsonCodec;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An attempt held by the dispatch stage until its call ends: queued, parked or in flight.
 * {@code sequence} is its arrival in the task, which orders it among attempts of one priority.
 *
 * <p>Stored as a format byte, the sequence as 8 bytes, then the attempt's JSON (the attempts
 * topic's value format), so that the JSON an attempt arrived with is written as it is.
 *
 * @param json the attempt's JSON as it arrived on the attempts topic, stored as it is so that
 *             admitting an attempt never encodes it again; {@code null} for an attempt made here
 */
public record PendingAttempt(Attempt attempt, long sequence, byte[] json) {

    private static final byte FORMAT_1 = 1;
    private static final int HEADER = 1 + Long.BYTES;

    /** The stored form. */
    public byte[] toBytes() {
        byte[] body = json != null ? json : JsonCodec.encode(attempt);
        return ByteBuffer.allocate(HEADER + body.length).put(FORMAT_1).putLong(sequence).put(body).array();
    }

    /**
     * Reads the stored form.
     *
     * @throws IllegalArgumentException when {@code bytes} are not a stored attempt, saying why
     */
    public static PendingAttempt fromBytes(byte[] bytes) {
        if (bytes.length < HEADER || bytes[0] != FORMAT_1) {
            throw new IllegalArgumentException("unknown format " + (bytes.length == 0 ? "(empty)" : bytes[0]));
        }
        long sequence = ByteBuffer.wrap(bytes, 1, Long.BYTES).getLong();
        byte[] body = Arrays.copyOfRange(bytes, HEADER, bytes.length);
        try {
            return new PendingAttempt(JsonCodec.decode(body, Attempt.class), sequence, body);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
