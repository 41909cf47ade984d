package dev.tokenrelay.upstream.auth;

/** What an account calls with: nothing, a token, or nothing usable (SKIPPED_AUTH). */
public sealed interface Credential {

    /** The account is configured without a credential: calls carry none. */
    record None() implements Credential {}

    /** An API key or access token. {@code toString} never shows it. */
    record Token(String value) implements Credential {
        @Override
        public String toString() {
            return "Token[***]";
        }
    }

    /** The account has a credential configured, but none can be used now; {@code reason} says why. */
    record Unusable(String reason) implements Credential {}

    /** The value to send, {@code null} for {@link None}. */
    default String valueOrNull() {
        return this instanceof Token token ? token.value() : null;
    }
}
