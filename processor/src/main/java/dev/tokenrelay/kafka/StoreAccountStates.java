package dev.tokenrelay.kafka;

import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.schema.AccountState;
import java.util.Optional;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/** Account states read from the global table of the accounts topic. */
public final class StoreAccountStates implements AccountStates {

    /** The name of the global store that materializes the accounts topic. */
    public static final String STORE = "account-states";

    private final ReadOnlyKeyValueStore<String, ValueAndTimestamp<AccountState>> store;

    public StoreAccountStates(ReadOnlyKeyValueStore<String, ValueAndTimestamp<AccountState>> store) {
        this.store = store;
    }

    @Override
    public Optional<AccountState> get(String account) {
        ValueAndTimestamp<AccountState> value = store.get(account);
        return value == null ? Optional.empty() : Optional.ofNullable(value.value());
    }
}
