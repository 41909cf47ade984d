package dev.tokenrelay.accounts;

/** The account chosen for the next attempt, or why none was. */
public sealed interface Choice {

    /** Call {@code account}, chosen from {@code pool}. */
    record Chosen(String account, String pool) implements Choice {}

    /**
     * No account is left to try. {@code allCooling} says that untried accounts remain but every one
     * of them is cooling.
     */
    record NoneLeft(boolean allCooling) implements Choice {}

    static Choice chosen(String account, String pool) {
        return new Chosen(account, pool);
    }

    static Choice noneLeft(boolean allCooling) {
        return new NoneLeft(allCooling);
    }
}
