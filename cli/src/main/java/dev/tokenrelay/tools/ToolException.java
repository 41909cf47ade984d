package dev.tokenrelay.tools;

/**
 * An expected problem, explained for the person who ran the command: a wrong argument, a file that
 * cannot be read, a broker that cannot be reached, a topic that does not exist. Commands print the
 * message as it is, without a stack trace, and exit with the code of its {@link Kind}.
 *
 * <p>The message never holds a credential: it names options, files, topics and hosts, never the
 * values of client properties.
 */
public final class ToolException extends RuntimeException {

    /** What kind of problem it is, which decides the exit code. */
    public enum Kind {
        /** The arguments are wrong: fixing the command line fixes it (exit 2). */
        USAGE,
        /** The arguments are fine but something failed on the way (exit 1). */
        FAILURE
    }

    private final Kind kind;

    private ToolException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** A wrong argument: say what is wrong and how to write it. */
    public static ToolException usage(String message) {
        return new ToolException(Kind.USAGE, message, null);
    }

    /** A failure that is not the command line's fault: say what failed and what to do. */
    public static ToolException failure(String message) {
        return new ToolException(Kind.FAILURE, message, null);
    }

    /** As {@link #failure(String)}, keeping the cause for debug logs. */
    public static ToolException failure(String message, Throwable cause) {
        return new ToolException(Kind.FAILURE, message, cause);
    }

    public Kind kind() {
        return kind;
    }

    /** Whether this is a usage error. */
    public boolean isUsage() {
        return kind == Kind.USAGE;
    }

    /**
     * Tells a person what went wrong, on one line, with a pointer to --help for a usage error, and
     * returns the exit code: 2 for usage, 1 for a failure.
     */
    public int reportTo(java.io.PrintWriter err, String command) {
        err.println("tokenrelay " + command + ": " + getMessage());
        if (isUsage()) {
            err.println("Run 'tokenrelay " + command + " --help' for the options.");
        }
        err.flush();
        return isUsage() ? 2 : 1;
    }
}
