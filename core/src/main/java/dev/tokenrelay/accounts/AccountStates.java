package dev.tokenrelay.accounts;

import dev.tokenrelay.schema.AccountState;
import java.util.Optional;

/** Read access to what is known of each account's health (the accounts topic, read as a table). */
@FunctionalInterface
public interface AccountStates {

    Optional<AccountState> get(String account);

    /** No state known for any account: every account is healthy. */
    static AccountStates none() {
        return account -> Optional.empty();
    }
}
