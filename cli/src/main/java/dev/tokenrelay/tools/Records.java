package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads topic values leniently: a value that cannot be read is {@code null}, for the caller to count and skip. */
final class Records {

    private static final Logger LOG = LoggerFactory.getLogger(Records.class);

    private Records() {}

    static ChatResult result(byte[] value) {
        return decode(value, ChatResult.class);
    }

    static DeadLetter deadLetter(byte[] value) {
        return decode(value, DeadLetter.class);
    }

    private static <T> T decode(byte[] value, Class<T> type) {
        if (value == null) {
            return null;
        }
        try {
            return JsonCodec.decode(value, type);
        } catch (RuntimeException e) {
            LOG.debug("skipping a value that is not a {}: {}", type.getSimpleName(), e.getMessage());
            return null;
        }
    }
}
