package dev.tokenrelay.accounts;

import dev.tokenrelay.config.PoolConfig;
import dev.tokenrelay.config.PoolMember;
import dev.tokenrelay.config.Strategy;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.schema.AccountState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses the account for an attempt (docs/design.md, section 3): pools in fallback order, the highest
 * priority group first, fill-first or round-robin inside a group, accounts already tried skipped,
 * cooling and disabled accounts not chosen while a healthy one remains. An account disabled by the
 * rule is cooling until its probe, and can be chosen from then on. An account without a usable
 * credential ({@link CredentialCheck}) is never chosen, nor waited for: when it is all a pool chain
 * has left, {@link Choice.NoneLeft#withoutCredential()} says which accounts lack what.
 *
 * <p>Round-robin rotates by a hash of the request id, so every instance spreads requests evenly
 * without sharing a counter, and a request walks its group in a stable order.
 */
public final class AccountSelector {

    private final TokenRelayConfig config;
    private final CredentialCheck credentials;

    /** A selector that takes every account's credential as usable (tests, tools). */
    public AccountSelector(TokenRelayConfig config) {
        this(config, CredentialCheck.allUsable());
    }

    public AccountSelector(TokenRelayConfig config, CredentialCheck credentials) {
        this.config = config;
        this.credentials = credentials;
    }

    /**
     * Chooses from {@code fromPool} and then its fallback pools.
     *
     * @param fromPool  the pool to start in
     * @param tried     accounts already tried for this request
     * @param requestId the request, for round-robin
     * @param states    account health
     * @param now       the current time, for cooldowns
     */
    public Choice choose(String fromPool, Set<String> tried, String requestId, AccountStates states, Instant now) {
        boolean sawCooling = false;
        Map<String, String> withoutCredential = new LinkedHashMap<>();
        for (String pool : config.poolChain(fromPool)) {
            Optional<String> account = chooseIn(pool, tried, requestId, states, now, withoutCredential);
            if (account.isPresent()) {
                return Choice.chosen(account.get(), pool);
            }
            sawCooling |= hasCoolingCandidate(pool, tried, states, now);
        }
        return Choice.noneLeft(sawCooling, withoutCredential);
    }

    /** Chooses from the pools after {@code pool} in its fallback chain; used when a pool is unusable. */
    public Choice chooseAfter(String pool, Set<String> tried, String requestId, AccountStates states, Instant now) {
        String fallback = config.pool(pool).fallback();
        return fallback == null ? Choice.noneLeft(false) : choose(fallback, tried, requestId, states, now);
    }

    /**
     * Like {@link #choose}, but when every untried account is cooling, waits for the one whose
     * cooldown ends first, if it ends before {@code deadline} ({@code null}: no deadline).
     */
    public Choice chooseOrWait(String fromPool, Set<String> tried, String requestId, AccountStates states,
            Instant now, Instant deadline) {
        Choice choice = choose(fromPool, tried, requestId, states, now);
        if (!(choice instanceof Choice.NoneLeft noneLeft) || !noneLeft.allCooling()) {
            return choice;
        }
        Choice.Chosen earliest = null;
        for (String pool : config.poolChain(fromPool)) {
            for (PoolMember member : config.pool(pool).accounts()) {
                Optional<AccountState> state = states.get(member.account());
                if (tried.contains(member.account()) || state.isEmpty() || !comesBack(state.get(), now)
                        || !hasCredential(member.account())) {
                    continue;
                }
                Instant until = state.get().coolingUntil();
                if (earliest == null || until.isBefore(earliest.notBefore())) {
                    earliest = new Choice.Chosen(member.account(), pool, until);
                }
            }
        }
        if (earliest == null || (deadline != null && !earliest.notBefore().isBefore(deadline))) {
            return choice;
        }
        return earliest;
    }

    /** The first pool of {@code fromPool}'s chain that lists {@code account}, or {@code null}. */
    public String poolOf(String account, String fromPool) {
        for (String pool : config.poolChain(fromPool)) {
            if (config.pool(pool).accounts().stream().anyMatch(m -> m.account().equals(account))) {
                return pool;
            }
        }
        return null;
    }

    /**
     * The message of a request that ends because no account of {@code pool}'s chain has a usable
     * credential: {@code no account of pool 'main' has a usable credential: no-key (variable
     * OPENAI_KEY_2 unset)}.
     */
    public String noCredentialMessage(String pool, Map<String, String> withoutCredential) {
        boolean chain = config.poolChain(pool).size() > 1;
        return "no account of pool '" + pool + "'" + (chain ? " or its fallback pools" : "")
                + " has a usable credential: " + Choice.NoneLeft.describe(withoutCredential);
    }

    /**
     * The message of a request pinned to an account that has no usable credential: {@code account
     * 'no-key' has no usable credential: variable OPENAI_KEY_2 unset}.
     */
    public static String pinnedNoCredentialMessage(String account, String why) {
        return "account '" + account + "' has no usable credential: " + why;
    }

    /** Whether {@code account} has a usable credential (or needs none) as far as is known now. */
    public boolean hasCredential(String account) {
        return credentials.missing(account).isEmpty();
    }

    private Optional<String> chooseIn(String poolName, Set<String> tried, String requestId, AccountStates states,
            Instant now, Map<String, String> withoutCredential) {
        PoolConfig pool = config.pool(poolName);
        List<PoolMember> healthy = new ArrayList<>();
        for (PoolMember member : pool.accounts()) {
            if (tried.contains(member.account())) {
                continue;
            }
            Optional<String> missing = credentials.missing(member.account());
            if (missing.isPresent()) {
                withoutCredential.putIfAbsent(member.account(), missing.get());
            } else if (usable(states.get(member.account()), now)) {
                healthy.add(member);
            }
        }
        if (healthy.isEmpty()) {
            return Optional.empty();
        }
        int topPriority = healthy.stream().mapToInt(PoolMember::priority).max().orElseThrow();
        List<PoolMember> group = healthy.stream().filter(m -> m.priority() == topPriority).toList();
        if (pool.strategy() == Strategy.ROUND_ROBIN && group.size() > 1) {
            // Rotate the whole priority group (tried members included) so the walk order is stable.
            List<PoolMember> fullGroup = pool.accounts().stream()
                    .filter(m -> m.priority() == topPriority)
                    .sorted(Comparator.comparing(PoolMember::account))
                    .toList();
            int start = Math.floorMod(requestId.hashCode(), fullGroup.size());
            for (int i = 0; i < fullGroup.size(); i++) {
                PoolMember candidate = fullGroup.get((start + i) % fullGroup.size());
                if (group.contains(candidate)) {
                    return Optional.of(candidate.account());
                }
            }
        }
        return Optional.of(group.get(0).account());
    }

    private boolean hasCoolingCandidate(String poolName, Set<String> tried, AccountStates states, Instant now) {
        return config.pool(poolName).accounts().stream()
                .filter(m -> !tried.contains(m.account()) && hasCredential(m.account()))
                .anyMatch(m -> states.get(m.account()).map(s -> comesBack(s, now)).orElse(false));
    }

    private static boolean usable(Optional<AccountState> state, Instant now) {
        return state.map(s -> !s.disabledAt(now) && !s.coolingAt(now)).orElse(true);
    }

    /**
     * Whether a cooling account can be chosen when its cooldown ends: an account disabled by hand
     * cannot; one disabled by the rule cools until its probe, and can.
     */
    private static boolean comesBack(AccountState state, Instant now) {
        return state.coolingAt(now) && state.usableFrom(now) != null;
    }
}
