package dev.tokenrelay.failover;

import dev.tokenrelay.accounts.AccountSelector;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.Choice;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.results.Results;
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
import java.util.List;
import java.util.Set;

/**
 * The failover rule (design section 3, token_proxy PR #223): decided from the classified outcome,
 * never from the raw status alone.
 * <ul>
 *   <li>SUCCESS with a 2xx status: the result.</li>
 *   <li>SUCCESS with a non-2xx status, or RETRYABLE: the next account not yet tried, through the
 *       pool's fallback pools; a final answer (context window, content policy) stops.</li>
 *   <li>FATAL: stop with an error.</li>
 *   <li>SKIPPED_AUTH: stop this pool, go on in its fallback pool.</li>
 * </ul>
 * A pinned request gets its account's outcome, with no failover. A request whose deadline has
 * passed is not tried again: it ends as {@code expired}.
 */
public final class FailoverDecider {

    private final AccountSelector selector;

    public FailoverDecider(AccountSelector selector) {
        this.selector = selector;
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

        if (request.deadline() != null && !now.isBefore(request.deadline())) {
            return new Decision.Finish(Results.failed(request, ResultStatus.EXPIRED, 504, ErrorInfo.of("expired",
                    "the deadline " + request.deadline() + " passed after " + trail.size() + " attempt(s)"), trail, now));
        }
        Set<String> tried = new HashSet<>(attempt.triedAccounts());
        tried.add(attempt.account());
        Choice choice;
        if (request.pinned()) {
            choice = Choice.noneLeft(false);
        } else if (outcome.kind() == OutcomeKind.SKIPPED_AUTH) {
            choice = selector.chooseAfter(attempt.pool(), tried, request.id(), states, now);
        } else {
            choice = selector.choose(attempt.pool(), tried, request.id(), states, now);
        }
        if (choice instanceof Choice.Chosen chosen) {
            return new Decision.Continue(new Attempt(request, attempt.number() + 1, chosen.account(), chosen.pool(),
                    trail, lastResponse, now));
        }
        return exhausted(request, trail, lastResponse, outcome, ((Choice.NoneLeft) choice).allCooling(), now);
    }

    /**
     * No account is left (design section 3): the last retryable upstream response is passed through
     * with its status; else 503 when every account was cooling or unusable, 504 after a timeout,
     * 502 otherwise.
     */
    static Decision exhausted(ChatRequest request, List<TrailEntry> trail, UpstreamResponse lastResponse,
            Outcome last, boolean allCooling, Instant now) {
        String tried = trail.size() == 1 ? "the only account" : "all " + trail.size() + " attempts";
        if (lastResponse != null) {
            return finish(request, lastResponse.status(), new ErrorInfo("upstream_error",
                    tried + " failed; the last upstream response (HTTP " + lastResponse.status() + ") is passed through",
                    lastResponse.body()), trail, now);
        }
        boolean noneUsable = trail.stream().allMatch(e -> e.outcome() == OutcomeKind.SKIPPED_AUTH);
        if (allCooling || noneUsable) {
            return finish(request, 503, ErrorInfo.of("no_account_available",
                    noneUsable ? "no account of the pool has a usable credential"
                            : "every remaining account is cooling down"), trail, now);
        }
        if (last instanceof Outcome.Retryable retryable && retryable.timeout()) {
            return finish(request, 504, ErrorInfo.of("upstream_timeout", tried + " failed; the last one timed out"),
                    trail, now);
        }
        return finish(request, 502, ErrorInfo.of("upstream_error", tried + " failed; the last failure was "
                + last.reason()), trail, now);
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

    private static com.fasterxml.jackson.databind.JsonNode bodyOf(UpstreamResponse response) {
        return response == null ? null : response.body();
    }

    private static List<TrailEntry> append(List<TrailEntry> trail, TrailEntry entry) {
        List<TrailEntry> copy = new ArrayList<>(trail.size() + 1);
        copy.addAll(trail);
        copy.add(entry);
        return copy;
    }
}
