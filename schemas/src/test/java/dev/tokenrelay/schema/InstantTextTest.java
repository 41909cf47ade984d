package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class InstantTextTest {

    @Test
    void shouldWriteExactlyWhatInstantToStringWritesAndReadItBack() {
        // Given instants from 1970 to 2200 with every precision of fraction
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            long seconds = random.nextLong(0, 7_258_118_400L);
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1_000;
                default -> random.nextInt(1_000_000_000);
            };
            Instant instant = Instant.ofEpochSecond(seconds, nanos);

            // When it is written and read, Then the text is Instant's own and the value survives
            String text = InstantText.format(instant);
            assertThat(text).isEqualTo(instant.toString());
            assertThat(InstantText.parse(text)).isEqualTo(instant);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-25T20:00:00Z", "2026-11-25T20:00:00.1Z", "2026-11-25T20:00:00.12345Z",
            "2026-02-28T23:59:59.999999999Z", "2026-11-25T20:00:00+01:00", "+12026-01-01T00:00:00Z", "2026-11-25T24:00:00Z"})
    void shouldReadWhatInstantParseReads(String text) {
        assertThat(InstantText.parse(text)).isEqualTo(Instant.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-25T25:00:00Z", "yesterday"})
    void shouldRefuseWhatIsNotAnInstant(String text) {
        assertThatThrownBy(() -> InstantText.parse(text)).isInstanceOf(DateTimeParseException.class);
    }

    @Test
    void shouldBeTheCodecsWayOfWritingInstants() {
        // Given a record with an instant
        TrailEntry entry = new TrailEntry(1, "a", "p", OutcomeKind.SUCCESS, "ok", 200, 5,
                Instant.parse("2026-11-25T20:00:00.120Z"));

        // When it is encoded and decoded, Then the instant is ISO text and comes back equal
        String json = new String(JsonCodec.encode(entry), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).contains("\"startedAt\":\"2026-11-25T20:00:00.120Z\"");
        assertThat(JsonCodec.decode(JsonCodec.encode(entry), TrailEntry.class)).isEqualTo(entry);
    }
}
