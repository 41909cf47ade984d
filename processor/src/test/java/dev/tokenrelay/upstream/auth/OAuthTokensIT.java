package dev.tokenrelay.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.classify.OutcomeClassifier;
import dev.tokenrelay.classify.UpstreamCall;
import dev.tokenrelay.config.ConfigLoader;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.OutcomeKind;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.testing.RelayHarness;
import dev.tokenrelay.testing.TokenEndpoint;
import dev.tokenrelay.testing.Upstream;
import dev.tokenrelay.upstream.Providers;
import dev.tokenrelay.upstream.UpstreamCaller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * OAuth accounts against real HTTP: a token endpoint on 127.0.0.1 and the simulated upstream. The
 * tokens here are obviously fake.
 */
class OAuthTokensIT {

    @RegisterExtension
    static final Upstream UPSTREAM = new Upstream();

    @TempDir
    Path dir;

    private TokenEndpoint tokenEndpoint;
    private UpstreamCaller caller;

    @BeforeEach
    void startTokenEndpoint() {
        tokenEndpoint = TokenEndpoint.start("fake-", Duration.ofHours(1));
    }

    @AfterEach
    void stop() {
        if (caller != null) {
            caller.close();
        }
        tokenEndpoint.close();
    }

    private Path tokenFile(String access, Instant expiresAt) throws IOException {
        Path file = dir.resolve("codex-tokens.json");
        Files.writeString(file, "{\"access_token\":\"" + access + "\",\"refresh_token\":\"fake-refresh-1\","
                + "\"expires_at\":\"" + expiresAt + "\"}");
        return file;
    }

    @Test
    void shouldRefreshAnExpiringTokenBeforeTheCallAndSaveItToTheFile() throws Exception {
        // Given a token file whose access token expires in a minute (inside the 5 minute refresh window)
        Path file = tokenFile("fake-access-old", Instant.now().plusSeconds(60));
        UPSTREAM.get().script("codex", Behaviour.ok());
        TokenRelayConfig config = configFor(file);

        // When a call is made
        Outcome outcome = send(config);

        // Then the token was refreshed first, the call carried the new token, and the file holds it
        assertThat(outcome.kind()).isEqualTo(OutcomeKind.SUCCESS);
        assertThat(tokenEndpoint.refreshForms()).singleElement().asString()
                .contains("grant_type=refresh_token", "refresh_token=fake-refresh-1", "client_id=tokenrelay-test");
        assertThat(UPSTREAM.get().authorizationHeaders("codex")).containsExactly("Bearer fake-access-1");
        JsonNode saved = JsonCodec.mapper().readTree(Files.readAllBytes(file));
        assertThat(saved.get("access_token").asText()).isEqualTo("fake-access-1");
        assertThat(saved.get("refresh_token").asText()).isEqualTo("fake-refresh-2");
        assertThat(Instant.parse(saved.get("expires_at").asText())).isAfter(Instant.now().plusSeconds(3000));
        try (var files = Files.list(dir)) {
            assertThat(files).as("no temporary file left behind").containsExactly(file);
        }
    }

    @Test
    void shouldRefreshOnceAndRetryTheSameAccountAfterA401() throws Exception {
        // Given a valid-looking token that the upstream refuses once
        Path file = tokenFile("fake-access-revoked", Instant.now().plusSeconds(3600));
        UPSTREAM.get().script("codex", Behaviour.status(401), Behaviour.ok());
        TokenRelayConfig config = configFor(file);

        // When a call is made
        Outcome outcome = send(config);

        // Then the token was refreshed once and the same account answered with the new one
        assertThat(outcome.kind()).isEqualTo(OutcomeKind.SUCCESS);
        assertThat(tokenEndpoint.refreshForms()).hasSize(1);
        assertThat(UPSTREAM.get().authorizationHeaders("codex"))
                .containsExactly("Bearer fake-access-revoked", "Bearer fake-access-1");
    }

    @Test
    void shouldSkipTheAccountWhenNoTokenCanBeRead() throws Exception {
        // Given a token file that does not exist
        UPSTREAM.get().script("codex", Behaviour.ok());
        TokenRelayConfig config = configFor(dir.resolve("missing.json"));

        // When a call is made
        Outcome outcome = send(config);

        // Then the account is skipped for auth without a call
        assertThat(outcome.kind()).isEqualTo(OutcomeKind.SKIPPED_AUTH);
        assertThat(UPSTREAM.get().calls("codex")).isZero();
        // And selection knows it has no usable credential, naming the file
        assertThat(caller.credentials().missing("codex")).contains("token file " + dir.resolve("missing.json") + " missing");
    }

    @Test
    void shouldKeepTheAccountOutOfSelectionAfterARefusedRefreshUntilTheTokenFileChanges() throws Exception {
        // Given an expired token whose refresh the token endpoint refuses (invalid_grant)
        Path file = tokenFile("fake-access-expired", Instant.now().minusSeconds(60));
        UPSTREAM.get().script("codex", Behaviour.ok());
        tokenEndpoint.answerWith(400);
        TokenRelayConfig config = configFor(file);

        // When a call is made
        Outcome outcome = send(config);

        // Then the attempt is skipped for auth without a call, and the account has no usable credential since
        assertThat(outcome.kind()).isEqualTo(OutcomeKind.SKIPPED_AUTH);
        assertThat(UPSTREAM.get().calls("codex")).isZero();
        CredentialSource source = caller.credentials().source("codex");
        assertThat(source.unavailable()).contains("token refresh refused (HTTP 400)");

        // When someone logs in again and the token file is written anew
        tokenFile("fake-access-new", Instant.now().plusSeconds(3600));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));

        // Then the account has a usable credential again
        assertThat(source.unavailable()).isEmpty();
    }

    private TokenRelayConfig configFor(Path tokenFile) throws Exception {
        return ConfigLoader.parse("""
                pools:
                  main: { accounts: [codex] }
                accounts:
                  codex:
                    provider: openai-chat
                    baseUrl: "%s"
                    oauth:
                      tokenFile: "%s"
                      tokenUrl: "%s"
                      clientId: tokenrelay-test
                """.formatted(UPSTREAM.get().baseUrl("codex"), tokenFile, tokenEndpoint.url()), "test");
    }

    private Outcome send(TokenRelayConfig config) throws Exception {
        caller = UpstreamCaller.create(config, Providers.builtIn(), Clock.systemUTC());
        UpstreamCall call = caller.call(config.account("codex"), RelayHarness.request("oauth-1", null, null));
        return new OutcomeClassifier(config.policy(), Clock.systemUTC())
                .classify(call.exchange().get(30, TimeUnit.SECONDS), call.reader());
    }
}
