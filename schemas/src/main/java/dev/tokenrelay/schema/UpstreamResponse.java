package dev.tokenrelay.schema;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An upstream HTTP response kept so it can be passed through when no account is left.
 *
 * @param status the HTTP status
 * @param body   the response body as JSON, or {@code null} when it was not JSON
 */
public record UpstreamResponse(int status, JsonNode body) {}
