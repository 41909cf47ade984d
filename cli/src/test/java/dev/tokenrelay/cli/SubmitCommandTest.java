package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.tools.ParsedLine;
import dev.tokenrelay.tools.RequestFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What submit would send, read from its options and file with no broker. */
class SubmitCommandTest {

    private static final String BODY = "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";

    @TempDir
    Path dir;

    @Test
    void shouldGiveThePriorityOptionToEveryLineThatNamesNone() throws IOException {
        // Given a file with a line naming no priority, one naming its own, and an OpenAI Batch line
        Path file = Files.writeString(dir.resolve("requests.jsonl"), String.join("\n",
                "{\"id\":\"plain\"," + BODY + "}",
                "{\"id\":\"own\",\"priority\":\"interactive\"," + BODY + "}",
                "{\"custom_id\":\"b-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\"," + BODY + "}"));

        // When submit reads it with --priority batch
        RequestFile read = parsed("--bootstrap-servers", "localhost:9092", "--priority", "batch", file.toString()).read();

        // Then the lines without a priority get batch, and the line's own priority wins
        assertThat(priorities(read)).containsExactly("plain=-10", "own=10", "b-1=-10");
    }

    @Test
    void shouldAcceptANumberAsThePriority() throws IOException {
        // Given a line naming no priority
        Path file = Files.writeString(dir.resolve("requests.jsonl"), "{\"id\":\"plain\"," + BODY + "}\n");

        // When submit reads it with --priority -25
        RequestFile read = parsed("--bootstrap-servers", "localhost:9092", "--priority", "-25", file.toString()).read();

        // Then the request has that priority
        assertThat(priorities(read)).containsExactly("plain=-25");
    }

    @Test
    void shouldLeaveThePriorityAtZeroWithoutTheOption() throws IOException {
        // Given a line naming no priority
        Path file = Files.writeString(dir.resolve("requests.jsonl"), "{\"id\":\"plain\"," + BODY + "}\n");

        // When submit reads it with no --priority
        RequestFile read = parsed("--bootstrap-servers", "localhost:9092", file.toString()).read();

        // Then the request has the default priority
        assertThat(priorities(read)).containsExactly("plain=0");
    }

    @Test
    void shouldSayInItsHelpThatALinesOwnPriorityWins() {
        // Given the help of submit
        String help = new CommandLine(new SubmitCommand()).getUsageMessage(CommandLine.Help.Ansi.OFF);

        // When it is read, line breaks aside / Then --priority is listed with its values and which priority wins
        assertThat(help.replaceAll("\\s+", " ")).contains("--priority=NAME|N").contains("interactive (10), default (0), batch (-10)")
                .contains("A line's own priority wins over this option");
    }

    @Test
    void shouldPutEveryLineWithoutABatchInTheBatchOption() throws IOException {
        // Given a line naming no batch and one naming its own
        Path file = Files.writeString(dir.resolve("requests.jsonl"), String.join("\n",
                "{\"id\":\"plain\"," + BODY + "}",
                "{\"id\":\"own\",\"batch\":\"mine\"," + BODY + "}"));
        SubmitCommand command = parsed("--bootstrap-servers", "localhost:9092", "--batch", "nightly-7", file.toString());

        // When submit puts what it read in its batch
        String batch = command.batchId(Instant.now());
        List<String> batches = command.read().accepted().stream()
                .map(line -> SubmitCommand.inBatch(line.request(), batch, null))
                .map(request -> request.id() + "=" + request.batch()).toList();

        // Then the line's own batch wins
        assertThat(batches).containsExactly("plain=nightly-7", "own=mine");
    }

    @Test
    void shouldMakeUpABatchIdWithoutTheOptionAndNoneWithNoBatch() {
        // Given submit without --batch, and with --no-batch
        SubmitCommand generated = parsed("--bootstrap-servers", "localhost:9092", "f.jsonl");
        SubmitCommand none = parsed("--bootstrap-servers", "localhost:9092", "--no-batch", "f.jsonl");
        Instant now = Instant.parse("2026-12-07T03:04:05Z");

        // When each names the batch of the requests
        String id = generated.batchId(now);

        // Then the first is batch-<UTC time>-<6 hex>, a valid batch id, and the second is none
        assertThat(id).matches("batch-20261207-030405-[0-9a-f]{6}");
        assertThat(ChatRequest.isBatchId(id)).isTrue();
        assertThat(SubmitCommand.newBatchId(now, new Random(1))).isEqualTo(SubmitCommand.newBatchId(now, new Random(1)));
        assertThat(none.batchId(now)).isNull();
    }

    @Test
    void shouldSetTheDeadlineToTheCompletionWindowUnlessTheLineHasAnEarlierOne() throws IOException {
        // Given a line with no deadline, one with an earlier and one with a later deadline
        Path file = Files.writeString(dir.resolve("requests.jsonl"), String.join("\n",
                "{\"id\":\"none\"," + BODY + "}",
                "{\"id\":\"early\",\"deadline\":\"2026-01-01T00:00:00Z\"," + BODY + "}",
                "{\"id\":\"late\",\"deadline\":\"2027-01-01T00:00:00Z\"," + BODY + "}"));
        SubmitCommand command = parsed("--bootstrap-servers", "localhost:9092", "--completion-window", "24h", file.toString());
        Instant due = Instant.parse("2026-12-08T00:00:00Z");

        // When the window's deadline is applied
        List<String> deadlines = command.read().accepted().stream()
                .map(line -> SubmitCommand.inBatch(line.request(), null, due))
                .map(request -> request.id() + "=" + request.deadline()).toList();

        // Then the earlier deadline stays, and the others become the window's end
        assertThat(command.completionWindow).isEqualTo(Duration.ofHours(24));
        assertThat(deadlines).containsExactly("none=2026-12-08T00:00:00Z", "early=2026-01-01T00:00:00Z",
                "late=2026-12-08T00:00:00Z");
    }

    private static SubmitCommand parsed(String... args) {
        SubmitCommand command = new SubmitCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private static List<String> priorities(RequestFile read) {
        assertThat(read.rejected()).isEmpty();
        return read.accepted().stream().map(ParsedLine.Accepted::request)
                .map(request -> request.id() + "=" + request.priority()).toList();
    }
}
