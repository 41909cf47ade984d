package dev.tokenrelay.schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The final status of a request. Written to topics by its lower-case name. */
public enum ResultStatus {
    @JsonProperty("succeeded")
    SUCCEEDED,
    @JsonProperty("failed")
    FAILED,
    @JsonProperty("expired")
    EXPIRED,
    @JsonProperty("rejected")
    REJECTED,
    /** Cancelled by an operator ({@code tokenrelay cancel}) before it was answered. */
    @JsonProperty("cancelled")
    CANCELLED
}
