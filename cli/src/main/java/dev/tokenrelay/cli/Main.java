package dev.tokenrelay.cli;

import org.apache.logging.log4j.LogManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/** The {@code tokenrelay} command line. */
@Command(
        name = "tokenrelay",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A Kafka-native, durable processor for LLM chat requests.",
        subcommands = {RunCommand.class, DemoCommand.class, SubmitCommand.class, ResultsCommand.class,
            ReplayCommand.class, BatchesCommand.class, CancelCommand.class, AccountsCommand.class, BenchCommand.class, BrokerCommand.class, ChaosCommand.class, SimulateCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    /** Exit code for a runtime failure (broker unreachable, processor failed). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for a usage or configuration error. */
    public static final int EXIT_USAGE = 2;

    @Option(names = LogFormat.OPTION, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
            description = "How the log on standard error is written: text (default) or json, one JSON object per line "
                    + "for log shippers. Also the environment variable " + LogFormat.ENVIRONMENT + ".")
    LogFormat logFormat;

    public static void main(String[] args) {
        // Before anything creates a logger: Log4j reads its configuration once.
        LogFormat.select(args, System.getenv(LogFormat.ENVIRONMENT), System.err);
        int exitCode;
        try {
            exitCode = commandLine().execute(args);
        } finally {
            // Log4j's own shutdown hook is off (log4j2.component.properties): it would stop the
            // logging while a command still wraps up after a signal. The log is flushed here
            // instead, once the command is done, so the last lines (the asynchronous appender's
            // queue) are written before the JVM exits.
            LogManager.shutdown();
        }
        System.exit(exitCode);
    }

    /** The command line with tokenrelay's error handling: messages for people, no stack traces. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText("tokenrelay: " + exception.getMessage()));
            return EXIT_FAILURE;
        });
        return commandLine;
    }

    /** The version from the jar's manifest, when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tokenrelay " + (version == null ? "(development build)" : version)};
        }
    }
}
