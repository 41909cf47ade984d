package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PriorityTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @ParameterizedTest
    @CsvSource({"interactive, 10", "default, 0", "batch, -10", "0, 0", "7, 7", "-100, -100", "100, 100", "+5, 5",
            "-0, 0"})
    void shouldParseANameOrAnIntegerInRange(String text, int expected) {
        // Given a name or a number as typed on a command line
        // When it is parsed
        int priority = Priority.parse(text);

        // Then it is the priority it stands for
        assertThat(priority).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Interactive", "BATCH", " batch", "urgent", "", "101", "-101", "1.5", "1e2", "10x",
            "99999999999999999999"})
    void shouldRefuseAnyOtherTextNamingWhatIsAllowed(String text) {
        // Given a name in the wrong case, an unknown name, or a number out of range or not an integer
        // When it is parsed / Then the message names the field, the allowed values and what was given
        assertThatThrownBy(() -> Priority.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("priority must be interactive, default, batch or an integer from -100 to 100, got '")
                .hasMessageContaining(text);
    }

    @Test
    void shouldParseJsonNamesAndIntegralNumbers() throws Exception {
        // Given JSON values as a request may carry them
        // When they are parsed / Then names and integers in range are their priorities
        assertThat(Priority.parse(NODES.textNode("interactive"))).isEqualTo(Priority.INTERACTIVE);
        assertThat(Priority.parse(NODES.textNode("batch"))).isEqualTo(Priority.BATCH);
        assertThat(Priority.parse(NODES.numberNode(-100))).isEqualTo(Priority.MIN);
        assertThat(Priority.parse(NODES.numberNode(100))).isEqualTo(Priority.MAX);
        assertThat(Priority.parse(JsonCodec.parseTree("20.0".getBytes(StandardCharsets.UTF_8)))).isEqualTo(20);
    }

    @Test
    void shouldReadNoValueAsTheDefault() throws Exception {
        // Given no value at all
        // When it is parsed / Then the priority is the default, 0
        assertThat(Priority.parse((JsonNode) null)).isEqualTo(Priority.DEFAULT);
        assertThat(Priority.parse(MissingNode.getInstance())).isZero();
    }

    @Test
    void shouldRefuseJsonValuesThatAreNotANameOrAnIntegerInRange() {
        // Given a number in a string, numbers out of range, a fraction, null and other types
        // When they are parsed / Then each is refused at /priority with what it got
        assertThat(refusal(NODES.textNode("10"))).endsWith("got '10'");
        assertThat(refusal(NODES.numberNode(101))).endsWith("got 101");
        assertThat(refusal(NODES.numberNode(-101))).endsWith("got -101");
        assertThat(refusal(NODES.numberNode(3_000_000_000L))).endsWith("got 3000000000");
        assertThat(refusal(NODES.numberNode(1.5))).endsWith("got 1.5");
        assertThat(refusal(NODES.nullNode())).endsWith("got null");
        assertThat(refusal(NODES.booleanNode(true))).endsWith("got a boolean");
        assertThat(refusal(NODES.arrayNode())).endsWith("got an array");
        assertThat(refusal(NODES.objectNode())).endsWith("got an object");
    }

    @Test
    void shouldCutALongBadValueShort() {
        // Given a long string where a priority belongs
        String longText = "x".repeat(500);

        // When it is parsed / Then the message quotes only its start
        assertThat(refusal(NODES.textNode(longText))).endsWith("got '" + "x".repeat(40) + "...'");
    }

    @Test
    void shouldWriteAKnownPriorityByItsName() {
        // Given the named priorities and another
        // When they are written for people / Then the names are used where there is one
        assertThat(Priority.text(10)).isEqualTo("interactive");
        assertThat(Priority.text(0)).isEqualTo("default");
        assertThat(Priority.text(-10)).isEqualTo("batch");
        assertThat(Priority.text(42)).isEqualTo("42");
    }

    @Test
    void shouldKnowItsRange() {
        // Given the bounds and the values just past them
        // When they are checked / Then only the range is valid
        assertThat(Priority.isValid(Priority.MIN)).isTrue();
        assertThat(Priority.isValid(Priority.MAX)).isTrue();
        assertThat(Priority.isValid(Priority.MIN - 1)).isFalse();
        assertThat(Priority.isValid(Priority.MAX + 1)).isFalse();
    }

    private static String refusal(JsonNode value) {
        InvalidMessageException error = catchThrowableOfType(InvalidMessageException.class, () -> Priority.parse(value));
        assertThat(error).as("refused: %s", value).isNotNull();
        assertThat(error.field()).isEqualTo("/priority");
        assertThat(error.reason()).startsWith("priority must be " + Priority.ALLOWED + ", got ");
        return error.reason();
    }
}
