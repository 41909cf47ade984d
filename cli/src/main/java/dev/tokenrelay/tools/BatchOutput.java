package dev.tokenrelay.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A result as a line of an OpenAI Batch output (or error) file, "the request output object" of the
 * Batch API, so tools written for that API can read it:
 * <pre>{@code
 * {"id": "batch_req_...", "custom_id": "req-1",
 *  "response": {"status_code": 200, "request_id": "req_...", "body": {chat.completion}},
 *  "error": null}
 * }</pre>
 * <ul>
 *   <li>{@code id} is {@code batch_req_} and the first 32 hex digits of the SHA-256 of
 *       {@code "<request id>#<generation>"}: the same for every reading of one submission, and
 *       different for a replay (a new generation).</li>
 *   <li>{@code custom_id} is the request id.</li>
 *   <li>Whenever an upstream HTTP response decided the result, {@code response} is that response
 *       and {@code error} is {@code null}, as OpenAI writes a request the model answered with an
 *       error status: {@code body} is the chat completion of a success, else the upstream's own
 *       error body as it was passed through (an Anthropic account's is in Anthropic's format), or,
 *       when the upstream's body was not JSON, an OpenAI-style
 *       {@code {"error": {message, type, param, code}}} whose {@code type} OpenAI would give the
 *       status ({@code invalid_request_error}, {@code rate_limit_error}...).</li>
 *   <li>{@code request_id} is the id the upstream sent in its {@code x-request-id} (OpenAI) or
 *       {@code request-id} (Anthropic) header for that response, and JSON {@code null} when it sent
 *       none: the key is always there, as in OpenAI's lines, so readers need not test for it.</li>
 *   <li>When no upstream response decided it (the deadline passed, every call failed in transport,
 *       no account could take the request, the request was rejected), {@code response} is
 *       {@code null} and {@code error} is {@code {code, message}}: {@code batch_expired} for an
 *       expired request, as OpenAI names a request its batch's window closed on, else the result's
 *       error type ({@code upstream_timeout}, {@code no_account_available}, {@code invalid_request}...).
 *       A cancelled request has {@code batch_cancelled}, as OpenAI names a request its batch's
 *       cancellation ended.</li>
 * </ul>
 */
public final class BatchOutput {

    /** The error types whose result passes an upstream response through (docs/design.md, section 3). */
    private static final Set<String> PASSED_THROUGH = Set.of("upstream_error", "upstream_final_answer");

    private BatchOutput() {}

    /** The Batch output line of {@code result}. */
    public static ObjectNode line(ChatResult result) {
        ObjectNode line = JsonCodec.mapper().createObjectNode();
        line.put("id", batchRequestId(result.id(), result.generation()));
        line.put("custom_id", result.id());
        if (!answeredByUpstream(result)) {
            line.set("response", NullNode.getInstance());
            ObjectNode error = line.putObject("error");
            error.put("code", errorCode(result));
            error.put("message", result.error() != null ? result.error().message() : "the request " + statusWord(result));
            return line;
        }
        ObjectNode response = line.putObject("response");
        response.put("status_code", result.httpStatus());
        TrailEntry attempt = answeringAttempt(result);
        response.put("request_id", attempt == null ? null : attempt.upstreamRequestId());
        if (result.status() == ResultStatus.SUCCEEDED) {
            response.set("body", result.completion() == null ? NullNode.getInstance() : result.completion());
        } else {
            response.set("body", errorBody(result));
        }
        line.set("error", NullNode.getInstance());
        return line;
    }

    /**
     * Whether {@code result}'s line belongs in an error file: OpenAI writes every request that did
     * not succeed there, with or without an upstream response.
     */
    public static boolean failed(ChatResult result) {
        return result.status() != ResultStatus.SUCCEEDED;
    }

    /** {@code batch_req_} and the first 32 hex digits of the SHA-256 of {@code "<requestId>#<generation>"}. */
    public static String batchRequestId(String requestId, int generation) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((requestId + "#" + generation).getBytes(StandardCharsets.UTF_8));
            return "batch_req_" + HexFormat.of().formatHex(digest).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256.
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether an upstream HTTP response decided {@code result}: a success, or a failure that passes
     * the upstream's response through (with its body when that was JSON).
     */
    private static boolean answeredByUpstream(ChatResult result) {
        if (result.status() == ResultStatus.SUCCEEDED) {
            return true;
        }
        ErrorInfo error = result.error();
        if (error == null) {
            return false;
        }
        // An upstream_error with no attempt that got its status ended with no response to pass through.
        return error.upstream() != null || (PASSED_THROUGH.contains(error.type()) && answeringAttempt(result) != null);
    }

    /**
     * The attempt whose response decided {@code result}: the last one, unless it got no response and
     * an earlier one's is passed through, so the latest that got the status the result answers with;
     * {@code null} when there is none.
     */
    private static TrailEntry answeringAttempt(ChatResult result) {
        List<TrailEntry> trail = result.attempts();
        for (int i = trail.size() - 1; i >= 0; i--) {
            Integer status = trail.get(i).httpStatus();
            if (status != null && status == result.httpStatus()) {
                return trail.get(i);
            }
        }
        return null;
    }

    private static String errorCode(ChatResult result) {
        if (result.status() == ResultStatus.EXPIRED) {
            return "batch_expired";
        }
        if (result.status() == ResultStatus.CANCELLED) {
            return "batch_cancelled";
        }
        return result.error() != null ? result.error().type() : statusWord(result);
    }

    private static JsonNode errorBody(ChatResult result) {
        ErrorInfo error = result.error() != null ? result.error()
                : ErrorInfo.of(statusWord(result), "the request " + statusWord(result));
        if (error.upstream() != null) {
            return error.upstream();
        }
        // The upstream's body was not JSON, so it was not kept: say what OpenAI would have said.
        ObjectNode body = JsonCodec.mapper().createObjectNode();
        ObjectNode inner = body.putObject("error");
        inner.put("message", error.message());
        inner.put("type", openAiErrorType(result.httpStatus()));
        inner.putNull("param");
        inner.put("code", result.httpStatus() == 429 ? "rate_limit_exceeded" : error.type());
        return body;
    }

    /** The error {@code type} OpenAI gives an HTTP status. */
    static String openAiErrorType(int httpStatus) {
        if (httpStatus >= 500) {
            return "server_error";
        }
        return switch (httpStatus) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> "invalid_request_error";
        };
    }

    private static String statusWord(ChatResult result) {
        return result.status().name().toLowerCase(Locale.ROOT);
    }
}
