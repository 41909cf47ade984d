package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretTest {

    @Test
    void shouldResolveAnEnvironmentReferenceThroughTheLookup() {
        // Given a reference to an environment variable and an environment that has it
        Secret secret = Secret.parse("${env:OPENAI_API_KEY}");
        Map<String, String> environment = Map.of("OPENAI_API_KEY", "fake-literal-key-123");

        // When it is resolved
        // Then the value is the variable's
        assertThat(secret.resolve(environment::get)).contains("fake-literal-key-123");
    }

    @Test
    void shouldResolveToEmptyWhenTheVariableIsUnsetOrBlank() {
        // Given a reference to a variable the environment lacks, and one that is blank
        Secret missing = Secret.env("MISSING_KEY");
        Secret blank = Secret.env("BLANK_KEY");
        Map<String, String> environment = Map.of("BLANK_KEY", "  ");

        // When they are resolved
        // Then neither has a value
        assertThat(missing.resolve(environment::get)).isEmpty();
        assertThat(blank.resolve(environment::get)).isEmpty();
    }

    @Test
    void shouldResolveAFileReferenceToItsTrimmedContent(@TempDir Path dir) throws Exception {
        // Given a key file ending in a newline, as editors and `echo` leave it
        Path file = dir.resolve("key");
        Files.writeString(file, "  fake-key-from-file\n");
        Secret secret = Secret.parse("${file:" + file + "}");

        // When it is resolved
        // Then the value is the content without surrounding whitespace
        assertThat(secret.resolve()).contains("fake-key-from-file");
        assertThat(secret).isEqualTo(Secret.file(file));
    }

    @Test
    void shouldResolveToEmptyWhenTheFileIsMissingOrBlank(@TempDir Path dir) throws Exception {
        // Given a reference to no file, and to a blank one
        Path blankFile = dir.resolve("blank");
        Files.writeString(blankFile, "\n");

        // When they are resolved
        // Then neither has a value
        assertThat(Secret.file(dir.resolve("absent")).resolve()).isEmpty();
        assertThat(Secret.file(blankFile).resolve()).isEmpty();
        assertThat(Secret.file(dir).resolve()).isEmpty();
    }

    @Test
    void shouldShowTheReferenceAndNeverTheValue() {
        // Given an environment reference whose variable has a value
        Secret secret = Secret.env("OPENAI_API_KEY");
        Map<String, String> environment = Map.of("OPENAI_API_KEY", "fake-literal-key-123");
        assertThat(secret.resolve(environment::get)).isPresent();

        // When it is printed
        // Then only the reference shows
        assertThat(secret).hasToString("${env:OPENAI_API_KEY}");
        assertThat(secret.reference()).isEqualTo("${env:OPENAI_API_KEY}");
        assertThat(Secret.file(Path.of("/run/secrets/key"))).hasToString("${file:/run/secrets/key}");
        assertThat(String.valueOf(new AccountConfig(ProviderType.OPENAI_CHAT,
                java.net.URI.create("https://a.example.com"), secret))).doesNotContain("fake-literal-key-123");
    }

    @Test
    void shouldRejectALiteralWithoutRepeatingIt() {
        // Given a key written as it is
        String literal = "fake-literal-key-0123456789";

        // When it is parsed, Then it is rejected with instructions and without the literal
        assertThatThrownBy(() -> Secret.parse(literal))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("put the key in an environment variable or a file and write ${env:NAME} or ${file:PATH}; "
                        + "literal keys are not accepted")
                .hasMessageNotContaining(literal);
    }

    @Test
    void shouldRejectMalformedReferences() {
        // Given references with no name, an invalid name, or an unknown kind
        // When each is parsed, Then it is rejected
        assertThatThrownBy(() -> Secret.parse("${env:}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secret.parse("${env:MY-KEY}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secret.parse("${vault:kv/key}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secret.parse("${file:}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Secret.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldSayWhyAReferenceHasNoValueNamingTheVariableOrFileButNoValue(@TempDir Path dir) throws Exception {
        // Given references to an unset variable, a blank one, a missing file, a blank file and a good one
        Map<String, String> environment = Map.of("BLANK_KEY", " ", "GOOD_KEY", "sk-test-fake-123");
        Path blankFile = dir.resolve("blank");
        Files.writeString(blankFile, "\n");

        // When each is asked what is wrong with it
        // Then each names its variable or file, and the one with a value has no problem
        assertThat(Secret.env("OPENAI_KEY_2").problem(environment::get)).contains("variable OPENAI_KEY_2 unset");
        assertThat(Secret.env("BLANK_KEY").problem(environment::get)).contains("variable BLANK_KEY empty");
        assertThat(Secret.file(dir.resolve("absent")).problem()).contains("file " + dir.resolve("absent") + " missing");
        assertThat(Secret.file(blankFile).problem()).contains("file " + blankFile + " empty");
        assertThat(Secret.env("GOOD_KEY").problem(environment::get)).isEmpty();
    }

    @Test
    void shouldSayAnUnreadableFileIsUnreadable(@TempDir Path dir) {
        // Given a reference to a directory, which exists but cannot be read as a key
        // When it is asked what is wrong with it
        // Then it is unreadable
        assertThat(Secret.file(dir).problem()).contains("file " + dir + " unreadable");
    }
}
