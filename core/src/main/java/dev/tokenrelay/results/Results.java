package dev.tokenrelay.results;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Builds the final records of a request: the result, and for every request that did not succeed
 * the dead-letter record that holds what is needed to replay it.
 */
public final class Results {

    private Results() {}

    public static ChatResult succeeded(ChatRequest request, int httpStatus, JsonNode completion, JsonNode usage,
            List<TrailEntry> trail, Instant now) {
        return new ChatResult(request.id(), request.generation(), ResultStatus.SUCCEEDED, httpStatus, completion,
                null, usage, request.metadata(), trail, now, request.batch());
    }

    public static ChatResult failed(ChatRequest request, ResultStatus status, int httpStatus, ErrorInfo error,
            List<TrailEntry> trail, Instant now) {
        return new ChatResult(request.id(), request.generation(), status, httpStatus, null, error, null,
                request.metadata(), trail, now, request.batch());
    }

    /** A request that could not be read or accepted, known only by its id. */
    public static ChatResult rejected(String id, int generation, JsonNode metadata, ErrorInfo error, Instant now) {
        return new ChatResult(id, generation, ResultStatus.REJECTED, 400, null, error, null, metadata, List.of(), now);
    }

    /** The final emissions of a request that did not succeed: its result and its dead letter. */
    public static List<Emission> unsuccessful(ChatRequest request, ChatResult result, Instant now) {
        DeadLetter deadLetter = new DeadLetter(request.id(), result.status(), result.error().type() + ": "
                + result.error().message(), request, null, null, null, result.attempts(), now);
        List<Emission> emissions = new ArrayList<>(2);
        emissions.add(new Emission.ToResults(result));
        emissions.add(new Emission.ToDeadLetter(request.id(), deadLetter));
        return emissions;
    }

    /** A dead letter for a record that could not be read as a request. */
    public static DeadLetter unreadable(String requestId, String reason, byte[] original,
            DeadLetter.SourceRecord source, Instant now) {
        String text = original == null ? null : utf8OrNull(original);
        String base64 = original == null ? null : Base64.getEncoder().encodeToString(original);
        return new DeadLetter(requestId, ResultStatus.REJECTED, reason, null, text, base64, source, List.of(), now);
    }

    /**
     * A dead letter for a record that could not be read as a request, at most {@code maxBytes}
     * encoded: the original bytes as text and base64, else in one form (text when they are UTF-8),
     * else not at all, with the reason saying where they stay. An output record the producer
     * refuses would stop the processor, so hostile input must not be able to build one.
     *
     * @param original the record value, {@code null} when it is not to be copied (too large)
     * @param size the size of the record value, for the reason when it is not copied
     */
    public static DeadLetter unreadable(String requestId, String reason, byte[] original,
            DeadLetter.SourceRecord source, Instant now, int maxBytes, long size) {
        DeadLetter full = unreadable(requestId, reason, original, source, now);
        if (original != null && JsonCodec.encode(full).length <= maxBytes) {
            return full;
        }
        if (original != null) {
            String text = utf8OrNull(original);
            DeadLetter one = new DeadLetter(requestId, ResultStatus.REJECTED, reason, null, text,
                    text == null ? Base64.getEncoder().encodeToString(original) : null, source, List.of(), now);
            if (JsonCodec.encode(one).length <= maxBytes) {
                return one;
            }
        }
        String where = source == null ? "" : ": they stay in " + source.topic() + "/" + source.partition() + "@"
                + source.offset();
        return new DeadLetter(requestId, ResultStatus.REJECTED,
                reason + " (the " + String.format(java.util.Locale.ROOT, "%,d", size)
                        + " bytes of the record are not copied here" + where + ")",
                null, null, null, source, List.of(), now);
    }

    private static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
