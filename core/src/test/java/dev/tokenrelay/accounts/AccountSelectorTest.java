package dev.tokenrelay.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.config.ConfigException;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.testing.AccountStatesFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Choosing the next account (docs/design.md, section 3). */
class AccountSelectorTest {

    private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");

    private static final String YAML = """
            accounts:
              a:   {provider: openai-chat, baseUrl: "https://a.example.com/v1"}
              b:   {provider: openai-chat, baseUrl: "https://b.example.com/v1"}
              c:   {provider: openai-chat, baseUrl: "https://c.example.com/v1"}
              d:   {provider: openai-chat, baseUrl: "https://d.example.com/v1"}
              e:   {provider: openai-chat, baseUrl: "https://e.example.com/v1"}
              f:   {provider: openai-chat, baseUrl: "https://f.example.com/v1"}
              lo:  {provider: openai-chat, baseUrl: "https://lo.example.com/v1"}
              mid: {provider: openai-chat, baseUrl: "https://mid.example.com/v1"}
              hi:  {provider: openai-chat, baseUrl: "https://hi.example.com/v1"}
              neg: {provider: openai-chat, baseUrl: "https://neg.example.com/v1"}
              r1:  {provider: openai-chat, baseUrl: "https://r1.example.com/v1"}
              r2:  {provider: openai-chat, baseUrl: "https://r2.example.com/v1"}
              r3:  {provider: openai-chat, baseUrl: "https://r3.example.com/v1"}
              x1:  {provider: openai-chat, baseUrl: "https://x1.example.com/v1"}
              x2:  {provider: openai-chat, baseUrl: "https://x2.example.com/v1"}
              x3:  {provider: openai-chat, baseUrl: "https://x3.example.com/v1"}
            pools:
              main:
                accounts: [a, b, c]
                fallback: backup
              backup:
                accounts: [d, e]
                fallback: last
              last:
                accounts: [f]
              ranked:
                accounts:
                  - lo
                  - {account: hi, priority: 10}
                  - {account: neg, priority: -1}
                  - {account: mid, priority: 5}
              rr:
                accounts: [r3, r1, r2]
                strategy: round-robin
              rr-ranked:
                accounts:
                  - x3
                  - {account: x1, priority: 1}
                  - {account: x2, priority: 1}
                strategy: round-robin
            defaultPool: main
            """;

    private static TokenRelayConfig config;
    private AccountSelector selector;

    @BeforeAll
    static void parseConfig() throws ConfigException {
        config = ConfigLoader.parse(YAML, "test");
    }

    @BeforeEach
    void createSelector() {
        selector = new AccountSelector(config);
    }

    private Choice choose(String pool, Set<String> tried, String requestId, AccountStates states) {
        return selector.choose(pool, tried, requestId, states, NOW);
    }

    private Choice choose(String pool, Set<String> tried) {
        return choose(pool, tried, "req-1", AccountStates.none());
    }

    /** Chooses until nothing is left, as consecutive failed attempts of one request would. */
    private List<String> walk(String pool, String requestId, AccountStates states) {
        List<String> order = new ArrayList<>();
        Set<String> tried = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            Choice choice = choose(pool, tried, requestId, states);
            if (!(choice instanceof Choice.Chosen chosen)) {
                break;
            }
            order.add(chosen.account());
            tried.add(chosen.account());
        }
        return order;
    }

    @Test
    void shouldChooseTheHighestPriorityGroupFirst() {
        // Given a pool listing priorities 0, 10, -1 and 5, in that order
        // When a request walks the pool
        List<String> order = walk("ranked", "req-1", AccountStates.none());

        // Then it goes from the highest priority to the lowest, negative last
        assertThat(order).containsExactly("hi", "mid", "lo", "neg");
    }

    @Test
    void shouldChooseInListedOrderForFillFirst() {
        // Given a fill-first pool of one priority group
        // When several different requests choose with nothing tried
        // Then every one gets the first account listed
        for (String id : List.of("req-1", "req-2", "req-3", "another", "x")) {
            assertThat(choose("main", Set.of(), id, AccountStates.none())).isEqualTo(Choice.chosen("a", "main"));
        }
    }

    @Test
    void shouldWalkAFillFirstPoolInListedOrderAndThenItsFallbacks() {
        // Given pool main [a, b, c] falling back to backup [d, e] falling back to last [f]
        // When a request walks the chain
        List<String> order = walk("main", "req-1", AccountStates.none());

        // Then every account of a pool is tried before the next pool, in listed order
        assertThat(order).containsExactly("a", "b", "c", "d", "e", "f");
    }

    @Test
    void shouldNameThePoolTheAccountWasChosenFrom() {
        // Given every account of main tried
        // When the next account is chosen
        Choice choice = choose("main", Set.of("a", "b", "c"));

        // Then it comes from the fallback pool and says so
        assertThat(choice).isEqualTo(Choice.chosen("d", "backup"));
    }

    @Test
    void shouldSkipAccountsAlreadyTried() {
        // Given a and c already tried for this request
        // When the next account is chosen
        Choice choice = choose("main", Set.of("a", "c"));

        // Then it is the one left, b
        assertThat(choice).isEqualTo(Choice.chosen("b", "main"));
    }

    @Test
    void shouldSpreadDifferentRequestsOverARoundRobinGroup() {
        // Given a round-robin pool of three accounts
        // When 300 different requests choose their first account
        Map<String, Integer> counts = new HashMap<>();
        IntStream.range(0, 300).forEach(i -> {
            Choice choice = choose("rr", Set.of(), "req-" + i, AccountStates.none());
            counts.merge(((Choice.Chosen) choice).account(), 1, Integer::sum);
        });

        // Then every account gets a fair share of them
        assertThat(counts).containsOnlyKeys("r1", "r2", "r3");
        assertThat(counts.values()).allSatisfy(count -> assertThat(count).isBetween(60, 140));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"req-0", "req-1", "req-2", "req-3", "b7c1e2f0-9a4d-4c1e-8d2a-0f3b5e6a7c81", "z"})
    void shouldWalkARoundRobinGroupWithoutRepeats(String requestId) {
        // Given a round-robin pool of three accounts without fallback
        // When one request fails over until nothing is left
        List<String> order = walk("rr", requestId, AccountStates.none());

        // Then it has tried every account exactly once
        assertThat(order).hasSize(3).containsExactlyInAnyOrder("r1", "r2", "r3");
        assertThat(choose("rr", Set.copyOf(order), requestId, AccountStates.none()))
                .isEqualTo(Choice.noneLeft(false));
    }

    @Test
    void shouldChooseTheSameFirstAccountForTheSameRequestId() {
        // Given a round-robin pool
        // When the same request id chooses twice (another instance, a replay)
        Choice first = choose("rr", Set.of(), "req-42", AccountStates.none());
        Choice second = new AccountSelector(config).choose("rr", Set.of(), "req-42", AccountStates.none(), NOW);

        // Then it is the same account
        assertThat(second).isEqualTo(first);
    }

    @Test
    void shouldRoundRobinInsideThePriorityGroupOnly() {
        // Given a round-robin pool with x1 and x2 at priority 1 and x3 at priority 0
        for (int i = 0; i < 20; i++) {
            // When a request walks the pool
            List<String> order = walk("rr-ranked", "req-" + i, AccountStates.none());

            // Then the priority-1 accounts come first, in some order, and x3 last
            assertThat(order).hasSize(3);
            assertThat(order.subList(0, 2)).containsExactlyInAnyOrder("x1", "x2");
            assertThat(order.get(2)).isEqualTo("x3");
        }
    }

    @Test
    void shouldNotChooseACoolingAccountWhileAHealthyOneRemains() {
        // Given the first account of main cooling for another 10 s
        AccountStatesFixture states = states().cooling("a", Duration.ofSeconds(10));

        // When an account is chosen
        Choice choice = choose("main", Set.of(), "req-1", states);

        // Then the next healthy one is chosen
        assertThat(choice).isEqualTo(Choice.chosen("b", "main"));
    }

    @Test
    void shouldPreferAHealthyLowerPriorityAccountToACoolingHigherPriorityOne() {
        // Given the highest priority account cooling
        AccountStatesFixture states = states().cooling("hi", Duration.ofSeconds(30));

        // When an account is chosen
        Choice choice = choose("ranked", Set.of(), "req-1", states);

        // Then the next priority group is used
        assertThat(choice).isEqualTo(Choice.chosen("mid", "ranked"));
    }

    @Test
    void shouldSkipACoolingAccountInARoundRobinGroup() {
        // Given a round-robin pool with r1 and r2 cooling
        AccountStatesFixture states = states().cooling("r1", Duration.ofSeconds(5)).cooling("r2", Duration.ofSeconds(5));

        // When many requests choose
        // Then all of them get r3
        for (int i = 0; i < 20; i++) {
            assertThat(choose("rr", Set.of(), "req-" + i, states)).isEqualTo(Choice.chosen("r3", "rr"));
        }
    }

    @Test
    void shouldChooseAnAccountWhoseCooldownHasEnded() {
        // Given a's cooldown ended exactly now and b's a second ago
        AccountStatesFixture states = states().cooledDownAt("a", NOW).cooledDownAt("b", NOW.minusSeconds(1));

        // When an account is chosen
        Choice choice = choose("main", Set.of(), "req-1", states);

        // Then a is healthy again
        assertThat(choice).isEqualTo(Choice.chosen("a", "main"));
    }

    @Test
    void shouldSkipAnAccountTheRuleDisabledUntilItsProbeIsDue() {
        // Given a disabled by the rule, its probe in a minute
        AccountStatesFixture states = states().disabledUntilProbe("a", NOW.plusSeconds(60));

        // When an account is chosen now, and once the probe is due
        Choice before = selector.choose("main", Set.of(), "req-1", states, NOW);
        Choice after = selector.choose("main", Set.of(), "req-1", states, NOW.plusSeconds(60));

        // Then b is chosen first, and a again once it may be probed
        assertThat(before).isEqualTo(Choice.chosen("b", "main"));
        assertThat(after).isEqualTo(Choice.chosen("a", "main"));
    }

    @Test
    void shouldWaitForTheProbeOfTheOnlyAccountButNotForOneDisabledByHand() {
        // Given the one-account pool's account disabled by the rule, and the same account disabled by hand
        AccountStatesFixture probed = states().disabledUntilProbe("f", NOW.plusSeconds(30));
        AccountStatesFixture byHand = states().disabledByHand("f");

        // When an account is chosen, waiting allowed, with no deadline
        Choice waited = selector.chooseOrWait("last", Set.of(), "req-1", probed, NOW, null);
        Choice refused = selector.chooseOrWait("last", Set.of(), "req-1", byHand, NOW, null);

        // Then the request waits for the probe, but nothing waits for an account disabled by hand
        assertThat(waited).isEqualTo(new Choice.Chosen("f", "last", NOW.plusSeconds(30)));
        assertThat(refused).isInstanceOf(Choice.NoneLeft.class);
    }

    @Test
    void shouldNotChooseADisabledAccount() {
        // Given a and b disabled
        AccountStatesFixture states = states().disabledByHand("a").disabledByHand("b");

        // When an account is chosen
        Choice choice = choose("main", Set.of(), "req-1", states);

        // Then c is chosen
        assertThat(choice).isEqualTo(Choice.chosen("c", "main"));
    }

    @Test
    void shouldGoToTheFallbackPoolWhenEveryUntriedAccountOfThePoolIsCooling() {
        // Given a tried, and b and c cooling
        AccountStatesFixture states = states().cooling("b", Duration.ofSeconds(15)).cooling("c", Duration.ofSeconds(15));

        // When the next account is chosen
        Choice choice = choose("main", Set.of("a"), "req-1", states);

        // Then the fallback pool's first account is chosen
        assertThat(choice).isEqualTo(Choice.chosen("d", "backup"));
    }

    @Test
    void shouldGoThroughTheWholeFallbackChainPastCoolingPools() {
        // Given every account of main and backup cooling
        AccountStatesFixture states = states();
        List.of("a", "b", "c", "d", "e").forEach(account -> states.cooling(account, Duration.ofSeconds(15)));

        // When an account is chosen
        Choice choice = choose("main", Set.of(), "req-1", states);

        // Then the last pool of the chain is used
        assertThat(choice).isEqualTo(Choice.chosen("f", "last"));
    }

    @Test
    void shouldSayAllCoolingWhenEveryUntriedAccountOfTheChainIsCooling() {
        // Given some accounts of the chain tried and every other one cooling
        AccountStatesFixture states = states();
        List.of("b", "c", "e", "f").forEach(account -> states.cooling(account, Duration.ofSeconds(15)));

        // When an account is chosen
        Choice choice = choose("main", Set.of("a", "d"), "req-1", states);

        // Then none is left, because all of them are cooling
        assertThat(choice).isEqualTo(Choice.noneLeft(true));
    }

    @Test
    void shouldNotSayAllCoolingWhenEveryAccountWasTried() {
        // Given every account of the chain tried
        // When an account is chosen
        Choice choice = choose("main", Set.of("a", "b", "c", "d", "e", "f"));

        // Then none is left, and not because of cooling
        assertThat(choice).isEqualTo(Choice.noneLeft(false));
    }

    @Test
    void shouldNotSayAllCoolingWhenTheOnlyUntriedAccountsAreDisabled() {
        // Given a pool without fallback whose only account is disabled
        AccountStatesFixture states = states().disabledByHand("f");

        // When an account is chosen
        Choice choice = choose("last", Set.of(), "req-1", states);

        // Then none is left, and waiting would not help
        assertThat(choice).isEqualTo(Choice.noneLeft(false));
    }

    @Test
    void shouldNotCountATriedCoolingAccountAsAWaitableCandidate() {
        // Given f tried (and now cooling because of it)
        AccountStatesFixture states = states().cooling("f", Duration.ofSeconds(15));

        // When the next account is chosen
        Choice choice = choose("last", Set.of("f"), "req-1", states);

        // Then none is left and it is not "all cooling": f is never tried twice
        assertThat(choice).isEqualTo(Choice.noneLeft(false));
    }

    @Test
    void shouldSkipTheRestOfThePoolWithChooseAfter() {
        // Given a tried in main, and b and c still untried and healthy
        // When the next account is chosen after main (the pool is unusable)
        Choice choice = selector.chooseAfter("main", Set.of("a"), "req-1", AccountStates.none(), NOW);

        // Then it comes from main's fallback pool
        assertThat(choice).isEqualTo(Choice.chosen("d", "backup"));
    }

    @Test
    void shouldContinueDownTheChainWithChooseAfter() {
        // Given every account of backup cooling
        AccountStatesFixture states = states().cooling("d", Duration.ofSeconds(15)).cooling("e", Duration.ofSeconds(15));

        // When the next account is chosen after main
        Choice choice = selector.chooseAfter("main", Set.of("a"), "req-1", states, NOW);

        // Then it comes from backup's own fallback
        assertThat(choice).isEqualTo(Choice.chosen("f", "last"));
    }

    @Test
    void shouldLeaveNothingWithChooseAfterOnAPoolWithoutFallback() {
        // Given a pool without fallback
        // When the next account is chosen after it
        Choice choice = selector.chooseAfter("last", Set.of("f"), "req-1", AccountStates.none(), NOW);

        // Then none is left
        assertThat(choice).isEqualTo(Choice.noneLeft(false));
    }

    // ---- accounts without a usable credential ---------------------------------------------------

    /** A selector for which {@code missing} maps accounts to why they have no usable credential. */
    private static AccountSelector withoutCredential(Map<String, String> missing) {
        return new AccountSelector(config, account -> Optional.ofNullable(missing.get(account)));
    }

    @Test
    void shouldSkipAnAccountWithoutACredentialLikeADisabledOne() {
        // Given a, the first account of main, whose key variable is unset
        AccountSelector keyless = withoutCredential(Map.of("a", "variable A_KEY unset"));

        // When a request walks the pool chain
        List<String> order = new ArrayList<>();
        Set<String> tried = new HashSet<>();
        Choice choice;
        while ((choice = keyless.choose("main", tried, "req-1", AccountStates.none(), NOW)) instanceof Choice.Chosen chosen) {
            order.add(chosen.account());
            tried.add(chosen.account());
        }

        // Then a is never chosen: the others of main come first, then the fallbacks
        assertThat(order).containsExactly("b", "c", "d", "e", "f");
        // And what is left at the end names a and why
        assertThat(((Choice.NoneLeft) choice).withoutCredential()).containsExactly(Map.entry("a", "variable A_KEY unset"));
    }

    @Test
    void shouldSkipAnAccountWithoutACredentialInARoundRobinGroup() {
        // Given a round-robin pool whose r2 has no usable credential
        AccountSelector keyless = withoutCredential(Map.of("r2", "file /run/secrets/r2 missing"));

        // When many requests choose their first account
        Set<String> chosen = new HashSet<>();
        IntStream.range(0, 50).forEach(i -> chosen.add(
                ((Choice.Chosen) keyless.choose("rr", Set.of(), "req-" + i, AccountStates.none(), NOW)).account()));

        // Then r2 is never chosen, and the others share the requests
        assertThat(chosen).containsExactlyInAnyOrder("r1", "r3");
    }

    @Test
    void shouldNameEveryAccountWithoutACredentialWhenNoAccountOfTheChainHasOne() {
        // Given a one-pool chain whose only account has no usable credential
        AccountSelector keyless = withoutCredential(Map.of("f", "variable OPENAI_KEY_2 unset"));

        // When an account is chosen, waiting allowed
        Choice choice = keyless.chooseOrWait("last", Set.of(), "req-1", AccountStates.none(), NOW, null);

        // Then none is left, not because of cooling, and the message says which account lacks what
        assertThat(choice).isEqualTo(Choice.noneLeft(false, Map.of("f", "variable OPENAI_KEY_2 unset")));
        assertThat(keyless.noCredentialMessage("last", ((Choice.NoneLeft) choice).withoutCredential()))
                .isEqualTo("no account of pool 'last' has a usable credential: f (variable OPENAI_KEY_2 unset)");
    }

    @Test
    void shouldSayTheFallbackPoolsInTheMessageOfAChain() {
        // Given accounts of main and its fallbacks without a usable credential
        Map<String, String> missing = new LinkedHashMap<>();
        missing.put("a", "variable A_KEY unset");
        missing.put("d", "file /run/secrets/d missing");

        // When the message is made
        String message = selector.noCredentialMessage("main", missing);

        // Then it names the chain and each account with why, in order
        assertThat(message).isEqualTo("no account of pool 'main' or its fallback pools has a usable credential: "
                + "a (variable A_KEY unset), d (file /run/secrets/d missing)");
    }

    @Test
    void shouldNotWaitForACoolingAccountWithoutACredential() {
        // Given f, the only account of its pool, cooling and without a usable credential
        AccountSelector keyless = withoutCredential(Map.of("f", "variable F_KEY unset"));
        AccountStatesFixture states = states().cooling("f", Duration.ofSeconds(5));

        // When an account is chosen, waiting allowed
        Choice choice = keyless.chooseOrWait("last", Set.of(), "req-1", states, NOW, null);

        // Then nothing waits for it: it would not be called when its cooldown ends either
        assertThat(choice).isEqualTo(Choice.noneLeft(false, Map.of("f", "variable F_KEY unset")));
    }

    private static AccountStatesFixture states() {
        return new AccountStatesFixture(NOW);
    }
}
