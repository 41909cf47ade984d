package dev.tokenrelay.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What a provider made of a 2xx answer: a chat completion, or the reason there is none. */
public sealed interface Conversion {

    /** An OpenAI {@code chat.completion}; the content checks still run on it. */
    record Completion(ObjectNode completion) implements Conversion {}

    /**
     * No answer in a 2xx: a "fake success", retried on another account without cooldown.
     *
     * @param reason a machine-readable reason: {@code invalid_body}, {@code error_event},
     *               {@code truncated_stream}, ...
     * @param detail a short description for people; never holds a credential
     */
    record NoAnswer(String reason, String detail) implements Conversion {}

    static Conversion completion(ObjectNode completion) {
        return new Completion(completion);
    }

    static Conversion noAnswer(String reason, String detail) {
        return new NoAnswer(reason, detail);
    }
}
