package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatRequest;

/** One line of a JSONL request file, read and checked: either a request to send or the reason it cannot be sent. */
public sealed interface ParsedLine {

    /** The line number, from 1. */
    int line();

    /**
     * A line that is a valid request.
     *
     * @param line the line number, from 1
     * @param request the request to send
     * @param batch whether the line was an OpenAI Batch line
     */
    record Accepted(int line, ChatRequest request, boolean batch) implements ParsedLine {}

    /**
     * A line that cannot be sent.
     *
     * @param line the line number, from 1
     * @param reason why, with the JSON pointer of the field at fault; never the line's content
     */
    record Rejected(int line, String reason) implements ParsedLine {

        /** {@code line 7: /body/messages: required property 'messages' is missing}. */
        @Override
        public String toString() {
            return "line " + line + ": " + reason;
        }
    }
}
