package dev.tokenrelay.upstream.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.config.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which accounts have a usable credential, and when that is checked again. */
class CredentialsTest {

    private static final Instant START = Instant.parse("2026-12-01T12:00:00Z");

    @TempDir
    Path dir;

    private final SettableClock clock = new SettableClock(START);

    @Test
    void shouldNameTheAccountsWithoutAUsableCredentialInConfigurationOrder() throws Exception {
        // Given an account with a key file, one whose variable is surely unset, and one configured without a key
        Path keyFile = dir.resolve("key");
        Files.writeString(keyFile, "sk-test-fake-key\n");
        Map<String, CredentialSource> sources = new LinkedHashMap<>();
        sources.put("keyed", new StaticKey(Secret.file(keyFile)));
        sources.put("no-key", new StaticKey(Secret.env("TOKENRELAY_TEST_SURELY_UNSET_VARIABLE")));
        sources.put("open", new StaticKey(null));

        // When the credentials are checked
        Credentials credentials = new Credentials(sources, clock);

        // Then only the account whose variable is unset lacks one, named with its variable
        assertThat(credentials.missing())
                .containsExactly(Map.entry("no-key", "variable TOKENRELAY_TEST_SURELY_UNSET_VARIABLE unset"));
        assertThat(credentials.countMissing()).isEqualTo(1);
        assertThat(credentials.missing("keyed")).isEmpty();
        assertThat(credentials.missing("open")).isEmpty();
        assertThat(credentials.missing("not-configured")).isEmpty();
    }

    @Test
    void shouldUseAKeyFileThatAppearsOnceTheAnswerIsDueForARecheck() throws Exception {
        // Given an account whose key file does not exist yet
        Path keyFile = dir.resolve("late-key");
        Credentials credentials = new Credentials(Map.of("late", new StaticKey(Secret.file(keyFile))), clock);
        assertThat(credentials.missing("late")).contains("file " + keyFile + " missing");

        // When the file appears
        Files.writeString(keyFile, "sk-test-fake-late-key");

        // Then the answer is kept until the recheck interval has passed, and is then checked again
        clock.advance(Credentials.RECHECK.minusMillis(1));
        assertThat(credentials.missing("late")).isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(credentials.missing("late")).isEmpty();
    }

    @Test
    void shouldNoticeAKeyFileThatVanishes() throws Exception {
        // Given an account whose key file exists
        Path keyFile = dir.resolve("key");
        Files.writeString(keyFile, "sk-test-fake-key");
        Credentials credentials = new Credentials(Map.of("a", new StaticKey(Secret.file(keyFile))), clock);
        assertThat(credentials.missing("a")).isEmpty();

        // When the file is deleted and the recheck interval passes
        Files.delete(keyFile);
        clock.advance(Credentials.RECHECK);

        // Then the account has no usable credential any more
        assertThat(credentials.missing("a")).contains("file " + keyFile + " missing");
    }

    /** A clock a test moves by hand. */
    private static final class SettableClock extends Clock {

        private Instant now;

        SettableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
