package dev.tokenrelay.accounts;

import java.time.Instant;

/** The account chosen for the next attempt, or why none was. */
public sealed interface Choice {

    /**
     * Call {@code account}, chosen from {@code pool}; not before {@code notBefore} when the account
     * is cooling (or backing off) and the request can wait for it, else {@code null}.
     */
    record Chosen(String account, String pool, Instant notBefore) implements Choice {}

    /**
     * No account is left to try. {@code allCooling} says that untried accounts remain but every one
     * of them is cooling.
     */
    record NoneLeft(boolean allCooling) implements Choice {}

    static Choice chosen(String account, String pool) {
        return new Chosen(account, pool, null);
    }

    static Choice chosenAfter(String account, String pool, Instant notBefore) {
        return new Chosen(account, pool, notBefore);
    }

    static Choice noneLeft(boolean allCooling) {
        return new NoneLeft(allCooling);
    }
}
