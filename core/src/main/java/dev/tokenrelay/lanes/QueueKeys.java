package dev.tokenrelay.lanes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The keys of a dispatch task's store. They sort byte by byte (unsigned), as RocksDB sorts them,
 * so that a range read returns an account's queue in {@link QueueOrder}, parked attempts by the
 * time they are due and deadlines by the time they pass, without holding any index on the heap.
 * <ul>
 *   <li>{@code 'Q' account 0x00 rank seq}: a queued attempt (waiting, or with a call running);</li>
 *   <li>{@code 'P' notBefore seq}: an attempt parked until a time;</li>
 *   <li>{@code 'D' deadline seq}: the deadline of a queued or parked attempt; its value is the
 *       attempt's key;</li>
 *   <li>{@code 'C' account}: how many attempts the account has waiting (for the gauge);</li>
 *   <li>{@code 'S'}: the sequence numbers handed out so far, so that a restart never reuses one.</li>
 * </ul>
 * Account ids hold no byte below {@code '-'} (see the configuration's id rule), so {@code 0x00}
 * ends one and an account's keys are all below {@link #queueEnd(String)}. Times are epoch
 * milliseconds; sequences and times are non-negative, so their big-endian bytes sort as numbers.
 */
final class QueueKeys {

    static final byte QUEUED = 'Q';
    static final byte PARKED = 'P';
    static final byte DEADLINE = 'D';
    static final byte COUNT = 'C';
    static final byte[] SEQUENCE = {'S'};

    private QueueKeys() {}

    static byte[] queued(String account, QueueOrder order) {
        byte[] id = account.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + id.length + 1 + 1 + Long.BYTES).put(QUEUED).put(id).put((byte) 0)
                .put((byte) order.rank()).putLong(order.sequence()).array();
    }

    /** Above every queued key of {@code account}. */
    static byte[] queueEnd(String account) {
        byte[] id = account.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + id.length + 1).put(QUEUED).put(id).put((byte) 1).array();
    }

    /** The first queued key of any account after {@code account} ({@code null}: from the first). */
    static byte[] queuedAfter(String account) {
        return account == null ? new byte[] {QUEUED} : queueEnd(account);
    }

    /** Above every queued key. */
    static byte[] queuedEnd() {
        return new byte[] {QUEUED + 1};
    }

    static String accountOf(byte[] queuedKey) {
        int end = 1;
        while (queuedKey[end] != 0) {
            end++;
        }
        return new String(queuedKey, 1, end - 1, StandardCharsets.UTF_8);
    }

    static QueueOrder orderOf(byte[] queuedKey) {
        ByteBuffer buffer = ByteBuffer.wrap(queuedKey, queuedKey.length - 1 - Long.BYTES, 1 + Long.BYTES);
        return new QueueOrder(Byte.toUnsignedInt(buffer.get()), buffer.getLong());
    }

    static byte[] parked(long notBeforeMs, long sequence) {
        return timed(PARKED, notBeforeMs, sequence);
    }

    static byte[] deadline(long deadlineMs, long sequence) {
        return timed(DEADLINE, deadlineMs, sequence);
    }

    /** Above every key of {@code kind} (parked or deadline) due at {@code nowMs} or before. */
    static byte[] dueBy(byte kind, long nowMs) {
        return timed(kind, nowMs + 1, 0);
    }

    static byte[] first(byte kind) {
        return new byte[] {kind};
    }

    /** The time of a parked or deadline key. */
    static long timeOf(byte[] timedKey) {
        return ByteBuffer.wrap(timedKey, 1, Long.BYTES).getLong();
    }

    /** The sequence at the end of a parked or deadline key. */
    static long sequenceOf(byte[] timedKey) {
        return ByteBuffer.wrap(timedKey, 1 + Long.BYTES, Long.BYTES).getLong();
    }

    static byte[] count(String account) {
        byte[] id = account.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + id.length).put(COUNT).put(id).array();
    }

    static byte[] longValue(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    static long longOf(byte[] value) {
        return ByteBuffer.wrap(value).getLong();
    }

    private static byte[] timed(byte kind, long atMs, long sequence) {
        return ByteBuffer.allocate(1 + 2 * Long.BYTES).put(kind).putLong(Math.max(0, atMs)).putLong(sequence).array();
    }
}
