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
 * Writes results, one line each, to standard output or to a file, and optionally the results that
 * did not succeed to an errors file of their own, as OpenAI's Batch API splits its output file and
 * its error file. Each line is flushed as it is written, so a reader following the file (or the
 * pipe) sees every result as soon as it arrives.
 */
public final class ResultWriter implements AutoCloseable {

    private final Sink out;
    private final Sink errors;
    private final ResultFormat format;
    private int written;
    private int failed;

    private ResultWriter(Sink out, Sink errors, ResultFormat format) {
        this.out = out;
        this.errors = errors;
        this.format = format;
    }

    /**
     * Writes to {@code file} (created, or emptied when it exists), or to {@code stdout} when
     * {@code file} is {@code null}.
     *
     * @throws ToolException (usage) when the file cannot be opened for writing
     */
    public static ResultWriter open(Path file, PrintWriter stdout, ResultFormat format) {
        return open(file, null, stdout, format);
    }

    /**
     * Writes as {@link #open(Path, PrintWriter, ResultFormat)} does, except that with an
     * {@code errorsFile} the results that did not succeed go there (created, or emptied when it
     * exists) instead.
     *
     * @throws ToolException (usage) when a file cannot be opened for writing, or both are one file
     */
    public static ResultWriter open(Path file, Path errorsFile, PrintWriter stdout, ResultFormat format) {
        if (errorsFile != null && file != null
                && file.toAbsolutePath().normalize().equals(errorsFile.toAbsolutePath().normalize())) {
            throw ToolException.usage("--errors and --output name the same file: give the errors a file of their own");
        }
        Sink out = file == null ? new Sink(stdout, false, "standard output") : Sink.open("--output", file);
        if (errorsFile == null) {
            return new ResultWriter(out, null, format);
        }
        try {
            return new ResultWriter(out, Sink.open("--errors", errorsFile), format);
        } catch (ToolException e) {
            out.closeQuietly();
            throw e;
        }
    }

    /** Writes one result, to the errors file when there is one and the result did not succeed. */
    public void write(ChatResult result) {
        boolean toErrors = errors != null && BatchOutput.failed(result);
        (toErrors ? errors : out).writeLine(format.render(result));
        written++;
        if (toErrors) {
            failed++;
        }
    }

    /** How many results were written, to both files. */
    public int written() {
        return written;
    }

    /** How many of them went to the errors file. */
    public int writtenToErrors() {
        return failed;
    }

    /** Where the results go (those that succeeded, with an errors file), for messages. */
    public String destination() {
        return out.destination;
    }

    /** Where the results that did not succeed go, {@code null} when they go with the others. */
    public String errorsDestination() {
        return errors == null ? null : errors.destination;
    }

    /**
     * Where the {@link #written()} results went, for a summary: {@code "out.jsonl"}, or with an
     * errors file {@code "out.jsonl (3) and errors.jsonl (2)"}.
     */
    public String describe() {
        return errors == null ? out.destination
                : out.destination + " (" + (written - failed) + ") and " + errors.destination + " (" + failed + ")";
    }

    @Override
    public void close() {
        try {
            out.close();
        } finally {
            if (errors != null) {
                errors.close();
            }
        }
    }

    /** One destination: standard output, or a file this writer opened and closes. */
    private static final class Sink {

        private final Writer writer;
        private final boolean owned;
        private final String destination;

        Sink(Writer writer, boolean owned, String destination) {
            this.writer = writer;
            this.owned = owned;
            this.destination = destination;
        }

        static Sink open(String option, Path file) {
            try {
                BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
                return new Sink(writer, true, file.toString());
            } catch (NoSuchFileException e) {
                throw ToolException.usage(option + ": cannot create " + file + ": its directory does not exist");
            } catch (AccessDeniedException e) {
                throw ToolException.usage(option + ": cannot write " + file + ": permission denied");
            } catch (IOException e) {
                throw ToolException.usage(option + ": cannot write " + file + ": " + e.getMessage());
            }
        }

        void writeLine(String line) {
            try {
                writer.write(line);
                writer.write(System.lineSeparator());
                writer.flush();
            } catch (IOException e) {
                throw ToolException.failure("cannot write to " + destination + ": " + e.getMessage(), e);
            }
        }

        void close() {
            try {
                if (owned) {
                    writer.close();
                } else {
                    writer.flush();
                }
            } catch (IOException e) {
                throw ToolException.failure("cannot finish writing " + destination + ": " + e.getMessage(), e);
            }
        }

        void closeQuietly() {
            try {
                close();
            } catch (ToolException e) {
                // Already failing for another reason, which is the one to report.
            }
        }
    }
}
