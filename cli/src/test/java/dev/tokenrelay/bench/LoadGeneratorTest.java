package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

    @Test
    void shouldWriteAPromptOfTheLengthAskedStartingWithTheIdAndVaryingBetweenRequests() {
        // Given the same seed twice
        Random random = new Random(7);
        Random again = new Random(7);

        // When prompts are written for two requests, and again with the same seed
        String first = LoadGenerator.prompt("bench-0000001", 512, random);
        String second = LoadGenerator.prompt("bench-0000002", 512, random);
        String repeated = LoadGenerator.prompt("bench-0000001", 512, again);

        // Then each is 512 characters, starts with its id, differs from the next, and is repeatable
        assertThat(first).hasSize(512).startsWith("bench-0000001 ");
        assertThat(second).hasSize(512).startsWith("bench-0000002 ");
        assertThat(first.substring(14)).isNotEqualTo(second.substring(14));
        assertThat(repeated).isEqualTo(first);
    }
}
