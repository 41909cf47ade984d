package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One account of a pool with its priority: accounts of a higher priority are tried first.
 *
 * <p>In YAML either a plain account id ({@code - acct-a}, priority 0) or a mapping
 * ({@code - {account: acct-a, priority: 10}}).
 *
 * @param account the account id, one of the configured accounts
 * @param priority higher first; default 0, negative allowed
 */
public record PoolMember(String account, int priority) {

    /** Checks the account id; whether it names a configured account is checked by {@link TokenRelayConfig}. */
    public PoolMember {
        account = Ids.require(account, "account", "an account id");
    }

    /** A member with the default priority 0. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public PoolMember(String account) {
        this(account, 0);
    }

    // A factory with a boxed priority, because Jackson hands an absent int over as 0 and a
    // missing account must be reported as missing rather than as a parse failure.
    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    private static PoolMember fromYaml(@JsonProperty("account") String account, @JsonProperty("priority") Integer priority) {
        return new PoolMember(account, priority == null ? 0 : priority);
    }
}
