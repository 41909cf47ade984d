package dev.tokenrelay.upstream.auth;

import dev.tokenrelay.config.Secret;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A key from an environment variable or a file, read at each call so that a rotated file is
 * picked up; no key configured means calls carry none.
 */
public final class StaticKey implements CredentialSource {

    private final Secret secret;

    /** @param secret the key's reference, {@code null} for an account without a credential */
    public StaticKey(Secret secret) {
        this.secret = secret;
    }

    @Override
    public CompletableFuture<Credential> current() {
        if (secret == null) {
            return CompletableFuture.completedFuture(new Credential.None());
        }
        Credential credential = secret.resolve()
                .<Credential>map(Credential.Token::new)
                .orElseGet(() -> new Credential.Unusable("no_credential"));
        return CompletableFuture.completedFuture(credential);
    }

    @Override
    public Optional<String> unavailable() {
        return secret == null ? Optional.empty() : secret.problem();
    }
}
