package dev.tokenrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatusSetTest {

    @Test
    void shouldContainEveryCodeOfAClass() {
        // Given the class 5xx
        StatusSet set = StatusSet.parse(List.of("5xx"));

        // When codes are looked up
        // Then the class's codes are in it and others are not
        assertThat(set.contains(503)).isTrue();
        assertThat(set.contains(500)).isTrue();
        assertThat(set.contains(599)).isTrue();
        assertThat(set.contains(429)).isFalse();
        assertThat(set.contains(600)).isFalse();
    }

    @Test
    void shouldMixCodesAndClasses() {
        // Given single codes next to a class
        StatusSet set = StatusSet.parse(List.of(429, "4XX", 307));

        // Then each is contained
        assertThat(set.contains(307)).isTrue();
        assertThat(set.contains(404)).isTrue();
        assertThat(set.contains(308)).isFalse();
    }

    @Test
    void shouldPrintReadablyAndEqualWhateverTheSpelling() {
        // Given the same codes written as a class and as a list
        StatusSet asClass = StatusSet.parse(List.of(429, "5xx", 307));
        int[] spelledOut = IntStream.concat(IntStream.of(307, 429), IntStream.rangeClosed(500, 599)).toArray();
        StatusSet asCodes = StatusSet.of(spelledOut);

        // Then they are equal and print ordered with the class folded
        assertThat(asClass).isEqualTo(asCodes).hasSameHashCodeAs(asCodes);
        assertThat(asClass).hasToString("[307, 429, 5xx]");
        assertThat(asCodes.asList()).containsExactly(307, 429, "5xx");
        assertThat(StatusSet.of()).hasToString("[]");
        assertThat(StatusSet.of().isEmpty()).isTrue();
    }

    @Test
    void shouldRejectCodesOutsideTheHttpRange() {
        // Given codes and classes that are not HTTP statuses
        // When they are read, Then each is rejected naming its index
        assertThatThrownBy(() -> StatusSet.of(200, 600))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("[1]: not an HTTP status code (100..599): 600");
        assertThatThrownBy(() -> StatusSet.parse(List.of("6xx")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("[0]: expected a status code");
        assertThatThrownBy(() -> StatusSet.parse(List.of("503")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("[0]: expected a status code");
    }
}
