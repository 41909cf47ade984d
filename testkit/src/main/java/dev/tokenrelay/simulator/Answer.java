package dev.tokenrelay.simulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;

/**
 * A rendered HTTP answer: status, extra headers, body and how the body is framed.
 *
 * @param status the HTTP status
 * @param headers headers besides Content-Type and the framing ones
 * @param contentType the body's media type
 * @param body the body bytes, sent in one go
 * @param chunked whether the body goes out with chunked transfer encoding (event streams, whose
 *     length a real server does not know up front) rather than with a Content-Length
 */
record Answer(int status, List<Header> headers, ContentType contentType, byte[] body, boolean chunked) {

    static final ContentType JSON = ContentType.create("application/json");
    static final ContentType EVENT_STREAM = ContentType.create("text/event-stream", StandardCharsets.UTF_8);

    Answer {
        headers = List.copyOf(headers);
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
    }

    /** A JSON body with a Content-Length. */
    static Answer json(int status, byte[] body) {
        return new Answer(status, List.of(), JSON, body, false);
    }

    /** A 200 event stream, chunked. */
    static Answer eventStream(byte[] body) {
        return new Answer(200, List.of(), EVENT_STREAM, body, true);
    }

    /** Whether this answer has a header named {@code name}, in any case. */
    boolean hasHeader(String name) {
        return headers.stream().anyMatch(header -> header.getName().equalsIgnoreCase(name));
    }

    /** This answer with one more header. */
    Answer withHeader(String name, String value) {
        List<Header> more = new ArrayList<>(headers);
        more.add(new BasicHeader(name, value));
        return new Answer(status, more, contentType, body, chunked);
    }

    /**
     * This answer with only the first half of its body, cut on a character boundary so the client
     * gets malformed JSON rather than malformed UTF-8. The Content-Length matches the cut body, so
     * the HTTP exchange itself is complete.
     */
    Answer cutInHalf() {
        int end = body.length / 2;
        // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
        while (end > 0 && (body[end] & 0xC0) == 0x80) {
            end--;
        }
        byte[] cut = new byte[end];
        System.arraycopy(body, 0, cut, 0, end);
        return new Answer(status, headers, contentType, cut, chunked);
    }
}
