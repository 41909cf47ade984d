package dev.tokenrelay.tools;

import dev.tokenrelay.schema.Priority;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSONL file of requests, every line read and checked before anything is sent. Blank lines are
 * skipped. Two lines with the same id and generation are an error on the second: the processor
 * would drop it as a duplicate, which is never what the file meant.
 *
 * @param accepted the lines that can be sent, in file order
 * @param rejected the lines that cannot, in file order
 * @param lines the non-blank lines read
 */
public record RequestFile(List<ParsedLine.Accepted> accepted, List<ParsedLine.Rejected> rejected, int lines) {

    public RequestFile {
        accepted = List.copyOf(accepted);
        rejected = List.copyOf(rejected);
    }

    /**
     * Reads every line of {@code reader}.
     *
     * @param name what is read (a file name, or standard input), for messages
     * @throws ToolException (failure) when the text is not UTF-8
     * @throws IOException when reading fails otherwise
     */
    public static RequestFile read(BufferedReader reader, String name) throws IOException {
        return read(reader, name, Priority.DEFAULT);
    }

    /**
     * Reads every line of {@code reader}, giving {@code priority} to each request whose line names
     * none (see {@link RequestLines#parse(int, String, int)}).
     *
     * @param name what is read (a file name, or standard input), for messages
     * @throws ToolException (failure) when the text is not UTF-8
     * @throws IOException when reading fails otherwise
     */
    public static RequestFile read(BufferedReader reader, String name, int priority) throws IOException {
        List<ParsedLine.Accepted> accepted = new ArrayList<>();
        List<ParsedLine.Rejected> rejected = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int number = 0;
        int lines = 0;
        for (String text = nextLine(reader, name, number); text != null; text = nextLine(reader, name, number)) {
            number++;
            if (text.isBlank()) {
                continue;
            }
            lines++;
            ParsedLine parsed = RequestLines.parse(number, text, priority);
            if (parsed instanceof ParsedLine.Accepted line) {
                Integer first = seen.putIfAbsent(line.request().submissionKey(), number);
                if (first != null) {
                    rejected.add(new ParsedLine.Rejected(number, (line.batch() ? "custom_id '" : "id '")
                            + line.request().id() + "'" + (line.request().generation() == 0 ? ""
                            : " (generation " + line.request().generation() + ")")
                            + " is already on line " + first + "; every line needs its own id"));
                } else {
                    accepted.add(line);
                }
            } else {
                rejected.add((ParsedLine.Rejected) parsed);
            }
        }
        return new RequestFile(accepted, rejected, lines);
    }

    private static String nextLine(BufferedReader reader, String name, int linesRead) throws IOException {
        try {
            return reader.readLine();
        } catch (CharacterCodingException e) {
            // The reader decodes ahead of the line it returns, so the line is only where it noticed.
            throw ToolException.failure(name + ": not UTF-8 text (noticed at line " + (linesRead + 1) + ")");
        }
    }
}
