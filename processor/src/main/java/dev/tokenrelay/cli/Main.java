package dev.tokenrelay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tokenrelay} command line. */
@Command(
        name = "tokenrelay",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A Kafka-native, durable processor for LLM chat requests.",
        subcommands = {RunCommand.class, DemoCommand.class, SubmitCommand.class, ResultsCommand.class,
            ReplayCommand.class, AccountsCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Exit code for a runtime failure (broker unreachable, processor failed). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for a usage or configuration error. */
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
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
