/**
 * Fault runs: what a run of requests under crashes, restarts, rebalances and broker outages must
 * end with (exactly one result per request, trails that agree with the outcomes topic, no
 * dead letter for a success), checked from the topics as a {@code read_committed} client sees
 * them, and the counts such a run prints. Shared by the fault suite and the {@code chaos} command.
 */
package dev.tokenrelay.chaos;
