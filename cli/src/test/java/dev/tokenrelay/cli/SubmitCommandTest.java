package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.tools.ParsedLine;
import dev.tokenrelay.tools.RequestFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
