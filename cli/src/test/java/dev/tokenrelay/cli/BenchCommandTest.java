package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrelay.bench.BacklogSettings;
import dev.tokenrelay.testing.Cli;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The options of {@code bench --backlog}, parsed as the command line gives them. */
class BenchCommandTest {

    private static BenchCommand parse(String... args) {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void shouldReadTheIssuesTargetCommand() {
        // When the issue's target command is parsed
        BacklogSettings s = parse("--backlog", "--requests", "1000000", "--prompt-chars", "2048", "--in-flight", "16",
                "--latency", "1s", "--processor-heap", "512m").backlogSettings();
        // Then it is a million 2 KB requests for 16 slots of 1 s, a 512m processor, no drain, the longer timeout
        assertThat(s.requests()).isEqualTo(1_000_000);
        assertThat(s.promptChars()).isEqualTo(2048);
        assertThat(s.inFlight()).isEqualTo(16);
        assertThat(s.latency()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.jvmOptions()).startsWith("-Xmx512m");
        assertThat(s.drain()).isFalse();
        assertThat(s.timeout()).isEqualTo(BacklogSettings.DEFAULT_TIMEOUT);
    }

    @Test
    void shouldTakeTheDefaultsAndTheDrain() {
        BacklogSettings s = parse("--backlog", "--drain", "--processor-heap", "1g", "--timeout", "90s").backlogSettings();
        assertThat(s.requests()).isEqualTo(10_000);
        assertThat(s.processorHeapBytes()).isEqualTo(1L << 30);
        assertThat(s.drain()).isTrue();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(parse("--backlog").backlogSettings().processorHeap()).isEqualTo("512m");
    }

    @Test
    void shouldRefuseTheOptionsThatDoNotApply() {
        assertThatThrownBy(() -> parse("--backlog", "--naive", "--accounts", "2").backlogSettings())
                .hasMessage("--accounts, --naive do not apply to --backlog");
        assertThatThrownBy(() -> parse("--backlog", "--failure-rate", "0.1").backlogSettings())
                .hasMessage("--failure-rate does not apply to --backlog");
    }

    @Test
    void shouldSayWhatIsWrongAndExitWithUsage() {
        // When a bad heap is given, or --drain without --backlog, Then nothing runs and the option is named
        Cli.Run badHeap = Cli.run(new BenchCommand(), "--backlog", "--processor-heap", "lots");
        assertThat(badHeap.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(badHeap.err()).contains("--processor-heap must be a size as -Xmx takes it");
        Cli.Run drainAlone = Cli.run(new BenchCommand(), "--drain");
        assertThat(drainAlone.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(drainAlone.err()).contains("--drain applies to --backlog only");
    }

    @Test
    void shouldKeepTheResultLogInTheProcessesModeUnlessTheRunSaysOtherwise() {
        // Given --processes, the result log is on as run has it; in the one-JVM run it is off
        assertThat(parse("--processes").settings().resultLog()).isTrue();
        assertThat(parse("--processes").settings().processes()).isTrue();
        assertThat(parse("--processes", "--no-result-log").settings().resultLog()).isFalse();
        assertThat(parse().settings().resultLog()).isFalse();
        assertThat(parse("--result-log").settings().resultLog()).isTrue();
        assertThat(parse().settings().processes()).isFalse();
    }

    @Test
    void shouldRefuseTheProcessesModeWithTheBacklogAndWhatItCannotRun() {
        assertThatThrownBy(() -> parse("--backlog", "--processes").backlogSettings())
                .hasMessage("--processes does not apply to --backlog");
        Cli.Run naive = Cli.run(new BenchCommand(), "--processes", "--naive");
        assertThat(naive.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(naive.err()).contains("--naive does not apply to --processes");
    }
}
