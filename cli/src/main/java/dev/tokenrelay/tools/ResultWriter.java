package dev.tokenrelay.tools;

import dev.tokenrelay.schema.ChatResult;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Writes results, one line each, to standard output or to a file; each line is flushed as it is
 * written, so a reader following the file (or the pipe) sees every result as soon as it arrives.
 */
public final class ResultWriter implements AutoCloseable {

    private final Writer out;
    private final boolean ownsOut;
    private final ResultFormat format;
    private final String destination;
    private int written;

    private ResultWriter(Writer out, boolean ownsOut, ResultFormat format, String destination) {
        this.out = out;
        this.ownsOut = ownsOut;
        this.format = format;
        this.destination = destination;
    }

    /**
     * Writes to {@code file} (created, or emptied when it exists), or to {@code stdout} when
     * {@code file} is {@code null}.
     *
     * @throws ToolException (usage) when the file cannot be opened for writing
     */
    public static ResultWriter open(Path file, PrintWriter stdout, ResultFormat format) {
        if (file == null) {
            return new ResultWriter(stdout, false, format, "standard output");
        }
        try {
            BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            return new ResultWriter(writer, true, format, file.toString());
        } catch (NoSuchFileException e) {
            throw ToolException.usage("--output: cannot create " + file + ": its directory does not exist");
        } catch (AccessDeniedException e) {
            throw ToolException.usage("--output: cannot write " + file + ": permission denied");
        } catch (IOException e) {
            throw ToolException.usage("--output: cannot write " + file + ": " + e.getMessage());
        }
    }

    /** Writes one result. */
    public void write(ChatResult result) {
        try {
            out.write(format.render(result));
            out.write(System.lineSeparator());
            out.flush();
            written++;
        } catch (IOException e) {
            throw ToolException.failure("cannot write to " + destination + ": " + e.getMessage(), e);
        }
    }

    /** How many results were written. */
    public int written() {
        return written;
    }

    /** Where the results go, for messages. */
    public String destination() {
        return destination;
    }

    @Override
    public void close() {
        try {
            if (ownsOut) {
                out.close();
            } else {
                out.flush();
            }
        } catch (IOException e) {
            throw ToolException.failure("cannot finish writing " + destination + ": " + e.getMessage(), e);
        }
    }
}
