/**
 * A simulated OpenAI-compatible upstream: an asynchronous HTTP server on 127.0.0.1 whose
 * chat-completions answers (replies, errors, rate limits, resets, silence and latencies) are
 * scripted per account. Used by tests, the {@code demo} command and benchmarks.
 */
package dev.tokenrelay.simulator;
