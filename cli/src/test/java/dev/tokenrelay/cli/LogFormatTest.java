package dev.tokenrelay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogFormatTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @AfterEach
    void forgetTheChoice() {
        System.clearProperty(LogFormat.PROPERTY);
    }

    @Test
    void shouldTakeTheOptionBeforeOrAfterTheCommandAndPreferItToTheEnvironment() {
        // Given the option after the command, in both spellings, and the environment saying text
        // When the format is selected
        select(new String[] {"run", "--config", "x.yaml", "--log-format", "json"}, "text");
        String separate = System.getProperty(LogFormat.PROPERTY);
        select(new String[] {"--log-format=json", "run"}, null);
        String joined = System.getProperty(LogFormat.PROPERTY);

        // Then Log4j is told json both times
        assertThat(separate).isEqualTo("json");
        assertThat(joined).isEqualTo("json");
    }

    @Test
    void shouldTakeTheEnvironmentWhenTheCommandLineSaysNothing() {
        // Given only the environment variable, in capitals
        select(new String[] {"run", "--config", "x.yaml"}, "JSON");

        // Then it is taken
        assertThat(System.getProperty(LogFormat.PROPERTY)).isEqualTo("json");
    }

    @Test
    void shouldWriteTextAndSaySoWhenTheEnvironmentNamesNoFormat() {
        // Given an environment variable that is not a format
        select(new String[] {"run"}, "xml");

        // Then nothing is chosen (text) and the message names the variable
        assertThat(System.getProperty(LogFormat.PROPERTY)).isNull();
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("tokenrelay: TOKENRELAY_LOG_FORMAT=xml is not a log format (text or json); writing text\n");
    }

    @Test
    void shouldLeaveAnUnknownFormatOnTheCommandLineToTheOptionsCheck() {
        // Given an unknown format on the command line
        select(new String[] {"--log-format", "xml", "run"}, null);

        // Then nothing is chosen here, and the command line refuses it as a usage error
        assertThat(System.getProperty(LogFormat.PROPERTY)).isNull();
        assertThat(Main.commandLine().setErr(new java.io.PrintWriter(new java.io.StringWriter()))
                .execute("--log-format", "xml", "run", "--help")).isEqualTo(Main.EXIT_USAGE);
    }

    private void select(String[] args, String environment) {
        LogFormat.select(args, environment, new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
