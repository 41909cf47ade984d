package dev.tokenrelay.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A cancellation, on the control topic (key: {@link #key()}). It names requests by one or more of
 * a batch, a request id and a metadata field; a request is cancelled when it matches every one it
 * names.
 *
 * @param batch         the batch whose requests are cancelled, or {@code null}
 * @param requestId     the request that is cancelled, or {@code null}
 * @param metadataKey   with {@code metadataValue}: a top-level metadata field whose text must be
 *                      {@code metadataValue}, or {@code null}
 * @param metadataValue the text of that field
 * @param reason        why, as the cancelled results say it; {@code null} for a reason made of what is named
 * @param at            when it was written
 */
public record Cancel(String batch, String requestId, String metadataKey, String metadataValue, String reason,
        Instant at) {

    public Cancel {
        if ((metadataKey == null) != (metadataValue == null)) {
            throw new IllegalArgumentException("metadataKey and metadataValue go together");
        }
        if (batch == null && requestId == null && metadataKey == null) {
            throw new IllegalArgumentException("a cancellation names a batch, a request id or a metadata field");
        }
    }

    /** A cancellation of batch {@code batch}. */
    public static Cancel ofBatch(String batch, String reason, Instant at) {
        return new Cancel(Objects.requireNonNull(batch, "batch"), null, null, null, reason, at);
    }

    /** A cancellation of request {@code requestId}. */
    public static Cancel ofRequest(String requestId, String reason, Instant at) {
        return new Cancel(null, Objects.requireNonNull(requestId, "requestId"), null, null, reason, at);
    }

    /** A cancellation of every request whose metadata field {@code key} is the text {@code value}. */
    public static Cancel ofMetadata(String key, String value, String reason, Instant at) {
        return new Cancel(null, null, Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"),
                reason, at);
    }

    /** {@code batch:<id>}, {@code request:<id>} or {@code metadata:<key>=<value>}. */
    public static String batchKey(String batch) {
        return "batch:" + batch;
    }

    /** See {@link #batchKey}. */
    public static String requestKey(String requestId) {
        return "request:" + requestId;
    }

    /** See {@link #batchKey}. */
    public static String metadataKey(String key, String value) {
        return "metadata:" + key + "=" + value;
    }

    /**
     * The record key: by the request id when it names one, else by the batch, else by the metadata
     * field, so that a later cancellation of the same thing replaces it on the compacted topic.
     */
    public String key() {
        if (requestId != null) {
            return requestKey(requestId);
        }
        return batch != null ? batchKey(batch) : metadataKey(metadataKey, metadataValue);
    }

    /** Whether {@code request} matches everything this cancellation names. */
    public boolean matches(ChatRequest request) {
        if (batch != null && !batch.equals(request.batch())) {
            return false;
        }
        if (requestId != null && !requestId.equals(request.id())) {
            return false;
        }
        if (metadataKey != null) {
            JsonNode field = request.metadata() == null ? null : request.metadata().get(metadataKey);
            return field != null && field.isValueNode() && metadataValue.equals(field.asText());
        }
        return true;
    }

    /** Why, as the cancelled results say it: the reason given, else what was cancelled. */
    public String describe() {
        if (reason != null && !reason.isBlank()) {
            return reason;
        }
        if (requestId != null) {
            return "request " + requestId + " cancelled";
        }
        return batch != null ? "batch " + batch + " cancelled"
                : "requests with metadata " + metadataKey + "=" + metadataValue + " cancelled";
    }
}
