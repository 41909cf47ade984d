package dev.tokenrelay.upstream.auth;

import java.util.concurrent.CompletableFuture;

/**
 * Where one account's credential comes from. Never blocks the caller: a token refresh runs on the
 * HTTP client, and the future completes when it is done.
 */
public interface CredentialSource {

    /** The credential to call with now. */
    CompletableFuture<Credential> current();

    /**
     * The upstream refused {@code rejected} (HTTP 401). A refreshable source refreshes once and
     * completes with the new credential; others complete with empty (no retry).
     */
    default CompletableFuture<java.util.Optional<Credential>> afterRejection(Credential rejected) {
        return CompletableFuture.completedFuture(java.util.Optional.empty());
    }
}
