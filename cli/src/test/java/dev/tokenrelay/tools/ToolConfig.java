package dev.tokenrelay.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A configuration file for tests that run a command without a processor: a broker, topic names, one unused account. */
final class ToolConfig {

    private ToolConfig() {}

    /** Writes {@code dir/tokenrelay.yaml} naming every topic {@code prefix.<role>} on {@code bootstrapServers}. */
    static Path write(Path dir, String bootstrapServers, String prefix) {
        String yaml = """
                kafka: { bootstrapServers: "%s" }
                topics:
                  requests:   { name: "%s.requests", partitions: 1 }
                  attempts:   { name: "%s.attempts", partitions: 1 }
                  results:    { name: "%s.results", partitions: 1 }
                  outcomes:   { name: "%s.outcomes", partitions: 1 }
                  deadLetter: { name: "%s.dead-letter", partitions: 1 }
                  accounts:   { name: "%s.accounts", partitions: 1 }
                pools: { main: { accounts: [unused] } }
                accounts: { unused: { provider: openai-chat, baseUrl: "http://127.0.0.1:1/v1" } }
                """.formatted(bootstrapServers, prefix, prefix, prefix, prefix, prefix, prefix);
        try {
            return Files.writeString(dir.resolve("tokenrelay.yaml"), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
