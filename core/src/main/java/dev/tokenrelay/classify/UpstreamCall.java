package dev.tokenrelay.classify;

import java.util.concurrent.CompletableFuture;

/**
 * A call under way: the exchange it will produce (never completed exceptionally), the reader of its
 * provider's answers, and a way to abandon it. Dispatch classifies the exchange when it completes.
 *
 * @param cancel abandons the call; its exchange then completes as a cancelled failure
 */
public record UpstreamCall(CompletableFuture<UpstreamExchange> exchange, AnswerReader reader, Runnable cancel) {}
