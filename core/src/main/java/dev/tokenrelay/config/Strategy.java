package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How a pool picks among the accounts of one priority group. */
public enum Strategy {
    /** Always the first account of the group that can take the call, so the others stay idle until it is full or cooling. */
    @JsonProperty("fill-first")
    FILL_FIRST,
    /** Each account of the group in turn, spreading the load. */
    @JsonProperty("round-robin")
    ROUND_ROBIN
}
