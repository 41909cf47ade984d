package dev.tokenrelay.results;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ResultsTest {

    private static final DeadLetter.SourceRecord SOURCE = new DeadLetter.SourceRecord("t.requests", 2, 41);
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @Test
    void shouldCopyTheOriginalAsTextAndBase64WhenBothFit() {
        // Given a small unreadable value
        byte[] value = "not json".getBytes(StandardCharsets.UTF_8);

        // When its dead letter is built with room to spare
        DeadLetter letter = Results.unreadable("r1", "invalid request: not JSON", value, SOURCE, NOW, 10_000, value.length);

        // Then it holds the bytes both ways
        assertThat(letter.originalText()).isEqualTo("not json");
        assertThat(letter.originalBase64()).isEqualTo(Base64.getEncoder().encodeToString(value));
        assertThat(letter.reason()).isEqualTo("invalid request: not JSON");
    }

    @Test
    void shouldCopyTheOriginalOnceWhenBothFormsDoNotFit() {
        // Given a 3,000-byte text value and one of invalid UTF-8, and a budget of 4,500 bytes
        byte[] text = ("not json " + "y".repeat(2_991)).getBytes(StandardCharsets.UTF_8);
        byte[] binary = new byte[3_000];
        java.util.Arrays.fill(binary, (byte) 0xC3);

        // When their dead letters are built
        DeadLetter asText = Results.unreadable("r1", "invalid request: not JSON", text, SOURCE, NOW, 4_500, text.length);
        DeadLetter asBase64 = Results.unreadable("r2", "invalid request: not JSON", binary, SOURCE, NOW, 4_500,
                binary.length);

        // Then each carries one form, the text when the bytes are UTF-8, and stays within the budget
        assertThat(asText.originalText()).isEqualTo(new String(text, StandardCharsets.UTF_8));
        assertThat(asText.originalBase64()).isNull();
        assertThat(asBase64.originalText()).isNull();
        assertThat(asBase64.originalBase64()).isEqualTo(Base64.getEncoder().encodeToString(binary));
        assertThat(JsonCodec.encode(asText).length).isLessThanOrEqualTo(4_500);
        assertThat(JsonCodec.encode(asBase64).length).isLessThanOrEqualTo(4_500);
    }

    @Test
    void shouldSayWhereTheOriginalStaysWhenItCannotBeCopied() {
        // Given a value of control characters, which JSON text escapes to six times their size
        byte[] value = new byte[3_000];
        java.util.Arrays.fill(value, (byte) 0x01);

        // When its dead letter is built with a budget of 3,500 bytes
        DeadLetter letter = Results.unreadable("r3", "invalid request: not JSON", value, SOURCE, NOW, 3_500, value.length);

        // Then it carries no copy, and the reason says where the bytes are
        assertThat(letter.originalText()).isNull();
        assertThat(letter.originalBase64()).isNull();
        assertThat(letter.reason()).isEqualTo(
                "invalid request: not JSON (the 3,000 bytes of the record are not copied here: they stay in t.requests/2@41)");
        assertThat(letter.source()).isEqualTo(SOURCE);
    }
}
