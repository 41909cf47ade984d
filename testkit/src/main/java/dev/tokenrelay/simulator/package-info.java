/**
 * A simulated LLM upstream: an asynchronous HTTP server on 127.0.0.1 whose answers (replies, tool
 * calls, fake successes, errors in a 200, truncated streams, error statuses, rate limits, resets,
 * silence and latencies) are scripted per account and rendered in the format of the endpoint
 * called: OpenAI chat completions (plain or streamed), the OpenAI Responses API as Codex streams it,
 * and the Anthropic Messages API. Used by tests, the {@code demo} command and benchmarks.
 */
package dev.tokenrelay.simulator;
