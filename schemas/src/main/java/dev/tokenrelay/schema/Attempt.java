package dev.tokenrelay.schema;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One attempt to serve a request on one account: the value of the attempts (failover) topic, keyed
 * by {@link #account()}. It carries the whole request and the trail so far, so the topic alone is
 * the durable state of a request between attempts.
 *
 * @param request      the request being served
 * @param number       this attempt's number, from 1
 * @param account      the account to call
 * @param pool         the pool the account was chosen from
 * @param trail        the attempts made before this one, oldest first
 * @param lastResponse the last retryable non-2xx upstream response, passed through if no account is left
 * @param createdAt    when this attempt was emitted
 * @param deadline     when the request ends as expired: its own deadline, or the processor's default
 *                     counted from its arrival; {@code null} for none
 * @param notBefore    the call must not start before this instant (the account is cooling);
 *                     {@code null} to start as soon as the account has capacity
 */
public record Attempt(
        ChatRequest request,
        int number,
        String account,
        String pool,
        List<TrailEntry> trail,
        UpstreamResponse lastResponse,
        Instant createdAt,
        Instant deadline,
        Instant notBefore) {

    public Attempt {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(account, "account");
        trail = trail == null ? List.of() : List.copyOf(trail);
    }

    /** An attempt that may start at once, with the request's own deadline. */
    public Attempt(ChatRequest request, int number, String account, String pool, List<TrailEntry> trail,
            UpstreamResponse lastResponse, Instant createdAt) {
        this(request, number, account, pool, trail, lastResponse, createdAt, request.deadline(), null);
    }

    /** This attempt sent to {@code account} instead, not before {@code notBefore}; the trail is unchanged. */
    public Attempt redirectedTo(String otherAccount, String otherPool, Instant notBefore, Instant now) {
        return new Attempt(request, number, otherAccount, otherPool, trail, lastResponse, now, deadline, notBefore);
    }

    /** Whether the deadline has passed at {@code now}. */
    public boolean expiredAt(Instant now) {
        return deadline != null && !now.isBefore(deadline);
    }

    /** The store key of this attempt: unique per request submission and attempt number. */
    public String key() {
        return request.submissionKey() + "/" + number;
    }

    /** The accounts already tried for this request, this attempt's excluded. */
    public Set<String> triedAccounts() {
        return trail.stream().map(TrailEntry::account).collect(Collectors.toUnmodifiableSet());
    }
}
