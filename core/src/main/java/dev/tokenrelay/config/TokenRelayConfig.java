package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration of a processor, checked as a whole: every pool names configured
 * accounts, every fallback names a configured pool, fallbacks form no cycle, and the default pool
 * exists.
 *
 * <p>Read from YAML by {@link ConfigLoader}; every error names the path of the offending value.
 *
 * @param kafka the cluster, or the embedded broker; defaults when absent
 * @param topics the topic names and partitions; when absent, every topic at its default, named
 *     after {@code kafka.applicationId}
 * @param processor how the processor runs; defaults when absent
 * @param pools the pools by name, in the order written; required, not empty
 * @param accounts the accounts by id, in the order written; required, not empty
 * @param defaultPool the pool of a request that names none; may be left out when there is only
 *     one pool, and is then that pool
 * @param policy how outcomes are classified; the design's defaults when absent
 * @param retry when an account already tried may be tried again; defaults when absent
 * @param ops the metrics and health endpoint; defaults (127.0.0.1:9464) when absent
 */
public record TokenRelayConfig(KafkaSettings kafka, TopicsConfig topics, ProcessorSettings processor,
        Map<String, PoolConfig> pools, Map<String, AccountConfig> accounts, String defaultPool, OutcomePolicy policy,
        RetryPolicy retry, OperationsSettings ops) {

    /** Applies the defaults and runs the checks that span several sections. */
    public TokenRelayConfig {
        kafka = kafka == null ? KafkaSettings.defaults() : kafka;
        topics = topics == null ? TopicsConfig.forApplication(kafka.applicationId()) : topics;
        processor = processor == null ? ProcessorSettings.defaults() : processor;
        policy = policy == null ? OutcomePolicy.defaults() : policy;
        retry = retry == null ? RetryPolicy.defaults() : retry;
        ops = ops == null ? OperationsSettings.defaults() : ops;
        accounts = named(accounts, "accounts", "an account id");
        pools = named(pools, "pools", "a pool name");
        checkMembers(pools, accounts);
        checkFallbacks(pools);
        defaultPool = resolveDefaultPool(defaultPool, pools);
    }

    /** The configuration without an {@code ops} section: the operations endpoint at its defaults. */
    public TokenRelayConfig(KafkaSettings kafka, TopicsConfig topics, ProcessorSettings processor,
            Map<String, PoolConfig> pools, Map<String, AccountConfig> accounts, String defaultPool, OutcomePolicy policy,
            RetryPolicy retry) {
        this(kafka, topics, processor, pools, accounts, defaultPool, policy, retry, null);
    }

    // The topics' default names depend on the application id, a sibling section, so the topics
    // are read as declared and resolved here.
    @JsonCreator
    private static TokenRelayConfig fromYaml(@JsonProperty("kafka") KafkaSettings kafka,
            @JsonProperty("topics") TopicsConfig.Declared topics, @JsonProperty("processor") ProcessorSettings processor,
            @JsonProperty("pools") Map<String, PoolConfig> pools, @JsonProperty("accounts") Map<String, AccountConfig> accounts,
            @JsonProperty("defaultPool") String defaultPool, @JsonProperty("policy") OutcomePolicy policy,
            @JsonProperty("retry") RetryPolicy retry, @JsonProperty("ops") OperationsSettings ops) {
        KafkaSettings resolvedKafka = kafka == null ? KafkaSettings.defaults() : kafka;
        TopicsConfig resolvedTopics = InvalidConfigException.within("topics",
                () -> (topics == null ? TopicsConfig.Declared.NONE : topics).resolve(resolvedKafka.applicationId()));
        return new TokenRelayConfig(resolvedKafka, resolvedTopics, processor, pools, accounts, defaultPool, policy, retry,
                ops);
    }

    /**
     * The pool named {@code name}.
     *
     * @throws IllegalArgumentException when there is no such pool
     */
    public PoolConfig pool(String name) {
        PoolConfig pool = pools.get(name);
        if (pool == null) {
            throw new IllegalArgumentException("unknown pool '" + name + "' (pools: " + String.join(", ", pools.keySet()) + ")");
        }
        return pool;
    }

    /**
     * The account with id {@code id}.
     *
     * @throws IllegalArgumentException when there is no such account
     */
    public AccountConfig account(String id) {
        AccountConfig account = accounts.get(id);
        if (account == null) {
            throw new IllegalArgumentException("unknown account '" + id + "'");
        }
        return account;
    }

    /** The in-flight limit of an account: its own, else the processor's default. */
    public int maxInFlight(AccountConfig account) {
        return account.maxInFlight() != null ? account.maxInFlight() : processor.defaultMaxInFlight();
    }

    /** How many queued attempts of {@code account} a dispatch task keeps decoded, ready to start. */
    public int queueWindow(AccountConfig account) {
        return processor.queueWindow() != null ? processor.queueWindow() : maxInFlight(account);
    }

    /**
     * The pools a request for {@code pool} goes through: {@code pool}, then its fallback, then
     * the fallback's fallback, and so on.
     *
     * @throws IllegalArgumentException when there is no such pool
     */
    public List<String> poolChain(String pool) {
        List<String> chain = new ArrayList<>();
        for (String name = pool; name != null; name = pool(name).fallback()) {
            chain.add(name);
        }
        return List.copyOf(chain);
    }

    private static <V> Map<String, V> named(Map<String, V> entries, String section, String what) {
        if (entries == null || entries.isEmpty()) {
            throw new InvalidConfigException(section, "required: configure at least one");
        }
        for (Map.Entry<String, V> entry : entries.entrySet()) {
            String path = ConfigPaths.join(section, ConfigPaths.key(String.valueOf(entry.getKey())));
            if (!Ids.isValid(entry.getKey())) {
                Ids.require(entry.getKey(), path, what);
            }
            if (entry.getValue() == null) {
                throw new InvalidConfigException(path, "must not be empty");
            }
        }
        // Order matters: it is the order the pools and accounts are listed in everywhere.
        return Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    private static void checkMembers(Map<String, PoolConfig> pools, Map<String, AccountConfig> accounts) {
        pools.forEach((name, pool) -> {
            List<PoolMember> members = pool.accounts();
            for (int i = 0; i < members.size(); i++) {
                String account = members.get(i).account();
                if (!accounts.containsKey(account)) {
                    throw new InvalidConfigException(poolPath(name) + ".accounts" + ConfigPaths.index(i),
                            "unknown account '" + account + "'");
                }
            }
            if (pool.fallback() != null && !pools.containsKey(pool.fallback())) {
                throw new InvalidConfigException(poolPath(name) + ".fallback", "unknown pool '" + pool.fallback() + "'");
            }
        });
    }

    private static void checkFallbacks(Map<String, PoolConfig> pools) {
        for (String start : pools.keySet()) {
            List<String> walked = new ArrayList<>();
            for (String name = start; name != null; name = pools.get(name).fallback()) {
                int seen = walked.indexOf(name);
                if (seen >= 0) {
                    List<String> cycle = new ArrayList<>(walked.subList(seen, walked.size()));
                    cycle.add(name);
                    throw new InvalidConfigException(poolPath(name) + ".fallback", "cycle " + String.join(" -> ", cycle));
                }
                walked.add(name);
            }
        }
    }

    private static String resolveDefaultPool(String defaultPool, Map<String, PoolConfig> pools) {
        if (defaultPool == null) {
            if (pools.size() > 1) {
                throw new InvalidConfigException("defaultPool", "required when more than one pool is configured");
            }
            return pools.keySet().iterator().next();
        }
        if (!pools.containsKey(defaultPool)) {
            throw new InvalidConfigException("defaultPool", "unknown pool '" + defaultPool + "'");
        }
        return defaultPool;
    }

    private static String poolPath(String name) {
        return ConfigPaths.join("pools", ConfigPaths.key(name));
    }
}
