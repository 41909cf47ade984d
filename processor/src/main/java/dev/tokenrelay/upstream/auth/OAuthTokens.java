package dev.tokenrelay.upstream.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenrelay.config.OAuthConfig;
import dev.tokenrelay.schema.JsonCodec;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OAuth access token that expires, kept with its refresh token in a JSON file. Refreshed
 * through the token endpoint (refresh_token grant) before it expires and once after a 401; the
 * new tokens are written back to the file atomically (a temporary file moved over it), so a crash
 * never leaves half a token file. Concurrent calls share one refresh.
 *
 * <p>A refresh the token endpoint refuses (a 4xx, e.g. {@code invalid_grant}) fails for good: the
 * account has no usable credential until the token file changes (someone logs in again), and
 * {@link #unavailable()} says so, so that account selection skips it. A refresh that fails on the
 * way (a 5xx, a lost connection) is tried again at the next call.
 */
public final class OAuthTokens implements CredentialSource {

    private static final Logger LOG = LoggerFactory.getLogger(OAuthTokens.class);

    private final String account;
    private final OAuthConfig config;
    private final CloseableHttpAsyncClient client;
    private final Clock clock;
    private final AtomicReference<Loaded> loaded = new AtomicReference<>();
    private final AtomicReference<CompletableFuture<Credential>> refreshing = new AtomicReference<>();
    /** The refusal of the last refresh, with the token file's time then; cleared by a new file. */
    private final AtomicReference<Refused> refused = new AtomicReference<>();

    public OAuthTokens(String account, OAuthConfig config, CloseableHttpAsyncClient client, Clock clock) {
        this.account = account;
        this.config = config;
        this.client = client;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Credential> current() {
        Optional<Tokens> tokens = read();
        if (tokens.isEmpty()) {
            return CompletableFuture.completedFuture(new Credential.Unusable("token_file_unreadable"));
        }
        Instant now = clock.instant();
        Tokens current = tokens.get();
        if (current.expiresAt() == null || current.expiresAt().minus(config.refreshBefore()).isAfter(now)) {
            return CompletableFuture.completedFuture(new Credential.Token(current.accessToken()));
        }
        return refresh(current).thenApply(refreshed -> refreshed instanceof Credential.Token
                || current.expiresAt().isBefore(now) ? refreshed : new Credential.Token(current.accessToken()));
    }

    @Override
    public Optional<String> unavailable() {
        Path file = config.tokenFile();
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(file);
        } catch (NoSuchFileException e) {
            return Optional.of("token file " + file + " missing");
        } catch (IOException | RuntimeException e) {
            return Optional.of("token file " + file + " unreadable");
        }
        Refused refusal = refused.get();
        if (refusal != null && refusal.modified().equals(modified)) {
            return Optional.of(refusal.why());
        }
        Read read = load();
        if (read.problem() != null) {
            return Optional.of(read.problem());
        }
        Tokens tokens = read.tokens();
        if (tokens.refreshToken() == null && tokens.expiresAt() != null && !tokens.expiresAt().isAfter(clock.instant())) {
            return Optional.of("token in " + file + " expired, and the file has no refresh token");
        }
        return Optional.empty();
    }

    @Override
    public CompletableFuture<Optional<Credential>> afterRejection(Credential rejected) {
        Optional<Tokens> tokens = read();
        if (tokens.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        if (!tokens.get().accessToken().equals(rejected.valueOrNull())) {
            // Someone refreshed since this call started: try the newer token.
            return CompletableFuture.completedFuture(Optional.of(new Credential.Token(tokens.get().accessToken())));
        }
        return refresh(tokens.get()).thenApply(refreshed ->
                refreshed instanceof Credential.Token ? Optional.of(refreshed) : Optional.empty());
    }

    private CompletableFuture<Credential> refresh(Tokens tokens) {
        CompletableFuture<Credential> mine = new CompletableFuture<>();
        CompletableFuture<Credential> running = refreshing.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        if (tokens.refreshToken() == null) {
            finishRefresh(mine, new Credential.Unusable("token_expired_no_refresh_token"));
            return mine;
        }
        StringBuilder form = new StringBuilder("grant_type=refresh_token&refresh_token=")
                .append(URLEncoder.encode(tokens.refreshToken(), StandardCharsets.UTF_8));
        if (config.clientId() != null) {
            form.append("&client_id=").append(URLEncoder.encode(config.clientId(), StandardCharsets.UTF_8));
        }
        SimpleHttpRequest request = SimpleRequestBuilder.post(config.tokenUrl())
                .setBody(form.toString(), ContentType.APPLICATION_FORM_URLENCODED)
                .addHeader("Accept", "application/json")
                .build();
        client.execute(request, new FutureCallback<>() {
            @Override
            public void completed(SimpleHttpResponse response) {
                finishRefresh(mine, store(tokens, response));
            }

            @Override
            public void failed(Exception cause) {
                LOG.atWarn().addKeyValue("account", account).log("token refresh failed: {}", cause.getClass().getSimpleName());
                finishRefresh(mine, new Credential.Unusable("token_refresh_failed"));
            }

            @Override
            public void cancelled() {
                finishRefresh(mine, new Credential.Unusable("token_refresh_failed"));
            }
        });
        return mine;
    }

    private void finishRefresh(CompletableFuture<Credential> mine, Credential result) {
        refreshing.set(null);
        mine.complete(result);
    }

    /** Reads the refresh answer, writes the new tokens to the file, and returns the new access token. */
    private Credential store(Tokens old, SimpleHttpResponse response) {
        if (response.getCode() < 200 || response.getCode() >= 300) {
            LOG.atWarn().addKeyValue("account", account).log("token refresh refused with HTTP {}", response.getCode());
            if (response.getCode() >= 400 && response.getCode() < 500) {
                rememberRefusal("token refresh refused (HTTP " + response.getCode() + ")");
            }
            return new Credential.Unusable("token_refresh_refused");
        }
        try {
            JsonNode answer = JsonCodec.mapper().readTree(response.getBodyBytes());
            String access = text(answer, "access_token");
            if (access == null) {
                return new Credential.Unusable("token_refresh_without_token");
            }
            String refresh = text(answer, "refresh_token");
            JsonNode expiresIn = answer.get("expires_in");
            Instant expiresAt = expiresIn != null && expiresIn.canConvertToLong()
                    ? clock.instant().plusSeconds(expiresIn.asLong()) : null;
            Tokens fresh = new Tokens(access, refresh != null ? refresh : old.refreshToken(), expiresAt);
            write(fresh);
            LOG.atInfo().addKeyValue("account", account).log("access token refreshed, valid until {}", expiresAt);
            return new Credential.Token(access);
        } catch (IOException e) {
            LOG.atWarn().addKeyValue("account", account).log("token refresh answer unusable: {}", e.getClass().getSimpleName());
            return new Credential.Unusable("token_refresh_failed");
        }
    }

    /** Marks the current token file as refused for good, until it changes. */
    private void rememberRefusal(String why) {
        try {
            refused.set(new Refused(Files.getLastModifiedTime(config.tokenFile()), why));
        } catch (IOException | RuntimeException e) {
            // No file to pin the refusal to: unavailable() reports the file itself.
        }
    }

    private void write(Tokens tokens) throws IOException {
        Path file = config.tokenFile().toAbsolutePath();
        ObjectNode json = JsonCodec.mapper().createObjectNode().put("access_token", tokens.accessToken());
        if (tokens.refreshToken() != null) {
            json.put("refresh_token", tokens.refreshToken());
        }
        if (tokens.expiresAt() != null) {
            json.put("expires_at", tokens.expiresAt().toString());
        }
        Path temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(temporary, JsonCodec.encode(json));
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
        loaded.set(new Loaded(Files.getLastModifiedTime(file), tokens));
        refused.set(null);
    }

    /** The tokens in the file, re-read when the file changed (another process may refresh it too). */
    private Optional<Tokens> read() {
        Read read = load();
        if (read.problem() != null) {
            LOG.atWarn().addKeyValue("account", account).log("no usable token: {}", read.problem());
            return Optional.empty();
        }
        return Optional.of(read.tokens());
    }

    /** {@link #read()} without logging: the tokens, or why there are none (naming the file, never a token). */
    private Read load() {
        Path file = config.tokenFile();
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            Loaded cached = loaded.get();
            if (cached != null && cached.modified().equals(modified)) {
                return new Read(cached.tokens(), null);
            }
            JsonNode json = JsonCodec.mapper().readTree(Files.readAllBytes(file));
            String access = text(json, "access_token");
            if (access == null) {
                return new Read(null, "token file " + file + " has no access_token");
            }
            Tokens tokens = new Tokens(access, text(json, "refresh_token"), instant(json.get("expires_at")));
            loaded.set(new Loaded(modified, tokens));
            return new Read(tokens, null);
        } catch (NoSuchFileException e) {
            return new Read(null, "token file " + file + " missing");
        } catch (IOException | RuntimeException e) {
            return new Read(null, "token file " + file + " unreadable (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json == null ? null : json.get(field);
        return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }

    private static Instant instant(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.canConvertToLong()) {
            return Instant.ofEpochSecond(value.asLong());
        }
        try {
            return Instant.parse(value.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The token file's content; {@code toString} hides the tokens. */
    private record Tokens(String accessToken, String refreshToken, Instant expiresAt) {
        @Override
        public String toString() {
            return "Tokens[expiresAt=" + expiresAt + "]";
        }
    }

    private record Loaded(FileTime modified, Tokens tokens) {}

    /** The token file's tokens, or (with {@code tokens} null) why it has none. */
    private record Read(Tokens tokens, String problem) {}

    /** A refresh refused for good while the token file had time {@code modified}. */
    private record Refused(FileTime modified, String why) {}
}
