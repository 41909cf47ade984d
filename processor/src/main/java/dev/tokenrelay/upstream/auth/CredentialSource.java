package dev.tokenrelay.upstream.auth;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where one account's credential comes from. Never blocks the caller: a token refresh runs on the
 * HTTP client, and the future completes when it is done.
 */
public interface CredentialSource {

    /** The credential to call with now. */
    CompletableFuture<Credential> current();

    /**
     * Why no credential can be used now, as far as is known without a call (a variable unset, a
     * file missing, a refresh refused for good), naming the variable or the file and never a
     * value; empty when one may be usable. Cheap and non-blocking (a local file at most): account
     * selection asks it, through {@link Credentials}.
     */
    default Optional<String> unavailable() {
        return Optional.empty();
    }

    /**
     * The upstream refused {@code rejected} (HTTP 401). A refreshable source refreshes once and
     * completes with the new credential; others complete with empty (no retry).
     */
    default CompletableFuture<Optional<Credential>> afterRejection(Credential rejected) {
        return CompletableFuture.completedFuture(Optional.empty());
    }
}
