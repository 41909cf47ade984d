package dev.tokenrelay.ops;

/**
 * The names and tags of tokenrelay's own meters, as Micrometer names them and as they appear in
 * the Prometheus text format (dots become underscores; counters get {@code _total}, timers
 * {@code _seconds}).
 */
public final class MetricNames {

    /** Counter of finished attempts; tags {@link #ACCOUNT}, {@link #OUTCOME}, {@link #REASON}. */
    public static final String ATTEMPTS = "tokenrelay.attempts";
    /** Timer of upstream calls, with histogram buckets; tags {@link #ACCOUNT}, {@link #OUTCOME}. */
    public static final String UPSTREAM_LATENCY = "tokenrelay.upstream.latency";
    /** Gauge of calls in flight; tag {@link #ACCOUNT}. */
    public static final String CALLS_IN_FLIGHT = "tokenrelay.calls.in.flight";
    /** Gauge of attempts waiting for capacity, a cooldown's end or a backoff; tag {@link #ACCOUNT}. */
    public static final String ATTEMPTS_QUEUED = "tokenrelay.attempts.queued";
    /** Counter of final results; tags {@link #STATUS}, {@link #STAGE}. */
    public static final String RESULTS = "tokenrelay.results";
    /** Counter of account health changes; tags {@link #ACCOUNT}, {@link #CHANGE}. */
    public static final String ACCOUNT_CHANGES = "tokenrelay.account.changes";

    /** Gauge of the accounts without a usable credential. */
    public static final String ACCOUNTS_WITHOUT_CREDENTIAL = "tokenrelay.accounts.without.credential";
    /** Gauge, 1 when the account has no usable credential, else 0; tag {@link #ACCOUNT}. */
    public static final String ACCOUNT_WITHOUT_CREDENTIAL = "tokenrelay.account.without.credential";
    /**
     * Counter of tokens the upstreams reported in the usage of final results; tags {@link #ACCOUNT}
     * (the account that answered), {@link #MODEL} (as the upstream served it), {@link #TYPE}
     * ({@code prompt} or {@code completion}).
     */
    public static final String TOKENS = "tokenrelay.tokens";

    /** {@link #ATTEMPTS} in the Prometheus text format. */
    public static final String PROM_ATTEMPTS = "tokenrelay_attempts_total";
    /** {@link #CALLS_IN_FLIGHT} in the Prometheus text format. */
    public static final String PROM_CALLS_IN_FLIGHT = "tokenrelay_calls_in_flight";
    /** {@link #ATTEMPTS_QUEUED} in the Prometheus text format. */
    public static final String PROM_ATTEMPTS_QUEUED = "tokenrelay_attempts_queued";
    /** {@link #RESULTS} in the Prometheus text format. */
    public static final String PROM_RESULTS = "tokenrelay_results_total";
    /** {@link #TOKENS} in the Prometheus text format. */
    public static final String PROM_TOKENS = "tokenrelay_tokens_total";
    /** {@link #ACCOUNT_CHANGES} in the Prometheus text format. */
    public static final String PROM_ACCOUNT_CHANGES = "tokenrelay_account_changes_total";

    /** {@link #ACCOUNTS_WITHOUT_CREDENTIAL} in the Prometheus text format. */
    public static final String PROM_ACCOUNTS_WITHOUT_CREDENTIAL = "tokenrelay_accounts_without_credential";
    /** {@link #ACCOUNT_WITHOUT_CREDENTIAL} in the Prometheus text format. */
    public static final String PROM_ACCOUNT_WITHOUT_CREDENTIAL = "tokenrelay_account_without_credential";

    public static final String ACCOUNT = "account";
    public static final String OUTCOME = "outcome";
    public static final String REASON = "reason";
    public static final String STATUS = "status";
    public static final String STAGE = "stage";
    public static final String CHANGE = "change";
    public static final String MODEL = "model";
    public static final String TYPE = "type";

    private MetricNames() {}
}
