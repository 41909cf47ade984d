package dev.tokenrelay.accounts;

import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.PoolMember;
import dev.tokenrelay.config.TokenRelayConfig;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which accounts serve which model (their {@code models} allow-lists). Accounts that do not serve
 * a request's model are never chosen for it, as if already tried; a request for a model that no
 * account of its pool chain serves is refused at once instead of walking every account.
 */
public final class ModelRouting {

    private final TokenRelayConfig config;

    public ModelRouting(TokenRelayConfig config) {
        this.config = config;
    }

    /** The accounts that do not serve {@code model}. */
    public Set<String> unserved(String model) {
        Set<String> unserved = new HashSet<>();
        for (Map.Entry<String, AccountConfig> account : config.accounts().entrySet()) {
            if (!account.getValue().servesModel(model)) {
                unserved.add(account.getKey());
            }
        }
        return unserved;
    }

    /** Whether any account of {@code pool} or its fallbacks serves {@code model}. */
    public boolean servedIn(String pool, String model) {
        for (String name : config.poolChain(pool)) {
            for (PoolMember member : config.pool(name).accounts()) {
                if (config.account(member.account()).servesModel(model)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code tried} plus the accounts that do not serve {@code model}: the accounts not to choose. */
    public Set<String> excluded(Set<String> tried, String model) {
        Set<String> excluded = unserved(model);
        excluded.addAll(tried);
        return excluded;
    }
}
