package dev.tokenrelay.schema;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Why a request did not succeed.
 *
 * @param type     a stable, machine-readable kind, e.g. {@code invalid_request}, {@code upstream_error}
 * @param message  a sentence for people; never holds a credential
 * @param upstream the upstream's own error body when one was passed through, else {@code null}
 */
public record ErrorInfo(String type, String message, JsonNode upstream) {

    public static ErrorInfo of(String type, String message) {
        return new ErrorInfo(type, message, null);
    }
}
