package dev.tokenrelay.failover;

import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatResult;

/** What happens to a request after an attempt: another attempt, or its final result. */
public sealed interface Decision {

    /** Try again with {@code next}, keyed for its account. */
    record Continue(Attempt next) implements Decision {}

    /** The request is over; {@code result} is its one final result. */
    record Finish(ChatResult result) implements Decision {}
}
