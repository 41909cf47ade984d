package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class RequestFileTest {

    private static String line(String id) {
        return "{\"id\":\"" + id + "\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}}";
    }

    @Test
    void shouldNumberLinesAsInTheFileAndSkipBlankOnes() throws IOException {
        // Given a file with a blank line and a bad line
        String text = line("a") + "\n\n" + "{\"id\":\"b\"}\n" + line("c") + "\n";

        // When it is read
        RequestFile file = RequestFile.read(new BufferedReader(new StringReader(text)), "f.jsonl");

        // Then the bad line keeps its number in the file and the blank line counts for nothing
        assertThat(file.lines()).isEqualTo(3);
        assertThat(file.accepted()).extracting(l -> l.request().id()).containsExactly("a", "c");
        assertThat(file.accepted()).extracting(ParsedLine::line).containsExactly(1, 4);
        assertThat(file.rejected()).hasSize(1);
        assertThat(file.rejected().get(0).toString()).isEqualTo("line 3: /body: required property 'body' is missing");
    }

    @Test
    void shouldRejectASecondLineWithTheSameId() throws IOException {
        // Given two lines with the same id
        String text = line("same") + "\n" + line("other") + "\n" + line("same") + "\n";

        // When it is read
        RequestFile file = RequestFile.read(new BufferedReader(new StringReader(text)), "f.jsonl");

        // Then the second is rejected, pointing at the first
        assertThat(file.accepted()).hasSize(2);
        assertThat(file.rejected()).singleElement()
                .hasToString("line 3: id 'same' is already on line 1; every line needs its own id");
    }
}
