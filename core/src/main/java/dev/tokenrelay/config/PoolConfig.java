package dev.tokenrelay.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A pool: the accounts a request may be sent to, in the order they are tried.
 *
 * <p>Every account of a pool is tried before the request moves on to the {@code fallback} pool.
 * That the member accounts and the fallback pool exist, and that fallbacks do not form a cycle, is
 * checked by {@link TokenRelayConfig}, which knows the other pools and the accounts.
 *
 * @param accounts the members; required, not empty, each account at most once
 * @param strategy how to pick inside a priority group; default {@link Strategy#FILL_FIRST}
 * @param fallback the pool to continue with when this one has no account left; optional
 */
public record PoolConfig(List<PoolMember> accounts, Strategy strategy, String fallback) {

    /** Applies the default strategy and checks the members. */
    public PoolConfig {
        if (accounts == null || accounts.isEmpty()) {
            throw new InvalidConfigException("accounts", "required: list at least one account");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < accounts.size(); i++) {
            PoolMember member = accounts.get(i);
            if (member == null) {
                throw new InvalidConfigException("accounts" + ConfigPaths.index(i), "must not be empty");
            }
            if (!seen.add(member.account())) {
                throw new InvalidConfigException("accounts" + ConfigPaths.index(i),
                        "account '" + member.account() + "' is listed twice");
            }
        }
        accounts = List.copyOf(accounts);
        strategy = strategy == null ? Strategy.FILL_FIRST : strategy;
        if (fallback != null) {
            fallback = Ids.require(fallback, "fallback", "a pool name");
        }
    }

    /** A fill-first pool without fallback. */
    public PoolConfig(List<PoolMember> accounts) {
        this(accounts, null, null);
    }
}
