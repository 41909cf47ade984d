package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmOptionsTest {

    @Test
    void shouldReadOptionsWithoutCommentsOrBlankLines() {
        // Given a jvm.options text with comments, blank lines and a comment after an option
        String text = "# why\n\n-XX:+UseSerialGC\n  -Xss512k   # a comment after it\n#-XX:+Nope\n";
        // When it is parsed, Then only the options remain, in order
        assertThat(JvmOptions.parse(text)).containsExactly("-XX:+UseSerialGC", "-Xss512k");
    }

    @Test
    void shouldLetACollectorOfTheRunReplaceTheShippedOne() {
        // Given shipped options that choose the serial collector
        List<String> shipped = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        // When a run adds G1, or only other options
        // Then G1 replaces the serial collector, and other options come after the shipped ones
        assertThat(JvmOptions.with(shipped, List.of("-XX:+UseG1GC", "-Xmx1g")))
                .containsExactly("-XX:TieredStopAtLevel=1", "-XX:+UseG1GC", "-Xmx1g");
        assertThat(JvmOptions.with(shipped, List.of("-XX:TieredStopAtLevel=4")))
                .containsExactly("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4");
    }

    @Test
    void shouldShipTheStartScriptsOptionsInTheJar() throws Exception {
        // Given the start script's options file in the repository
        Path file = Path.of("..", "bin", JvmOptions.RESOURCE);
        // When the copy the build put on the class path is read
        // Then it holds the same options as the file the script reads
        assertThat(JvmOptions.shipped()).isNotEmpty().isEqualTo(JvmOptions.parse(Files.readString(file)));
    }
}
