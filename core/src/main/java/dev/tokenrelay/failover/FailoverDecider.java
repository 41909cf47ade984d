package dev.tokenrelay.failover;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.accounts.AccountSelector;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.Choice;
import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.accounts.ModelRouting;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.config.RetryPolicy;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.schema.ResultStatus;
import dev.tokenrelay.schema.TrailEntry;
import dev.tokenrelay.schema.UpstreamResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The failover rule (docs/design.md, section 3, token_proxy PR #223): decided from the classified outcome,
 * never from the raw status alone.
 * <ul>
 *   <li>SUCCESS with a 2xx status: the result.</li>
 *   <li>SUCCESS with a non-2xx status, or RETRYABLE: the next account not yet tried, through the
 *       pool's fallback pools; a final answer (context window, content policy) stops.</li>
 *   <li>FATAL: stop with an error.</li>
 *   <li>SKIPPED_AUTH: stop this pool, go on in its fallback pool.</li>
 * </ul>
 * When every untried account is cooling, the next attempt waits for the earliest cooldown to end
 * if the deadline allows. When none is left after a RETRYABLE outcome, an account already tried
 * may be tried again ({@link RetryPolicy}), only if its last answer was one a wait can cure (408,
 * 429, 5xx, a transport error by default), never a 4xx that says the request is bad. A pinned request gets its account's outcome, with no
 * failover. A request whose deadline has passed is not tried again: it ends as {@code expired}.
 */
public final class FailoverDecider {

    private final TokenRelayConfig config;
    private final AccountSelector selector;
    private final ModelRouting models;
    private final DoubleSupplier jitter;

    /**
     * @param credentials which accounts have no usable credential: they are not chosen
     * @param jitter supplies the random factor of each backoff, uniform in [0.5, 1]
     */
    public FailoverDecider(TokenRelayConfig config, CredentialCheck credentials, DoubleSupplier jitter) {
        this.config = config;
        this.selector = new AccountSelector(config, credentials);
        this.models = new ModelRouting(config);
        this.jitter = jitter;
    }

    /** A decider that takes every account's credential as usable (tests, tools). */
    public FailoverDecider(TokenRelayConfig config, DoubleSupplier jitter) {
        this(config, CredentialCheck.allUsable(), jitter);
    }

    public FailoverDecider(TokenRelayConfig config, CredentialCheck credentials) {
        this(config, credentials, () -> ThreadLocalRandom.current().nextDouble(0.5, 1.0));
    }

    public Decision decide(Attempt attempt, Outcome outcome, TrailEntry entry, AccountStates states, Instant now) {
        ChatRequest request = attempt.request();
        List<TrailEntry> trail = append(attempt.trail(), entry);
        UpstreamResponse lastResponse = responseOf(outcome, attempt.lastResponse());

        if (outcome instanceof Outcome.Success success) {
            if (success.is2xx()) {
                return new Decision.Finish(Results.succeeded(request, success.status(), success.completion(),
                        success.usage(), trail, now));
            }
            if (success.finalAnswer()) {
                return finish(request, success.status(), new ErrorInfo("upstream_final_answer",
                        "the upstream refused the request (" + success.reason() + "); other accounts would too",
                        bodyOf(success.response())), trail, now);
            }
        }
        if (outcome instanceof Outcome.Fatal fatal) {
            return finish(request, fatal.resultStatus(), ErrorInfo.of("fatal", fatal.reason() + ": " + fatal.message()),
                    trail, now);
        }
        if (attempt.expiredAt(now)) {
            return expired(request, trail, now);
        }

        Choice choice = Choice.noneLeft(false);
        if (!request.pinned()) {
            Set<String> tried = new HashSet<>(attempt.triedAccounts());
            tried.add(attempt.account());
            tried = models.excluded(tried, request.model());
            String from = outcome.kind() == OutcomeKind.SKIPPED_AUTH ? config.pool(attempt.pool()).fallback()
                    : attempt.pool();
            if (from != null) {
                choice = selector.chooseOrWait(from, tried, request.id(), states, now, attempt.deadline());
            }
            if (choice instanceof Choice.NoneLeft && outcome.kind() == OutcomeKind.RETRYABLE) {
                choice = retryOfTried(attempt, trail, states, now).orElse(choice);
            }
        }
        if (choice instanceof Choice.Chosen chosen) {
            return new Decision.Continue(new Attempt(request, attempt.number() + 1, chosen.account(), chosen.pool(),
                    trail, lastResponse, now, attempt.deadline(), chosen.notBefore()));
        }
        return exhausted(request, trail, lastResponse, outcome, (Choice.NoneLeft) choice, now);
    }

    /**
     * Where an attempt that has not been made yet should go now that its account cannot take it
     * (the account started cooling while the attempt waited for it): another account, the same one
     * after its cooldown, or the end of the request.
     */
    public Decision redirect(Attempt attempt, AccountStates states, Instant now) {
        ChatRequest request = attempt.request();
        if (attempt.expiredAt(now)) {
            return expired(request, attempt.trail(), now);
        }
        Choice choice;
        if (request.pinned()) {
            choice = waitFor(attempt.account(), attempt.pool(), states, now, attempt.deadline());
        } else {
            // The attempt's own account stays a candidate even when the trail has it: a same-account
            // retry was granted when this attempt was made, and it has not been called yet.
            Set<String> tried = new HashSet<>(attempt.triedAccounts());
            tried.remove(attempt.account());
            choice = selector.chooseOrWait(attempt.pool(), models.excluded(tried, request.model()),
                    request.id(), states, now, attempt.deadline());
        }
        if (choice instanceof Choice.Chosen chosen) {
            return new Decision.Continue(attempt.redirectedTo(chosen.account(), chosen.pool(), chosen.notBefore(), now));
        }
        Map<String, String> withoutCredential = choice instanceof Choice.NoneLeft none ? none.withoutCredential()
                : Map.of();
        return exhausted(request, attempt.trail(), attempt.lastResponse(), null,
                new Choice.NoneLeft(true, withoutCredential), now);
    }

    /** A request whose deadline passed before it got an answer. */
    public static Decision expired(ChatRequest request, List<TrailEntry> trail, Instant now) {
        return new Decision.Finish(Results.failed(request, ResultStatus.EXPIRED, 504, ErrorInfo.of("expired",
                "the deadline passed after " + trail.size() + " attempt(s)"), trail, now));
    }

    private static Choice waitFor(String account, String pool, AccountStates states, Instant now, Instant deadline) {
        Optional<AccountState> state = states.get(account);
        // Not Optional.map: a null usableFrom (disabled by hand) must not become "now".
        Instant from = state.isPresent() ? state.get().usableFrom(now) : now;
        Instant until = from != null && from.isAfter(now) ? from : null;
        if (from == null || (until != null && deadline != null && !until.isBefore(deadline))) {
            return Choice.noneLeft(true);
        }
        return new Choice.Chosen(account, pool, until);
    }

    /**
     * The account already tried that can start again first, after both its cooldown and its
     * backoff, if the retry policy allows one more try of it and it starts before the deadline.
     */
    private Optional<Choice> retryOfTried(Attempt attempt, List<TrailEntry> trail, AccountStates states, Instant now) {
        RetryPolicy retry = config.retry();
        Map<String, Integer> tries = new LinkedHashMap<>();
        Set<String> retryable = new HashSet<>();
        for (TrailEntry tried : trail) {
            tries.merge(tried.account(), 1, Integer::sum);
            // The account's latest answer decides: a 400 after a 429 says the request is bad.
            if (tried.outcome() == OutcomeKind.RETRYABLE && retry.allowsSameAccountAfter(tried.httpStatus())) {
                retryable.add(tried.account());
            } else {
                retryable.remove(tried.account());
            }
        }
        String requestPool = attempt.request().pool() != null ? attempt.request().pool() : config.defaultPool();
        Choice.Chosen best = null;
        for (Map.Entry<String, Integer> candidate : tries.entrySet()) {
            String account = candidate.getKey();
            Optional<AccountState> state = states.get(account);
            String pool = selector.poolOf(account, requestPool);
            if (!retryable.contains(account) || candidate.getValue() > retry.sameAccountRetries() || pool == null
                    || state.map(s -> s.usableFrom(now) == null).orElse(false) || !selector.hasCredential(account)) {
                continue;
            }
            Instant start = now.plus(retry.backoffFor(candidate.getValue(), jitter.getAsDouble()));
            Instant usableFrom = state.map(s -> s.usableFrom(now)).orElse(now);
            if (usableFrom.isAfter(start)) {
                start = usableFrom;
            }
            if (best == null || start.isBefore(best.notBefore())) {
                best = new Choice.Chosen(account, pool, start);
            }
        }
        if (best == null || (attempt.deadline() != null && !best.notBefore().isBefore(attempt.deadline()))) {
            return Optional.empty();
        }
        return Optional.of(best);
    }

    /**
     * No account is left (docs/design.md, section 3): the last retryable upstream response is passed through
     * with its status; else 503 when every account was cooling or none had a usable credential,
     * 504 after a timeout, 502 otherwise. Accounts skipped for want of a credential are named.
     *
     * @param last the outcome of the last attempt, {@code null} when the request ends without one
     */
    private Decision exhausted(ChatRequest request, List<TrailEntry> trail, UpstreamResponse lastResponse,
            Outcome last, Choice.NoneLeft none, Instant now) {
        String tried = trail.size() == 1 ? "the only attempt" : "all " + trail.size() + " attempts";
        String skipped = none.withoutCredential().isEmpty() ? ""
                : "; not tried for want of a usable credential: " + none.withoutCredentialText();
        if (lastResponse != null) {
            return finish(request, lastResponse.status(), new ErrorInfo("upstream_error",
                    tried + " failed; the last upstream response (HTTP " + lastResponse.status() + ") is passed through"
                            + skipped, lastResponse.body()), trail, now);
        }
        boolean noCall = trail.stream().allMatch(e -> e.outcome() == OutcomeKind.SKIPPED_AUTH);
        Map<String, String> withoutCredential = new LinkedHashMap<>();
        trail.stream().filter(e -> e.outcome() == OutcomeKind.SKIPPED_AUTH)
                .forEach(e -> withoutCredential.putIfAbsent(e.account(), e.reason()));
        withoutCredential.putAll(none.withoutCredential());
        if (noCall && !none.allCooling() && !withoutCredential.isEmpty()) {
            String pool = request.pool() != null ? request.pool() : config.defaultPool();
            String message = request.pinned() && withoutCredential.containsKey(request.account())
                    ? AccountSelector.pinnedNoCredentialMessage(request.account(),
                            withoutCredential.get(request.account()))
                    : selector.noCredentialMessage(pool, withoutCredential);
            return finish(request, 503, ErrorInfo.of("no_account_available", message), trail, now);
        }
        if (none.allCooling() || noCall) {
            return finish(request, 503, ErrorInfo.of("no_account_available",
                    "every remaining account is cooling down past the request's deadline" + skipped), trail, now);
        }
        if (last instanceof Outcome.Retryable retryable && retryable.timeout()) {
            return finish(request, 504, ErrorInfo.of("upstream_timeout", tried + " failed; the last one timed out"
                    + skipped), trail, now);
        }
        return finish(request, 502, ErrorInfo.of("upstream_error", tried + " failed; the last failure was "
                + (last == null ? "unknown" : last.reason()) + skipped), trail, now);
    }

    private static Decision finish(ChatRequest request, int httpStatus, ErrorInfo error, List<TrailEntry> trail,
            Instant now) {
        return new Decision.Finish(Results.failed(request, ResultStatus.FAILED, httpStatus, error, trail, now));
    }

    private static UpstreamResponse responseOf(Outcome outcome, UpstreamResponse previous) {
        if (outcome instanceof Outcome.Retryable retryable && retryable.response() != null) {
            return retryable.response();
        }
        if (outcome instanceof Outcome.Success success && success.response() != null) {
            return success.response();
        }
        return previous;
    }

    private static JsonNode bodyOf(UpstreamResponse response) {
        return response == null ? null : response.body();
    }

    private static List<TrailEntry> append(List<TrailEntry> trail, TrailEntry entry) {
        List<TrailEntry> copy = new ArrayList<>(trail.size() + 1);
        copy.addAll(trail);
        copy.add(entry);
        return copy;
    }
}
