package dev.tokenrelay.classify;

import java.util.concurrent.CompletableFuture;

/**
 * A call under way: the exchange it will produce (never completed exceptionally), the reader of its
 * provider's answers, and a way to abandon it. Dispatch classifies the exchange when it completes.
 *
 * @param cancel abandons the call; its exchange then completes as a cancelled failure
 */
public record UpstreamCall(CompletableFuture<UpstreamExchange> exchange, AnswerReader reader, Runnable cancel) {

    /** A call that produced {@code exchange} without waiting for anything, e.g. one never sent. */
    public static UpstreamCall done(UpstreamExchange exchange, AnswerReader reader) {
        return new UpstreamCall(CompletableFuture.completedFuture(exchange), reader, () -> {});
    }
}
