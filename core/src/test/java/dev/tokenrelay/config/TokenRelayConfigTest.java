package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenRelayConfigTest {

    private static final Map<String, AccountConfig> ACCOUNTS = Map.of(
            "a", account("https://a.example.com"),
            "b", account("https://b.example.com"),
            "c", account("https://c.example.com"));

    @Test
    void shouldUseTheOnlyPoolAsDefaultPool() {
        // Given one pool and no default pool
        Map<String, PoolConfig> pools = Map.of("main", pool(null, "a", "b"));

        // When the configuration is built
        TokenRelayConfig config = config(pools, null);

        // Then the only pool is the default
        assertThat(config.defaultPool()).isEqualTo("main");
        assertThat(config.kafka()).isEqualTo(KafkaSettings.defaults());
        assertThat(config.policy()).isSameAs(OutcomePolicy.defaults());
    }

    @Test
    void shouldRequireADefaultPoolAmongSeveral() {
        // Given two pools and no default pool
        Map<String, PoolConfig> pools = ordered("main", pool(null, "a"), "spare", pool(null, "b"));

        // When the configuration is built, Then the default pool is asked for
        assertThatThrownBy(() -> config(pools, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("defaultPool: required when more than one pool is configured");
    }

    @Test
    void shouldRejectAnUnknownDefaultPool() {
        // Given a default pool that is not configured
        Map<String, PoolConfig> pools = Map.of("main", pool(null, "a"));

        // When the configuration is built, Then the default pool is named
        assertThatThrownBy(() -> config(pools, "nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("defaultPool: unknown pool 'nope'");
    }

    @Test
    void shouldRejectAPoolNamingAnUnknownAccount() {
        // Given a pool whose second member is not an account
        Map<String, PoolConfig> pools = Map.of("main", pool(null, "a", "x"));

        // When the configuration is built, Then the member's path is named
        assertThatThrownBy(() -> config(pools, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pools.main.accounts[1]: unknown account 'x'");
    }

    @Test
    void shouldRejectAnUnknownFallbackPool() {
        // Given a pool falling back on a pool that does not exist
        Map<String, PoolConfig> pools = Map.of("main", pool("elsewhere", "a"));

        // When the configuration is built, Then the fallback's path is named
        assertThatThrownBy(() -> config(pools, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pools.main.fallback: unknown pool 'elsewhere'");
    }

    @Test
    void shouldRejectAFallbackCycle() {
        // Given a pool leading into a cycle of two others
        Map<String, PoolConfig> pools = ordered("c", pool("a", "c"), "a", pool("b", "a"), "b", pool("a", "b"));

        // When the configuration is built, Then the cycle is spelt out from where it starts
        assertThatThrownBy(() -> config(pools, "c"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pools.a.fallback: cycle a -> b -> a");
    }

    @Test
    void shouldRejectAPoolFallingBackOnItself() {
        // Given a pool that is its own fallback
        Map<String, PoolConfig> pools = Map.of("main", pool("main", "a"));

        // When the configuration is built, Then it is a cycle of one
        assertThatThrownBy(() -> config(pools, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pools.main.fallback: cycle main -> main");
    }

    @Test
    void shouldRejectAnAccountListedTwiceInOnePool() {
        // Given a pool listing account a twice, once with a priority
        List<PoolMember> members = List.of(new PoolMember("a"), new PoolMember("b"), new PoolMember("a", 3));

        // When the pool is built, Then the second listing is named
        assertThatThrownBy(() -> new PoolConfig(members))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("accounts[2]: account 'a' is listed twice");
    }

    @Test
    void shouldListThePoolChainInFallbackOrder() {
        // Given main falling back on spare falling back on last
        Map<String, PoolConfig> pools = ordered("main", pool("spare", "a"), "spare", pool("last", "b"),
                "last", pool(null, "c"));

        // When the chains are asked for
        TokenRelayConfig config = config(pools, "main");

        // Then each starts at its pool
        assertThat(config.poolChain("main")).containsExactly("main", "spare", "last");
        assertThat(config.poolChain("spare")).containsExactly("spare", "last");
        assertThat(config.poolChain("last")).containsExactly("last");
    }

    @Test
    void shouldLookUpPoolsAndAccountsAndNameUnknownOnes() {
        // Given a configuration with one pool
        TokenRelayConfig config = config(Map.of("main", pool(null, "a")), null);

        // When pools and accounts are looked up, Then known ones are found and unknown ones named
        assertThat(config.pool("main").accounts()).containsExactly(new PoolMember("a"));
        assertThat(config.account("b").baseUrl()).isEqualTo(URI.create("https://b.example.com"));
        assertThatThrownBy(() -> config.pool("other"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'other'");
        assertThatThrownBy(() -> config.account("z"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'z'");
        assertThatThrownBy(() -> config.poolChain("other"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'other'");
    }

    @Test
    void shouldKeepPoolsAndAccountsInTheirWrittenOrderAndImmutable() {
        // Given pools written in a non-alphabetical order
        Map<String, PoolConfig> pools = ordered("zeta", pool(null, "a"), "alpha", pool(null, "b"),
                "mid", pool(null, "c"));

        // When the configuration is built
        TokenRelayConfig config = config(pools, "zeta");

        // Then the order is kept and the maps cannot be changed
        assertThat(config.pools().keySet()).containsExactly("zeta", "alpha", "mid");
        assertThatThrownBy(() -> config.pools().remove("zeta")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldRejectAnInvalidAccountId() {
        // Given an account id with a space
        Map<String, AccountConfig> accounts = Map.of("my account", account("https://a.example.com"));

        // When the configuration is built, Then the id is named
        assertThatThrownBy(() -> new TokenRelayConfig(null, null, null,
                Map.of("main", pool(null, "a")), accounts, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("accounts[\"my account\"]: 'my account' is not valid as an account id");
    }

    private static TokenRelayConfig config(Map<String, PoolConfig> pools, String defaultPool) {
        return new TokenRelayConfig(null, null, null, pools, ACCOUNTS, defaultPool, null, null);
    }

    private static PoolConfig pool(String fallback, String... accounts) {
        return new PoolConfig(List.of(accounts).stream().map(PoolMember::new).toList(), null, fallback);
    }

    private static AccountConfig account(String url) {
        return new AccountConfig(ProviderType.OPENAI_CHAT, URI.create(url), Secret.env("KEY"));
    }

    private static Map<String, PoolConfig> ordered(Object... namesAndPools) {
        Map<String, PoolConfig> pools = new LinkedHashMap<>();
        for (int i = 0; i < namesAndPools.length; i += 2) {
            pools.put((String) namesAndPools[i], (PoolConfig) namesAndPools[i + 1]);
        }
        return pools;
    }
}
