package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.ResultStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where results are written: one output, or successes and failures apart as OpenAI's output and error files. */
class ResultWriterTest {

    private static final Instant T0 = Instant.parse("2025-01-31T12:00:00Z");

    @TempDir
    Path dir;

    private static ChatResult succeeded(String id) throws Exception {
        JsonNode completion = JsonCodec.parseTree("{\"object\":\"chat.completion\",\"choices\":[]}".getBytes(StandardCharsets.UTF_8));
        return new ChatResult(id, 0, ResultStatus.SUCCEEDED, 200, completion, null, null, null, List.of(), T0);
    }

    private static ChatResult expired(String id) {
        return new ChatResult(id, 0, ResultStatus.EXPIRED, 504, null, ErrorInfo.of("expired", "the deadline passed"),
                null, null, List.of(), T0);
    }

    private static List<String> customIds(String text) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String line : text.split("\\R")) {
            if (!line.isBlank()) {
                ids.add(JsonCodec.parseTree(line.getBytes(StandardCharsets.UTF_8)).get("custom_id").asText());
            }
        }
        return ids;
    }

    @Test
    void shouldWriteFailedLinesToTheErrorsFileAndSuccessesToTheOutput() throws Exception {
        // Given a writer of OpenAI Batch lines with an errors file
        StringWriter stdout = new StringWriter();
        Path errors = dir.resolve("errors.jsonl");

        // When a success, an expiry and another success are written
        try (ResultWriter writer = ResultWriter.open(null, errors, new PrintWriter(stdout), ResultFormat.OPENAI_BATCH)) {
            writer.write(succeeded("ok-1"));
            writer.write(expired("late-1"));
            writer.write(succeeded("ok-2"));

            // Then the counts and the summary say where each went
            assertThat(writer.written()).isEqualTo(3);
            assertThat(writer.writtenToErrors()).isEqualTo(1);
            assertThat(writer.describe()).isEqualTo("standard output (2) and " + errors + " (1)");
        }

        // And the successes are on the output, the failure in the errors file
        assertThat(customIds(stdout.toString())).containsExactly("ok-1", "ok-2");
        assertThat(customIds(Files.readString(errors))).containsExactly("late-1");
        assertThat(Files.readString(errors)).contains("\"batch_expired\"");
    }

    @Test
    void shouldWriteEveryLineToTheOutputWithoutAnErrorsFile() throws Exception {
        // Given a writer of OpenAI Batch lines to a file, with no errors file
        Path output = dir.resolve("output.jsonl");

        // When a success and a failure are written
        try (ResultWriter writer = ResultWriter.open(output, null, new PrintWriter(new StringWriter()), ResultFormat.OPENAI_BATCH)) {
            writer.write(succeeded("ok-1"));
            writer.write(expired("late-1"));
            assertThat(writer.describe()).isEqualTo(output.toString());
        }

        // Then both are in the output, as before errors files existed
        assertThat(customIds(Files.readString(output))).containsExactly("ok-1", "late-1");
    }

    @Test
    void shouldRefuseAnErrorsFileThatIsTheOutput() {
        // Given one file named as both the output and the errors file
        Path same = dir.resolve("out.jsonl");

        // When the writer is opened, then it is a usage error
        assertThatThrownBy(() -> ResultWriter.open(same, dir.resolve(".").resolve("out.jsonl"), new PrintWriter(new StringWriter()),
                ResultFormat.OPENAI_BATCH))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("--errors and --output name the same file");
    }

    @Test
    void shouldSayWhenTheErrorsFileCannotBeCreated() {
        // Given an errors file in a directory that does not exist
        Path errors = dir.resolve("missing").resolve("errors.jsonl");

        // When the writer is opened, then it says which option is at fault
        assertThatThrownBy(() -> ResultWriter.open(dir.resolve("out.jsonl"), errors, new PrintWriter(new StringWriter()),
                ResultFormat.OPENAI_BATCH))
                .isInstanceOf(ToolException.class)
                .hasMessageContaining("--errors: cannot create " + errors + ": its directory does not exist");
    }
}
