package dev.tokenrelay.tools;

import dev.tokenrelay.ops.MetricNames;
import dev.tokenrelay.ops.scrape.PrometheusText;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.OutcomeKind;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The table the {@code accounts} command prints: per account, its state from the accounts topic
 * (cooling until, why, failed attempts since the last success, disabled, the latest failure) and, when a metrics endpoint
 * was read, whether the processor has a usable credential for it, its calls in flight, queued
 * attempts and success rate. Columns without a source show {@code -}. The credential column comes
 * from the processor, not from this command's own environment, which seldom holds the keys.
 */
public final class AccountsTable {

    static final String NONE = "-";
    private static final List<String> HEADERS = List.of("ACCOUNT", "COOLING UNTIL", "WHY", "FAILURES", "DISABLED",
            "CREDENTIAL", "IN FLIGHT", "QUEUED", "SUCCESS", "LAST ERROR");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    private AccountsTable() {}

    /**
     * One account.
     *
     * @param state   its state in the accounts topic, {@code null} when it never had one (healthy)
     * @param metrics its figures from the metrics endpoint, {@code null} when none could be read
     */
    public record Row(String account, AccountState state, AccountMetrics metrics) {}

    /** Shown for an account the processor has no usable credential for. */
    static final String NO_CREDENTIAL = "no credential";

    /**
     * An account's figures from the metrics endpoint(s).
     *
     * @param withoutCredential how many instances have no usable credential for the account
     */
    public record AccountMetrics(long inFlight, long queued, long successes, long attempts, long withoutCredential) {

        /** The account's figures in a scrape; 0 where it has no sample (never called, or owned elsewhere). */
        public static AccountMetrics of(PrometheusText scrape, String account) {
            return new AccountMetrics(
                    (long) scrape.sum(MetricNames.PROM_CALLS_IN_FLIGHT, MetricNames.ACCOUNT, account),
                    (long) scrape.sum(MetricNames.PROM_ATTEMPTS_QUEUED, MetricNames.ACCOUNT, account),
                    (long) scrape.sum(MetricNames.PROM_ATTEMPTS, labels -> account.equals(labels.get(MetricNames.ACCOUNT))
                            && OutcomeKind.SUCCESS.name().equals(labels.get(MetricNames.OUTCOME))),
                    (long) scrape.sum(MetricNames.PROM_ATTEMPTS, MetricNames.ACCOUNT, account),
                    (long) scrape.sum(MetricNames.PROM_ACCOUNT_WITHOUT_CREDENTIAL, MetricNames.ACCOUNT, account));
        }

        /** These figures plus {@code other}'s: several instances each own some accounts. */
        public AccountMetrics plus(AccountMetrics other) {
            return new AccountMetrics(inFlight + other.inFlight, queued + other.queued, successes + other.successes,
                    attempts + other.attempts, withoutCredential + other.withoutCredential);
        }
    }

    /** The table, one line per row under a header line, columns aligned. */
    public static String render(List<Row> rows, Instant now) {
        List<List<String>> lines = new ArrayList<>();
        lines.add(HEADERS);
        rows.forEach(row -> lines.add(cells(row, now)));
        return TextTable.render(lines);
    }

    static List<String> cells(Row row, Instant now) {
        AccountState state = row.state();
        boolean cooling = state != null && state.coolingAt(now);
        AccountMetrics metrics = row.metrics();
        return List.of(
                row.account(),
                cooling ? coolingUntil(state.coolingUntil(), now) : NONE,
                cooling && state.reason() != null ? state.reason() : NONE,
                state == null ? "0" : Integer.toString(state.consecutiveFailures()),
                disabled(state, now),
                metrics == null ? NONE : metrics.withoutCredential() > 0 ? NO_CREDENTIAL : "ok",
                metrics == null ? NONE : Long.toString(metrics.inFlight()),
                metrics == null ? NONE : Long.toString(metrics.queued()),
                metrics == null ? NONE : successRate(metrics),
                lastError(state));
    }

    /** {@code yes}, {@code no}, or {@code probing} for a disabled account whose probe is due. */
    static String disabled(AccountState state, Instant now) {
        if (state == null || !state.disabled()) {
            return "no";
        }
        return state.probingAt(now) ? "probing" : "yes";
    }

    static String coolingUntil(Instant until, Instant now) {
        return TIME.format(until) + " (" + left(Duration.between(now, until)) + " left)";
    }

    /** A short duration, rounded up to the second: {@code 14s}, {@code 2m05s}, {@code 1h02m}. */
    static String left(Duration duration) {
        long seconds = Math.max(0, (duration.toMillis() + 999) / 1000);
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
    }

    static String successRate(AccountMetrics metrics) {
        if (metrics.attempts() == 0) {
            return NONE;
        }
        double percent = 100.0 * metrics.successes() / metrics.attempts();
        return String.format(Locale.ROOT, "%.0f%% (%d/%d)", Math.floor(percent), metrics.successes(), metrics.attempts());
    }

    /**
     * The reason and status of the latest failed attempt, until a success clears it. A state
     * written before the latest failure was recorded falls back to the last failure that cooled
     * the account.
     */
    static String lastError(AccountState state) {
        if (state != null && state.lastError() != null) {
            return state.lastErrorStatus() == null ? state.lastError()
                    : state.lastError() + " (" + state.lastErrorStatus() + ")";
        }
        if (state == null || state.lastOutcome() == null || state.lastOutcome() == OutcomeKind.SUCCESS) {
            return NONE;
        }
        String reason = state.reason() == null ? state.lastOutcome().name() : state.reason();
        return state.lastStatus() == null ? reason : reason + " (" + state.lastStatus() + ")";
    }
}
