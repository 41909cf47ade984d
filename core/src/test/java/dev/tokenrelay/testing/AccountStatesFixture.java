package dev.tokenrelay.testing;

import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.OutcomeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Account states held in a map, as the accounts table would hold them, built seen from {@code now}. */
public final class AccountStatesFixture implements AccountStates {

    private final Instant now;
    private final Map<String, AccountState> states = new HashMap<>();

    public AccountStatesFixture(Instant now) {
        this.now = now;
    }

    /** Rate limited, cooling for {@code remaining} from now. */
    public AccountStatesFixture cooling(String account, Duration remaining) {
        return cooledDownAt(account, now.plus(remaining));
    }

    /** Rate limited, cooling until {@code until} (which may have passed). */
    public AccountStatesFixture cooledDownAt(String account, Instant until) {
        states.put(account, new AccountState(account, until, "status_429", OutcomeKind.RETRYABLE, 429, 1, false,
                now.minusSeconds(60)));
        return this;
    }

    /** Disabled by the rule after three failures: cooling until its probe, as AccountHealth writes it. */
    public AccountStatesFixture disabledUntilProbe(String account, Instant probeAt) {
        states.put(account, new AccountState(account, probeAt, "disabled after 3 failures", OutcomeKind.RETRYABLE,
                500, 3, now, 3, true, probeAt, now));
        return this;
    }

    /** Disabled by hand: no probe, never chosen. */
    public AccountStatesFixture disabledByHand(String account) {
        states.put(account, new AccountState(account, null, "disabled by operator", null, null, 0, true, now));
        return this;
    }

    @Override
    public Optional<AccountState> get(String account) {
        return Optional.ofNullable(states.get(account));
    }
}
