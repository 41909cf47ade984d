package dev.tokenrelay.testing;

import dev.tokenrelay.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs one command the way {@code tokenrelay} does (Main's error handling), capturing what it prints. */
public final class Cli {

    /**
     * What a run did.
     *
     * @param exitCode the exit code
     * @param out what went to standard output
     * @param err what went to standard error
     */
    public record Run(int exitCode, String out, String err) {}

    private Cli() {}

    public static Run run(Object command, String... args) {
        CommandLine commandLine = new CommandLine(command);
        commandLine.setExecutionExceptionHandler(Main.commandLine().getExecutionExceptionHandler());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }
}
