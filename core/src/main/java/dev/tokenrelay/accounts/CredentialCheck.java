package dev.tokenrelay.accounts;

import java.util.Optional;

/**
 * Which accounts have no usable credential now (an unset variable, a missing key or token file, a
 * refresh refused for good). Such an account is never chosen, like a disabled one, and the
 * request goes on with the others. Implementations are thread-safe and cheap: account selection
 * asks for every candidate.
 */
@FunctionalInterface
public interface CredentialCheck {

    /**
     * Why {@code account} has no usable credential, for people (e.g. {@code variable OPENAI_KEY_2
     * unset}), never holding a value; empty when it has one or needs none.
     */
    Optional<String> missing(String account);

    /** Every account has a usable credential: for code that decides without one (tests, tools). */
    static CredentialCheck allUsable() {
        return account -> Optional.empty();
    }
}
