package dev.tokenrelay.accounts;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** The account chosen for the next attempt, or why none was. */
public sealed interface Choice {

    /**
     * Call {@code account}, chosen from {@code pool}; not before {@code notBefore} when the account
     * is cooling (or backing off) and the request can wait for it, else {@code null}.
     */
    record Chosen(String account, String pool, Instant notBefore) implements Choice {}

    /**
     * No account is left to try. {@code allCooling} says that untried accounts remain but every one
     * of them is cooling. {@code withoutCredential} holds the untried accounts that were skipped
     * because they have no usable credential, with why (e.g. {@code variable OPENAI_KEY_2 unset}),
     * in the order they were met.
     */
    record NoneLeft(boolean allCooling, Map<String, String> withoutCredential) implements Choice {

        public NoneLeft {
            withoutCredential = Collections.unmodifiableMap(new LinkedHashMap<>(withoutCredential));
        }

        /** The accounts without a usable credential, for a message: {@code no-key (variable X unset), other (...)}. */
        public String withoutCredentialText() {
            return describe(withoutCredential);
        }

        /** {@code account (why), ...} for accounts and why each has no usable credential. */
        public static String describe(Map<String, String> withoutCredential) {
            return withoutCredential.entrySet().stream()
                    .map(e -> e.getKey() + " (" + e.getValue() + ")")
                    .collect(Collectors.joining(", "));
        }
    }

    static Choice chosen(String account, String pool) {
        return new Chosen(account, pool, null);
    }

    static Choice chosenAfter(String account, String pool, Instant notBefore) {
        return new Chosen(account, pool, notBefore);
    }

    static Choice noneLeft(boolean allCooling) {
        return new NoneLeft(allCooling, Map.of());
    }

    static Choice noneLeft(boolean allCooling, Map<String, String> withoutCredential) {
        return new NoneLeft(allCooling, withoutCredential);
    }
}
